"""Train the category model (nlp/category_model.py); needs scikit-learn (the `train` extra).

Training texts, relevant ones only (categories describe problems of our utility):
- nlp/data/gas_training.jsonl: our own labelled examples written for training;
- the dev split of nlp/data/gas_examples.jsonl (its test split is never trained on);
- Part A: our labels for the real gas messages in the shared datasets, when present;
- corrections made by PR staff (`extra`), which outrank everything else.

Each category's rule weight and threshold are chosen by 5-fold cross-validation on those
texts, maximising that category's F1 of the combined decision.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from nlp.categories import rule_confidences
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
    """Normalised texts, their words and rule confidences, computed once."""

    def __init__(self, items: Sequence[Labelled]) -> None:
        seg = segmenter()
        self.texts = [normalize(clean_text(text)) for text, _, _ in items]
        self.words = ["\x00".join(seg.words(t)) for t in self.texts]
        self.labels = np.array([[code in codes for code in CODES] for _, codes, _ in items])
        self.weights = np.array([w for _, _, w in items])
        self.rules = np.array([[rule_confidences(t).get(code, 0.0) for code in CODES] for t in self.texts])


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


def _cross_validated(data: _Prepared, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold model probabilities for every text."""
    from sklearn.model_selection import KFold

    probabilities = np.zeros(data.labels.shape)
    for train, held_out in KFold(folds, shuffle=True, random_state=seed).split(data.texts):
        chars, words, models = _fit(data, train)
        model = _to_model(chars, words, models, np.zeros(len(CODES)), np.zeros(len(CODES)))
        for i in held_out:
            probabilities[i] = model.probabilities(data.texts[i], data.words[i].split("\x00"))[0]
    return probabilities


def train(datasets: Path | None, out: Path = MODEL_FILE, extra: Iterable[tuple[str, Iterable[str]]] = (),
          folds: int = 5, seed: int = 13) -> dict:
    """Choose the rule weight and thresholds by cross-validation, fit on everything, save."""
    items = training_texts(datasets, extra)
    data = _Prepared(items)
    oof = _cross_validated(data, folds, seed)
    weights, thresholds, scores = np.zeros(len(CODES)), np.zeros(len(CODES)), []
    for j in range(len(CODES)):  # each category gets the mix and threshold that serve it best
        f1, weights[j], thresholds[j] = max(
            (_f1(w * data.rules[:, j] + (1 - w) * oof[:, j] >= t, data.labels[:, j]), w, t)
            for w in RULE_WEIGHTS for t in THRESHOLDS)
        scores.append(f1)
    combined = weights * data.rules + (1 - weights) * oof
    cross_validated = {}
    for j, code in enumerate(CODES):
        precision, recall = _precision_recall(combined[:, j] >= thresholds[j], data.labels[:, j])
        cross_validated[code] = {"precision": round(precision, 3), "recall": round(recall, 3),
                                 "support": int(data.labels[:, j].sum())}
    chars, words, models = _fit(data, np.arange(len(items)))
    model = _to_model(chars, words, models, weights, thresholds)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    return {"texts": len(items), "cv_mean_f1": round(float(np.mean(scores)), 4),
            "rule_weights": {code: float(w) for code, w in zip(CODES, weights, strict=True)},
            "cross_validated": cross_validated,
            "thresholds": {code: round(float(t), 2) for code, t in zip(CODES, thresholds, strict=True)},
            "features": len(model.features), "bytes": out.stat().st_size}
