"""The trained half of complaint categorisation: one logistic regression per category over
TF-IDF character 1-3-grams and jieba words, combined with the rules of nlp/categories.py.

    combined = w * rule confidence + (1 - w) * model probability

and a category is reported when `combined` reaches that category's threshold. Each
category's weight w and threshold are chosen by 5-fold cross-validation on the training
texts (nlp/category_train.py) and stored in the model file. Rules bring precision and a
readable evidence span; the model brings recall on wordings no rule foresaw. When only the
model speaks, the evidence is the word or character n-gram of the text that added most to
its decision. The model reads `nlp.categories.model_input(text)`: negated smell and leak words
(没有闻到气味, 无异味) are masked, in training and at run time alike.

Runtime needs numpy only; the vocabulary is a plain dict, so nothing depends on Python's
randomised `hash()`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).parent / "models" / "categories-v1.npz"
MAX_CHARS = 2000  # long articles are judged on their head, like the sentiment model
NGRAMS = (1, 2, 3)


def char_ngrams(text: str) -> list[str]:
    text = text[:MAX_CHARS]
    return [text[i : i + n] for n in NGRAMS for i in range(len(text) - n + 1) if not text[i : i + n].isspace()]


def word_features(words: Sequence[str]) -> list[str]:
    return [f"w:{w}" for w in words]


@dataclass
class CategoryModel:
    codes: list[str]
    features: list[str]  # one per column; "w:" marks words, the rest are character n-grams
    idf: np.ndarray  # (features,)
    weights: np.ndarray  # (features, categories)
    intercepts: np.ndarray  # (categories,)
    thresholds: np.ndarray  # (categories,) on the combined score
    rule_weights: np.ndarray  # (categories,) share of the rule confidence in the combined score
    name: str = "categories-v1"

    def __post_init__(self) -> None:
        self.vocabulary = {f: i for i, f in enumerate(self.features)}
        # Character n-grams and words are L2-normalised as two separate blocks, as in training.
        self.char_columns = np.array([not f.startswith("w:") for f in self.features], dtype=bool)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> CategoryModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return cls(codes=meta["codes"], features=[str(f) for f in data["features"]], idf=data["idf"],
                       weights=data["weights"], intercepts=data["intercepts"], thresholds=data["thresholds"],
                       rule_weights=data["rule_weights"], name=meta.get("name", "categories"))

    def save(self, path: Path) -> None:
        meta = {"codes": self.codes, "name": self.name}
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), features=np.array(self.features),
                            idf=self.idf.astype(np.float32), weights=self.weights.astype(np.float32),
                            intercepts=self.intercepts.astype(np.float32),
                            thresholds=self.thresholds.astype(np.float32),
                            rule_weights=self.rule_weights.astype(np.float32))

    def _vector(self, text: str, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and TF-IDF values (sublinear tf, each block L2-normalised)."""
        counts = Counter(f for f in (*char_ngrams(text), *word_features(words)) if f in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = np.fromiter((self.vocabulary[f] for f in counts), dtype=np.int64, count=len(counts))
        values = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=float, count=len(counts))
        values *= self.idf[columns]
        for block in (self.char_columns[columns], ~self.char_columns[columns]):
            norm = np.linalg.norm(values[block])
            if norm:
                values[block] /= norm
        return columns, values

    def probabilities(self, text: str, words: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """P(category) for every code, and for each the feature that pushed it up most."""
        columns, values = self._vector(text, words)
        if not len(columns):
            logits = self.intercepts.astype(float)
            return 1.0 / (1.0 + np.exp(-logits)), [""] * len(self.codes)
        contributions = self.weights[columns] * values[:, None]  # (present features, categories)
        logits = contributions.sum(axis=0) + self.intercepts
        evidence = [self.features[int(columns[i])].removeprefix("w:") for i in contributions.argmax(axis=0)]
        return 1.0 / (1.0 + np.exp(-logits)), evidence
