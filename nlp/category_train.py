"""Train the category model (nlp/category_model.py); needs scikit-learn (the `train` extra).

Training texts, relevant ones only (categories describe problems of our utility):
- nlp/data/gas_training.jsonl: our own labelled examples written for training;
- the dev split of nlp/data/gas_examples.jsonl (its test split is never trained on);
- Part A: our labels for the real gas messages in the shared datasets, when present;
- corrections made by PR staff (`extra`), which outrank everything else.

Each category's rule weight and threshold are chosen by 5-fold cross-validation on those
texts, maximising that category's F1 of the combined decision. The figures reported
(`cross_validated`) come from nested cross-validation: for each outer fold, weights and
thresholds are chosen by an inner cross-validation on the other four folds only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from nlp.categories import model_input, rule_confidences
from nlp.category_model import MODEL_FILE, CategoryModel, char_ngrams, word_features
from nlp.clean import clean_text, normalize
from nlp.evaluation import DATA, load_gas_examples, load_gas_messages
from nlp.segment import segmenter
from yuqing.records import Category

CODES = [c.value for c in Category if c != Category.other]
RULE_WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5)
THRESHOLDS = np.arange(0.2, 0.9, 0.05)
C = 4.0
CORRECTION_WEIGHT = 3.0

Labelled = tuple[str, frozenset[str], float]  # text, categories, sample weight


def training_texts(datasets: Path | None, extra: Iterable[tuple[str, Iterable[str]]] = ()) -> list[Labelled]:
    out: list[Labelled] = []
    for line in (DATA / "gas_training.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row["relevant"]:
                out.append((row["text"], frozenset(row["categories"]), 1.0))
    out += [(e.text, e.categories, 1.0) for e in load_gas_examples("dev") if e.relevant]
    if datasets is not None:
        out += [(e.text, e.categories, 1.0) for e in load_gas_messages(datasets) if e.relevant]
    out += [(text, frozenset(codes), CORRECTION_WEIGHT) for text, codes in extra]
    return out


class _Prepared:
    """Rule confidences of the normalised texts, and the texts and words the model reads
    (`model_input`: negated evidence masked), computed once."""

    def __init__(self, items: Sequence[Labelled]) -> None:
        seg = segmenter()
        normalised = [normalize(clean_text(text)) for text, _, _ in items]
        self.rules = np.array([[rule_confidences(t).get(code, 0.0) for code in CODES] for t in normalised])
        inputs = [model_input(t, seg.words(t)) for t in normalised]
        self.texts = [text for text, _ in inputs]
        self.words = ["\x00".join(words) for _, words in inputs]
        self.labels = np.array([[code in codes for code in CODES] for _, codes, _ in items])
        self.weights = np.array([w for _, _, w in items])


def _fit(data: _Prepared, rows: np.ndarray):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    chars = TfidfVectorizer(analyzer=char_ngrams, min_df=2, sublinear_tf=True)
    words = TfidfVectorizer(analyzer=lambda joined: word_features(joined.split("\x00")), min_df=2,
                            sublinear_tf=True)
    matrix = hstack([chars.fit_transform([data.texts[i] for i in rows]),
                     words.fit_transform([data.words[i] for i in rows])]).tocsr()
    models = [LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(
        matrix, data.labels[rows, j], sample_weight=data.weights[rows]) for j in range(len(CODES))]
    return chars, words, models


def _to_model(chars, words, models, rule_weights: np.ndarray, thresholds: np.ndarray) -> CategoryModel:
    features = [*chars.get_feature_names_out(), *words.get_feature_names_out()]
    return CategoryModel(
        codes=CODES, features=[str(f) for f in features], idf=np.concatenate([chars.idf_, words.idf_]),
        weights=np.stack([m.coef_[0] for m in models], axis=1), intercepts=np.array([m.intercept_[0] for m in models]),
        thresholds=thresholds, rule_weights=rule_weights,
    )


def _f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = float((predicted & gold).sum())
    return 2 * tp / (predicted.sum() + gold.sum()) if tp else 0.0


def _precision_recall(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    tp = float((predicted & gold).sum())
    return tp / max(1, predicted.sum()), tp / max(1, gold.sum())


def _out_of_fold(data: _Prepared, rows: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Model probabilities for `rows`, each from a model fitted without it."""
    from sklearn.model_selection import KFold

    probabilities = np.zeros((len(rows), len(CODES)))
    for train, held_out in KFold(folds, shuffle=True, random_state=seed).split(rows):
        probabilities[held_out] = _fitted_probabilities(data, rows[train], rows[held_out])
    return probabilities


