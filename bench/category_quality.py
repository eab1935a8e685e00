"""Complaint-category quality by nested 5-fold cross-validation over the relevant labelled gas
texts (nlp/data: gas_training.jsonl, the dev split of gas_examples.jsonl, Part A when the shared
datasets are present), in one run:

- baseline: the rules of nlp/categories.py alone (reported at MIN_CONFIDENCE);
- ours: rules mixed with the trained model, each category's rule weight and threshold chosen by
  an inner cross-validation on the training folds only (nlp/category_train.py).

Both apply the run-time rule that a reported scam drops billing. Prints per-category
precision/recall, the issue's target (P ≥ 0.85 and R ≥ 0.80 where support ≥ 20) and the ratio of
mean F1. Needs scikit-learn (the `train` extra).

    .venv/bin/python bench/category_quality.py [--datasets DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATASETS = Path(os.environ.get("YUQING_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()
    import numpy as np
    import sklearn.linear_model  # noqa: F401  (its OpenMP runtime must be loaded before the limit)
    from threadpoolctl import threadpool_limits

    from nlp.categories import MIN_CONFIDENCE
    from nlp.category_train import CODES, _f1, _Prepared, decide, nested_cross_validation, scores, training_texts

    start = time.perf_counter()
    data = _Prepared(training_texts(args.datasets if args.datasets.is_dir() else None))
    rules_only = decide(data.rules, np.zeros(data.rules.shape), np.ones(len(CODES)),
                        np.full(len(CODES), MIN_CONFIDENCE))
    with threadpool_limits(1):
        ours = nested_cross_validation(data)
    baseline_scores, our_scores = scores(rules_only, data.labels), scores(ours, data.labels)
    print(f"{len(data.texts)} relevant labelled texts, nested 5-fold CV ({time.perf_counter() - start:.0f} s)")
    print(f"{'category':13s} {'support':>7s}   {'rules P':>7s} {'rules R':>7s}   {'ours P':>6s} {'ours R':>6s}  target")
    for code in CODES:
        b, o = baseline_scores[code], our_scores[code]
        met = "met" if o["precision"] >= 0.85 and o["recall"] >= 0.80 else ("missed" if o["support"] >= 20 else "n/a")
        print(f"{code:13s} {o['support']:7d}   {b['precision']:7.3f} {b['recall']:7.3f}   "
              f"{o['precision']:6.3f} {o['recall']:6.3f}  {met}")
    mean = [float(np.mean([_f1(p, g) for p, g in zip(pred.T, data.labels.T, strict=True)]))
            for pred in (rules_only, ours)]
    print(f"mean F1: baseline (rules alone) {mean[0]:.3f}, ours {mean[1]:.3f}, ratio {mean[1] / mean[0]:.2f}x")


if __name__ == "__main__":
    main()
