"""Sentiment scorers. Each takes the normalised text and its words and returns a label and
a score in [0, 1] (0 most negative, 1 most positive)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from nlp.clean import alternation
from yuqing.records import SentimentLabel

# SnowNLP answers P(positive); this band around 0.5 is called neutral.
SNOWNLP_NEGATIVE_BELOW = 0.4
SNOWNLP_POSITIVE_ABOVE = 0.6
SNOWNLP_MAX_CHARS = 500  # it is slow and its bag of words saturates long before this


def own_name_remover(names: Iterable[str]) -> Callable[[str], str]:
    """Removes the company's own names from a text before sentiment reads it, in training and at
    run time alike. Every mention we keep names the company, so the name says nothing about how
    the writer feels; left in, the model learned from our examples that 泰山港华燃气 reads
    positive and 燃气公司 negative, and a complaint that named the company in full read as praise."""
    pattern = alternation(names)
    return (lambda text: pattern.sub("", text)) if pattern else (lambda text: text)


class SentimentScorer(Protocol):
    name: str

    def predict(self, text: str, words: list[str]) -> tuple[SentimentLabel, float]: ...


def label_from_score(score: float, negative_below: float, positive_above: float) -> SentimentLabel:
    if score < negative_below:
        return SentimentLabel.negative
    if score > positive_above:
        return SentimentLabel.positive
    return SentimentLabel.neutral


class LinearSentiment:
    """Our trained model (`nlp/sentiment_model.py`, fitted by `yuqing nlp train`): the default."""

    def __init__(self, path: Path | None = None) -> None:
        from nlp.sentiment_model import SentimentModel

        self._model = SentimentModel.load(path)
        self.name = self._model.name

    def predict(self, text: str, words: list[str]) -> tuple[SentimentLabel, float]:
        label, score = self._model.predict(text, words)
        return SentimentLabel(label), score


class SnowNLPSentiment:
    """The baseline: SnowNLP's shopping-review model, mapped to three classes."""

    name = "snownlp"

    def __init__(self) -> None:
        from snownlp import sentiment  # loads its pickled model once (about a second)

        self._classifier = sentiment.classifier

    def predict(self, text: str, words: list[str]) -> tuple[SentimentLabel, float]:
        if not text.strip():
            return SentimentLabel.neutral, 0.5
        score = float(self._classifier.classify(text[:SNOWNLP_MAX_CHARS]))
        return label_from_score(score, SNOWNLP_NEGATIVE_BELOW, SNOWNLP_POSITIVE_ABOVE), score
