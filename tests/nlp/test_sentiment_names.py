"""Naming the company must not change the sentiment: every mention we keep names it, in one of
its forms. The probes (our own short complaints, thanks and notices, `{name}` where the company
is named) are read with each form of the name and with none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.analyze import Analyzer
from nlp.sentiment import own_name_remover
from yuqing.settings import Settings

PROBE_FILE = Path(__file__).parents[1] / "fixtures" / "nlp" / "name_probes.jsonl"
PROBES = [json.loads(line) for line in PROBE_FILE.read_text(encoding="utf-8").splitlines()]
FORMS = ("", "泰山港华燃气", "泰安港华", "港华", "燃气公司")


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Settings())


def test_the_name_does_not_decide_the_label(analyzer: Analyzer) -> None:
    changed = []
    for probe in PROBES:
        labels = {form: analyzer.analyze_text(probe["text"].format(name=form)).sentiment.label.value
                  for form in FORMS}
        if len(set(labels.values())) > 1:
            changed.append((probe["text"], labels))
    assert not changed, changed


def test_probes_are_read_right_whatever_the_name(analyzer: Analyzer) -> None:
    for form in FORMS:
        right = sum(analyzer.analyze_text(p["text"].format(name=form)).sentiment.label.value == p["sentiment"]
                    for p in PROBES)
        assert right >= 0.9 * len(PROBES), (form, right)


def test_remover_takes_the_longest_name_first() -> None:
    remove = own_name_remover(["港华", "泰山港华燃气", ""])
    assert remove("泰山港华燃气营业厅，港华客服") == "营业厅，客服"
    assert own_name_remover([])("港华") == "港华"


def test_only_the_sentiment_input_loses_the_names(analyzer: Analyzer) -> None:
    text, words = analyzer.sentiment_input("泰山港华燃气营业厅的服务态度真差")
    assert "港华" not in text and "泰山港华燃气" not in words
    assert analyzer.analyze_text("泰山港华燃气营业厅的服务态度真差").relevant  # relevance still sees it
