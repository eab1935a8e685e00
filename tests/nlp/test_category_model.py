"""The trained category model: it loads, matches scikit-learn exactly, and helps on held-out texts."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.categories import categorize
from nlp.category_model import MODEL_FILE, CategoryModel
from nlp.clean import clean_text, normalize
from nlp.evaluation import load_gas_examples, multilabel_counts
from nlp.segment import segmenter
from yuqing.records import Category


def test_shipped_model_loads_and_covers_every_category() -> None:
    model = CategoryModel.load()
    assert set(model.codes) == {c.value for c in Category} - {"other"}
    assert model.weights.shape == (len(model.features), len(model.codes))
    assert np.all((model.thresholds > 0) & (model.thresholds < 1))
    assert MODEL_FILE.stat().st_size < 5_000_000


def test_inference_matches_scikit_learn(tmp_path) -> None:
    pytest.importorskip("sklearn")
    from scipy.sparse import hstack

    from nlp.category_train import _fit, _Prepared, _to_model, training_texts

    data = _Prepared(training_texts(None)[:300])
    chars, words, models = _fit(data, np.arange(300))
    model = _to_model(chars, words, models, np.zeros(len(models)), np.full(len(models), 0.5))
    model.save(tmp_path / "m.npz")
    loaded = CategoryModel.load(tmp_path / "m.npz")
    for i in range(0, 300, 37):
        matrix = hstack([chars.transform([data.texts[i]]), words.transform([data.words[i]])]).tocsr()
        expected = np.array([m.predict_proba(matrix)[0, 1] for m in models])
        ours, evidence = loaded.probabilities(data.texts[i], data.words[i].split("\x00"))
        assert np.allclose(ours, expected, atol=1e-4)
        assert all(e and e in data.texts[i] for e in evidence)  # evidence is a span of the text


def test_trained_model_beats_rules_alone_on_the_held_out_split() -> None:
    model, seg = CategoryModel.load(), segmenter()
    examples = [e for e in load_gas_examples("test") if e.relevant]
    codes = model.codes

    def mean_f1(with_model: bool) -> float:
        predicted = []
        for e in examples:
            text = normalize(clean_text(e.text))
            hits = categorize(text, seg.words(text), model if with_model else None)
            predicted.append(frozenset(h.code.value for h in hits))
        counts = multilabel_counts([e.categories for e in examples], predicted, codes)
        return float(np.mean([c.f1 for c in counts.values()]))

    rules, combined = mean_f1(False), mean_f1(True)
    assert combined > rules + 0.03, (rules, combined)
    assert combined > 0.8


def test_empty_and_odd_text_give_probabilities() -> None:
    model = CategoryModel.load()
    for text in ("", "😀", "a" * 50_000):
        probabilities, _ = model.probabilities(text, [])
        assert probabilities.shape == (len(model.codes),) and np.all((probabilities >= 0) & (probabilities <= 1))


def test_decision_drops_billing_when_scam_is_reported() -> None:
    from nlp.category_train import CODES, decide

    scam, billing = CODES.index("scam"), CODES.index("billing")
    rules = np.zeros((2, len(CODES)))
    probabilities = np.zeros((2, len(CODES)))
    probabilities[:, billing] = 0.9
    probabilities[0, scam] = 0.9  # the first text is a scam, the second is not
    predicted = decide(rules, probabilities, np.zeros(len(CODES)), np.full(len(CODES), 0.5))
    assert predicted[0, scam] and not predicted[0, billing]
    assert predicted[1, billing] and not predicted[1, scam]


def test_train_refuses_an_unknown_model_name() -> None:
    from typer.testing import CliRunner

    from yuqing.cli import app

    result = CliRunner().invoke(app, ["nlp", "train", "--only", "keywords"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["yuqing: --only must be sentiment or categories"]