def _fitted_probabilities(data: _Prepared, train: np.ndarray, rows: np.ndarray) -> np.ndarray:
    chars, words, models = _fit(data, train)
    model = _to_model(chars, words, models, np.zeros(len(CODES)), np.zeros(len(CODES)))
    return np.array([model.probabilities(data.texts[i], data.words[i].split("\x00"))[0] for i in rows])


def _choose(rules: np.ndarray, probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each category's rule weight and threshold: the pair with the best F1 on these texts."""
    weights, thresholds = np.zeros(len(CODES)), np.zeros(len(CODES))
    for j in range(len(CODES)):
        _, weights[j], thresholds[j] = max(
            (_f1(w * rules[:, j] + (1 - w) * probabilities[:, j] >= t, labels[:, j]), w, t)
            for w in RULE_WEIGHTS for t in THRESHOLDS)
    return weights, thresholds


def decide(rules: np.ndarray, probabilities: np.ndarray, weights: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The categories reported, exactly as nlp.categories.categorize() decides them."""
    predicted = weights * rules + (1 - weights) * probabilities >= thresholds
    predicted[:, CODES.index("billing")] &= ~predicted[:, CODES.index("scam")]  # impersonators' money
    return predicted


def nested_cross_validation(data: _Prepared, folds: int = 5, seed: int = 13) -> np.ndarray:
    """Predicted categories for every text by a model, rule weights and thresholds that were all
    chosen without it: the weights and thresholds come from an inner cross-validation on the
    other folds only, so the figures are not flattered by tuning on the texts they score."""
    from sklearn.model_selection import KFold

    everything = np.arange(len(data.texts))
    predicted = np.zeros(data.labels.shape, dtype=bool)
    for train, held_out in KFold(folds, shuffle=True, random_state=seed).split(everything):
        inner = _out_of_fold(data, train, folds, seed)
        weights, thresholds = _choose(data.rules[train], inner, data.labels[train])
        probabilities = _fitted_probabilities(data, train, held_out)
        predicted[held_out] = decide(data.rules[held_out], probabilities, weights, thresholds)
    return predicted


def scores(predicted: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for j, code in enumerate(CODES):
        precision, recall = _precision_recall(predicted[:, j], labels[:, j])
        out[code] = {"precision": round(precision, 3), "recall": round(recall, 3), "support": int(labels[:, j].sum())}
    return out


def train(datasets: Path | None, out: Path = MODEL_FILE, extra: Iterable[tuple[str, Iterable[str]]] = (),
          folds: int = 5, seed: int = 13) -> dict:
    """Measure by nested cross-validation, choose the rule weights and thresholds by
    cross-validation on everything, fit on everything, save."""
    import sklearn.linear_model  # noqa: F401  (loads its OpenMP runtime, so the limit below reaches it)
    from threadpoolctl import threadpool_limits

    items = training_texts(datasets, extra)
    data = _Prepared(items)
    # One BLAS/OpenMP thread: the fits are small, and on a shared machine oversubscribed
    # threads made each one 50 times slower.
    with threadpool_limits(1):
        cross_validated = scores(nested_cross_validation(data, folds, seed), data.labels)
        oof = _out_of_fold(data, np.arange(len(items)), folds, seed)
        weights, thresholds = _choose(data.rules, oof, data.labels)
        chars, words, models = _fit(data, np.arange(len(items)))
    model = _to_model(chars, words, models, weights, thresholds)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    return {"texts": len(items),
            "cv_mean_f1": round(float(np.mean([_f1(p, g) for p, g in zip(
                decide(data.rules, oof, weights, thresholds).T, data.labels.T, strict=True)])), 4),
            "rule_weights": {code: float(w) for code, w in zip(CODES, weights, strict=True)},
            "cross_validated": cross_validated,
            "thresholds": {code: round(float(t), 2) for code, t in zip(CODES, thresholds, strict=True)},
            "features": len(model.features), "bytes": out.stat().st_size}
