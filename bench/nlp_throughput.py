"""analyze() throughput on one core against SnowNLP sentiment alone, same texts, same run;
with the cold start, the resident memory the loaded models add, and the model files' size.

    python bench/nlp_throughput.py [N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import memory_mb, pin_one_core, weibo_texts


def rate(fn, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        fn(text)
    return len(texts) / (time.perf_counter() - start)


def main(n: int = 5000) -> None:
    pin_one_core()
    texts, source = weibo_texts(n)
    from snownlp import SnowNLP

    from nlp.analyze import Analyzer
    from yuqing.settings import Settings

    before = memory_mb()
    start = time.perf_counter()
    analyzer = Analyzer(Settings())
    load = time.perf_counter() - start
    resident = memory_mb() - before
    analyzer.analyze_text(texts[0])  # warm caches (OpenCC table, IDF) outside the timing
    _ = SnowNLP(texts[0]).sentiments

    ours = rate(analyzer.analyze_text, texts)
    baseline = rate(lambda t: SnowNLP(t).sentiments, texts)
    print(f"texts: {n} from {source}, one core")
    models = Path(__file__).resolve().parents[1] / "nlp" / "models"
    size = sum(f.stat().st_size for f in models.iterdir() if f.is_file()) / 2**20
    print(f"analyzer load: {load:.2f} s (sentiment model: {analyzer.sentiment.name}); "
          f"resident memory added: {resident:.0f} MB; model files: {size:.1f} MB")
    print(f"{'baseline SnowNLP sentiment only':40s} {baseline:10.1f} texts/s")
    print(f"{'yuqing analyze() (full NLP stage)':40s} {ours:10.1f} texts/s")
    print(f"ratio analyze / SnowNLP: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
