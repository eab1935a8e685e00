"""Keywords for word clouds: TF-IDF over the mention's words with jieba's IDF table."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import jieba

from nlp.segment import stopwords, user_dictionary

_IDF_FILE = Path(jieba.__file__).parent / "analyse" / "idf.txt"
# Numbers, amounts and times (2.3, 四百多, 一个半, 十一点, 三天) carry no topic and would fill the
# word cloud with noise. Building numbers (3号楼) stay: they tell one incident from another.
_QUANTITY = re.compile(r"^[0-9.,:%~/\-零〇一二三四五六七八九十百千万亿两几半多余第"
                       r"个次天年月日点时分秒周岁元块方]+$")
# A count with its measure word: 两口, 二十分钟, 半小时, 一趟, 十个, 一下子, 三百多 …
_COUNTED = re.compile(r"^[第好每]?[0-9零〇一二三四五六七八九十百千万亿两俩仨几半数]+"
                      r"[0-9零〇一二三四五六七八九十百千万亿两几半多余来个次天年月日号点时分秒钟周岁元块毛角方"
                      r"口趟遍回户人家位条根件张台套层下子阵把样种顿]*$")
# Light verbs with an aspect or measure particle (交了, 发个, 看着, 经过) and bare negations
# (不用, 不到) say nothing about the topic.
_PARTICLE_END = re.compile(r"^.{1,2}了$|^.[个着过]$|^不[用到要会能是]$")  # 不满, 不足, 不通 stay


@lru_cache(maxsize=1)
def _protected() -> frozenset[str]:
    """The gas-service dictionary (停气, 燃气费, 抄表 …): never dropped by the patterns above."""
    return frozenset(word for word, _, _ in user_dictionary())


def is_filler(word: str) -> bool:
    """A word that is no keyword: a count, a duration, a light verb or bare negation."""
    if word in _protected():
        return False
    return bool(_QUANTITY.match(word) or _COUNTED.match(word) or _PARTICLE_END.match(word))


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    table: dict[str, float] = {}
    with _IDF_FILE.open(encoding="utf-8") as handle:
        for line in handle:
            word, _, value = line.rstrip("\n").rpartition(" ")
            if word:
                table[word] = float(value)
    median = sorted(table.values())[len(table) // 2]
    return table, median


class KeywordExtractor:
    def __init__(self, excluded: frozenset[str] = frozenset()) -> None:
        # The company's own names appear everywhere and would top every cloud.
        self.excluded = stopwords() | excluded
        self.idf, self.default_idf = _idf()

    def keywords(self, words: list[str], limit: int = 8) -> list[str]:
        counts = Counter(
            w for w in words if len(w) > 1 and w not in self.excluded and not is_filler(w)
        )
        idf, default = self.idf, self.default_idf
        ranked = sorted(counts.items(), key=lambda kv: kv[1] * idf.get(kv[0], default), reverse=True)
        return [word for word, _ in ranked[:limit]]
