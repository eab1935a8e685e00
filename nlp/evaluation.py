"""Evaluation of the NLP stage on labelled sets: sentiment (ours next to SnowNLP),
complaint categories (precision/recall per category) and relevance.

Labelled sets:
- sentiment test splits in the shared datasets folder (Weibo posts; reviews for orientation);
- our gas set (nlp/data/GAS_DEV_SET.md): Part B, our own examples with a dev/test split, and
  Part A, our labels for the real gas messages in the shared datasets, joined by row number
  and checked by a hash of the text.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).parent / "data"
GAS_EXAMPLES = DATA / "gas_examples.jsonl"
GAS_MESSAGE_LABELS = DATA / "gas_messages_labels.csv"
GAS_MESSAGES = "tipdm2020c_gas_messages.csv"

# Sentiment test sets: (name, folder, how labels map to ours; None drops the row)
SENTIMENT_SETS: list[tuple[str, str, dict[str, str | None]]] = [
    ("weibo smp2020 (binary)", "smp2020_ewect_usual_binary", {"0": "negative", "1": "positive"}),
    ("weibo_senti subset (binary)", "weibo_senti_100k_subset2400", {"0": "negative", "1": "positive"}),
    ("weibo smp2020 (3-class)", "smp2020_ewect_usual_emotion6",
     {"angry": "negative", "sad": "negative", "fear": "negative", "happy": "positive",
      "neutral": "neutral", "surprise": None}),
    ("waimai reviews (binary)", "waimai_10k", {"0": "negative", "1": "positive"}),
]


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text of the gas set."""

    id: str
    text: str
    relevant: bool
    sentiment: str
    categories: frozenset[str]
    place: str | None = None
    platform: str = ""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class LabelScores:
    accuracy: float
    macro_f1: float
    n: int
    per_label: dict[str, Counts] = field(default_factory=dict)


def label_scores(gold: Sequence[str], predicted: Sequence[str]) -> LabelScores:
    """Accuracy and macro-F1 over the labels present in gold."""
    labels = sorted(set(gold))
    per = {label: Counts() for label in labels}
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            per[g].tp += 1
        else:
            per[g].fn += 1
            if p in per:
                per[p].fp += 1
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(1, len(gold))
    macro = sum(c.f1 for c in per.values()) / max(1, len(per))
    return LabelScores(accuracy, macro, len(gold), per)


def multilabel_counts(gold: Iterable[frozenset[str]], predicted: Iterable[frozenset[str]],
                      labels: Iterable[str]) -> dict[str, Counts]:
    per = {label: Counts() for label in labels}
    for g, p in zip(gold, predicted, strict=True):
        for label, counts in per.items():
            if label in g and label in p:
                counts.tp += 1
            elif label in p:
                counts.fp += 1
            elif label in g:
                counts.fn += 1
    return per


def load_gas_examples(split: str | None = None, path: Path = GAS_EXAMPLES) -> list[Example]:
    """Part B (our own examples); split "dev", "test" or None for both."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if split and row["split"] != split:
            continue
        out.append(Example(row["id"], row["text"], bool(row["relevant"]), row["sentiment"],
                           frozenset(row["categories"]), row.get("place"), row.get("platform", "")))
    return out


def load_gas_messages(datasets: Path, labels: Path = GAS_MESSAGE_LABELS) -> list[Example]:
    """Part A: our labels joined with the real messages; empty if the dataset is absent.
    Rows whose text changed (hash mismatch) are skipped, never mislabelled."""
    source = datasets / GAS_MESSAGES
    if not source.is_file():
        return []
    with source.open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    out = []
    with labels.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            index = int(row["row"])
            if index >= len(texts):
                continue
            text = texts[index]
            if hashlib.sha1(text.encode()).hexdigest()[:12] != row["text_sha1"]:
                continue
            # 181 rows are jieba-segmented with stop words removed: join the words back.
            out.append(Example(f"msg-{index}", text.replace(" ", ""), row["relevant"] == "1",
                               row["sentiment"], frozenset(row["categories"].split()),
                               platform="board"))
    return out


def load_sentiment_set(datasets: Path, folder: str, mapping: dict[str, str | None],
                       limit: int | None = None) -> tuple[list[str], list[str]]:
    path = datasets / folder / "test.csv"
    if not path.is_file():
        return [], []
    texts, gold = [], []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            label = mapping.get(row.get("label", ""), "missing")
            if label is None or label == "missing":
                continue
            texts.append(row["text"])
            gold.append(label)
            if limit and len(texts) >= limit:
                break
    return texts, gold


def binary(label: str, score: float) -> str:
    """A three-class prediction read on a binary set: the side of 0.5 the score is on."""
    return "positive" if score > 0.5 else "negative"


SentimentPredictor = Callable[[str], tuple[str, float]]


def sentiment_table(datasets: Path, predictors: dict[str, SentimentPredictor],
                    limit: int | None = None) -> list[tuple[str, int, dict[str, LabelScores]]]:
    """For each sentiment set present: n and the scores of every predictor on the same texts."""
    rows = []
    for name, folder, mapping in SENTIMENT_SETS:
        texts, gold = load_sentiment_set(datasets, folder, mapping, limit)
        if not texts:
            continue
        three_class = "neutral" in set(gold)
        scores = {}
        for model, predict in predictors.items():
            outputs = [predict(t) for t in texts]
            labels = [label if three_class else binary(label, score) for label, score in outputs]
            scores[model] = label_scores(gold, labels)
        rows.append((name, len(texts), scores))
    return rows


@dataclass
class GasReport:
    """Scores of the whole NLP stage on one part of the gas set."""

    name: str
    n: int
    relevance: Counts
    categories: dict[str, Counts]
    places_right: int
    places_n: int
    sentiment: dict[str, LabelScores]


def evaluate_gas(name: str, examples: Sequence[Example], analyze: Callable[[str], object],
                 sentiment_baselines: dict[str, SentimentPredictor] | None = None,
                 check_relevance: bool = True, check_places: bool = True) -> GasReport:
    """Relevance, categories (on the gold-relevant texts), places and sentiment of `analyze`
    (an Analyzer.analyze_text) against the labels, with other sentiment models alongside."""
    from yuqing.records import Category

    results = [analyze(e.text) for e in examples]
    relevance = Counts()
    if check_relevance:
        relevance = multilabel_counts(
            [frozenset({"r"}) if e.relevant else frozenset() for e in examples],
            [frozenset({"r"}) if r.relevant else frozenset() for r in results], ["r"])["r"]
    relevant = [i for i, e in enumerate(examples) if e.relevant]
    categories = multilabel_counts([examples[i].categories for i in relevant],
                                   [frozenset(results[i].category_codes) for i in relevant],
                                   [c.value for c in Category])
    places_right = places_n = 0
    if check_places:
        for example, result in zip(examples, results, strict=True):
            places_n += 1
            finest = result.place.split(" ")[-1] if result.place else None
            places_right += finest == example.place
    gold = [e.sentiment for e in examples]
    sentiment = {"yuqing": label_scores(gold, [r.sentiment.label.value for r in results])}
    for model, predict in (sentiment_baselines or {}).items():
        sentiment[model] = label_scores(gold, [predict(e.text)[0] for e in examples])
    return GasReport(name, len(examples), relevance, categories, places_right, places_n, sentiment)
