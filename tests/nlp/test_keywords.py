"""Keywords for the word cloud and the briefing's 高频词: gas-service terms stay; function
words, counts and durations, and light verbs with 了/个 are dropped."""

from __future__ import annotations

from nlp.keywords import KeywordExtractor
from nlp.segment import segmenter
from tests.conftest import FIXTURES

TEXTS = [line for line in (FIXTURES / "nlp" / "keyword_texts.txt").read_text(encoding="utf-8").splitlines()
         if line.strip() and not line.startswith("#")]
FILLER = {"说法", "出来", "一下子", "两口", "交了", "二十分钟", "发个", "大家", "不用", "给个", "十个小时",
          "两个半小时", "三百多", "一个人", "一趟", "从来"}
GAS_TERMS = {"停气", "燃气费", "漏气", "抄表员", "营业厅", "安检", "抢修", "物业"}


def _keywords(limit: int = 50) -> set[str]:
    words = segmenter().words
    extractor = KeywordExtractor()
    return {word for text in TEXTS for word in extractor.keywords(words(text), limit=limit)}


def test_filler_is_dropped_and_gas_terms_stay() -> None:
    found = _keywords()
    assert not found & FILLER, sorted(found & FILLER)
    assert found >= GAS_TERMS, sorted(GAS_TERMS - found)


def test_gas_terms_lead_a_short_list() -> None:
    words = segmenter().words
    top = KeywordExtractor().keywords(words(TEXTS[1]), limit=3)
    assert set(top) <= {"燃气费", "抄表员", "营业厅", "补交", "上门"}, top
