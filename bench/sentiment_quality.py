"""Sentiment quality: our model next to SnowNLP on the same texts, in one process on one core.

    .venv/bin/python bench/sentiment_quality.py [--limit N]

Test sets (the shared datasets folder, overridable with YUQING_DATASETS; skipped if absent):
- binary sets (smp2020 usual, weibo_senti subset, waimai, ChnSentiCorp): a text counts as positive
  when P(positive) > P(negative), i.e. our score > 0.5; SnowNLP's score > 0.5;
- smp2020 emotion6 as three classes: angry/sad/fear → negative, happy → positive, neutral →
  neutral. Surprise is left out: it says how strongly, not which way (SMP's surprise posts are
  astonishment at good and bad news alike), so it has no three-class gold label. Rows whose text
  also occurs in a train split are left out too (the emotion6 test split overlaps the binary
  train split, on which the model is trained);
- our gas set (nlp/data/GAS_DEV_SET.md): Part B test split and Part A (real board messages,
  deduplicated), three classes.
Three-class SnowNLP: score < 0.4 negative, > 0.6 positive, else neutral (nlp/sentiment.py).
Texts/s: ours is `predict` on pre-segmented words (the analysis stage segments once for every
model), SnowNLP includes its own segmentation; jieba's own rate is printed separately.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DATASETS, pin_one_core
from nlp.evaluation import label_scores, load_gas_examples, load_gas_messages

BINARY = {"0": "negative", "1": "positive"}
EMOTION3 = {"angry": "negative", "sad": "negative", "fear": "negative", "happy": "positive",
            "neutral": "neutral"}


@dataclass
class TestSet:
    name: str
    texts: list[str]
    gold: list[str]
    three_class: bool


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def binary_set(name: str, folder: str, limit: int | None) -> TestSet:
    rows = _read(DATASETS / folder / "test.csv")[:limit]
    return TestSet(name, [r["text"] for r in rows], [BINARY[r["label"]] for r in rows], False)


def emotion3_set(limit: int | None) -> TestSet:
    """emotion6 test rows with a three-class label whose text is in no train split."""
    from nlp.clean import clean_text, normalize

    def key(raw: str) -> str:
        return normalize(clean_text(raw))

    seen = {key(r["text"]) for folder in ("smp2020_ewect_usual_emotion6", "smp2020_ewect_usual_binary")
            for r in _read(DATASETS / folder / "train.csv")}
    rows = [r for r in _read(DATASETS / "smp2020_ewect_usual_emotion6" / "test.csv")
            if r["label"] in EMOTION3 and key(r["text"]) not in seen][:limit]
    name = "smp2020 emotion6 3-class*"
    return TestSet(name, [r["text"] for r in rows], [EMOTION3[r["label"]] for r in rows], True)


def gas_sets() -> list[TestSet]:
    out = []
    part_b = load_gas_examples("test")
    out.append(TestSet("gas Part B test (ours)", [e.text for e in part_b],
                       [e.sentiment for e in part_b], True))
    unique = {e.text: e for e in load_gas_messages(DATASETS)}
    if unique:
        part_a = list(unique.values())
        out.append(TestSet("gas Part A board msgs", [e.text for e in part_a],
                           [e.sentiment for e in part_a], True))
    return out


def test_sets(limit: int | None) -> list[TestSet]:
    return [
        binary_set("smp2020 usual binary", "smp2020_ewect_usual_binary", limit),
        binary_set("weibo_senti subset", "weibo_senti_100k_subset2400", limit),
        emotion3_set(limit),
        binary_set("waimai (orientation)", "waimai_10k", limit),
        binary_set("ChnSentiCorp (orient.)", "chnsenticorp_htl_all", limit),
        *gas_sets(),
    ]


Predict = Callable[[str, list[str]], tuple[str, float]]


def run(predict: Predict, inputs: Sequence[tuple[str, list[str]]]) -> tuple[list, float]:
    """Outputs and texts/s of one predictor over prepared inputs."""
    start = time.perf_counter()
    outputs = [predict(text, words) for text, words in inputs]
    return outputs, len(inputs) / max(time.perf_counter() - start, 1e-9)


def labels_of(outputs: list[tuple[str, float]], three_class: bool) -> list[str]:
    if three_class:
        return [str(label) for label, _ in outputs]
    return ["positive" if score > 0.5 else "negative" for _, score in outputs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="at most N texts per set (quick look)")
    parser.add_argument("--model", type=Path, help="model file (default: the shipped one)")
    args = parser.parse_args(argv)
    if not DATASETS.is_dir():
        print(f"skipped: datasets folder not found ({DATASETS}); set YUQING_DATASETS")
        return 0
    pin_one_core()
    from nlp.analyze import Analyzer
    from nlp.clean import clean_text, normalize
    from nlp.sentiment import SnowNLPSentiment
    from nlp.sentiment_model import SentimentModel
    from yuqing.settings import Settings

    start = time.perf_counter()
    model = SentimentModel.load(args.model)
    load_seconds = time.perf_counter() - start
    snownlp = SnowNLPSentiment()
    analyzer = Analyzer(Settings())  # what the service feeds sentiment: cleaned, places masked
    header = (f"{'test set':34} {'n':>5}  {'ours acc/F1':>13}  {'SnowNLP acc/F1':>14}  "
              f"{'ΔF1':>6}  {'ours/s':>7}  {'Snow/s':>6}")
    print(f"model {model.name}: loaded in {load_seconds:.2f} s; datasets {DATASETS}")
    print(header)
    print("-" * len(header))
    seg_chars = seg_seconds = 0.0
    for test in test_sets(args.limit):
        t0 = time.perf_counter()
        inputs = [analyzer.sentiment_input(normalize(clean_text(raw))) for raw in test.texts]
        texts = [text for text, _ in inputs]
        seg_seconds += time.perf_counter() - t0
        seg_chars += sum(len(t) for t in texts)
        ours, ours_rate = run(model.predict, inputs)
        snow, snow_rate = run(snownlp.predict, inputs)
        a = label_scores(test.gold, labels_of(ours, test.three_class))
        b = label_scores(test.gold, labels_of(snow, test.three_class))
        print(f"{test.name:34} {len(texts):5}  {a.accuracy:.3f} / {a.macro_f1:.3f}  "
              f"{b.accuracy:6.3f} / {b.macro_f1:.3f}  {a.macro_f1 - b.macro_f1:+.3f}  "
              f"{ours_rate:7.0f}  {snow_rate:6.0f}", flush=True)
    print("* emotion6 test rows in no train split, surprise excluded (see the module docstring)")
    print(f"preparation (cleaning, place masking, segmentation; shared by every model): "
          f"{seg_chars / seg_seconds:,.0f} chars/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
