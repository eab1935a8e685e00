"""The rule file: shipped defaults, evaluation, refusals with line and reason, and the last
valid rules staying in force (across a restart too)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from alerts.db import Database
from alerts.rules.engine import facts_of
from alerts.rules.loader import DEFAULT_RULES, RuleBook, RuleFileError, parse_rules
from nlp.analyze import Analyzer
from tests.builders import mention
from tests.conftest import FIXTURES
from yuqing.records import Author

RULES = FIXTURES / "rules"


def verdict(analyzer: Analyzer, text: str, rules=None, **fields):
    item = mention(1, text, **fields)
    return (rules or parse_rules(DEFAULT_RULES.read_text(encoding="utf-8"))).evaluate(
        facts_of(item, analyzer.analyze(item)))


def test_default_rules_levels(analyzer: Analyzer) -> None:
    leak = verdict(analyzer, "泰安港华燃气，我们小区楼道里一股煤气味，赶紧来人")
    assert leak.level == "red" and leak.life_safety and leak.rule_ids[0] == "life-safety"
    tip = verdict(analyzer, "燃气泄漏怎么办？泰山港华燃气提醒您注意安全知识")
    assert tip is None or not tip.life_safety  # safety education, not an emergency
    thanks = verdict(analyzer, "感谢泰安港华燃气抢修队！昨晚楼道里有燃气味，二十分钟就到了，换了接头")
    assert thanks is None or not thanks.life_safety  # a repair already done, with thanks
    low_pressure = verdict(analyzer, "泰安港华燃气，新泰平阳小区气压低得壁挂炉都打不着火，暖气不热")
    assert low_pressure is not None and not low_pressure.life_safety
    wide = verdict(analyzer, "泰安港华燃气岱岳区整个小区停气两天了，几百户做不了饭")
    assert wide.level == "red" and not wide.life_safety and "outage-wide" in wide.rule_ids
    media = Author(name="泰安融媒", id="1", followers=3000, verified=True, verified_reason="泰安市融媒体中心官方微博")
    assert verdict(analyzer, "泰安港华燃气费多收，市民投诉无门", author=media).level == "orange"
    assert verdict(analyzer, "泰安港华燃气费多收，市民投诉无门", likes=600).level == "orange"
    assert verdict(analyzer, "有人冒充泰安港华燃气上门推销报警器，大家注意").level == "yellow"
    assert verdict(analyzer, "周末去泰山看日出") is None
    assert verdict(analyzer, "泰山港华燃气举办开放日活动，市民参观调度中心") is None  # relevant, not negative


@pytest.mark.parametrize(("name", "line", "reason"), [
    ("bad_type.yaml", 8, "rules.0.when.min_followers: 应为整数"),
    ("unknown_key.yaml", 8, "rules.0.when.min_engagemnt: 未知的键"),
    ("broken_yaml.yaml", 7, "不是有效的 YAML"),
    ("life_safety_not_red.yaml", 3, "生命安全通道（lane: life_safety）的规则级别必须是 red"),
    ("duplicate_ids.yaml", 1, "规则编号 same 重复使用"),
    ("empty_when.yaml", 6, "when 下至少要有一个条件"),
    ("not_a_mapping.yaml", 1, "顶层必须是"),
    ("bad_level.yaml", 5, "rules.0.level: 取值无效（可选：blue、yellow、orange、red）"),
    ("burst_window_too_short.yaml", 7, "bursts.0.window_minutes: 不能小于 5"),
])
def test_invalid_rule_files_name_the_line_and_reason(name: str, line: int, reason: str) -> None:
    with pytest.raises(RuleFileError) as refused:
        parse_rules((RULES / name).read_text(encoding="utf-8"))
    assert refused.value.line == line
    assert reason in refused.value.reason
    assert str(refused.value).startswith(f"第 {line} 行：")
    assert not re.search(r"Input should|Value error|Field required|[Ee]rror", str(refused.value))  # staff read it


def test_a_broken_edit_is_refused_and_the_last_valid_rules_stay(tmp_path: Path, db: Database,
                                                                 analyzer: Analyzer) -> None:
    path = tmp_path / "alert_rules.yaml"
    book = RuleBook(path, db=db)
    assert path.read_text(encoding="utf-8") == DEFAULT_RULES.read_text(encoding="utf-8")  # shipped defaults written
    defaults = book.rules
    path.write_text((RULES / "bad_type.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stamp, whatever the clock's resolution
    assert book.refresh() is defaults
    assert book.error and "第 8 行" in book.error and "min_followers" in book.error
    path.write_text((RULES / "custom.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert [r.id for r in book.refresh().spec.rules] == ["any-negative"] and book.error is None
    assert verdict(analyzer, "泰安港华燃气费多收，市民投诉无门", rules=book.rules).level == "yellow"


def test_saving_validates_first_and_a_restart_keeps_the_last_valid_rules(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "alert_rules.yaml"
    book = RuleBook(path, db=db)
    custom = (RULES / "custom.yaml").read_text(encoding="utf-8")
    book.save(custom, by="admin")
    with pytest.raises(RuleFileError, match="第 8 行"):
        book.save((RULES / "unknown_key.yaml").read_text(encoding="utf-8"), by="admin")
    assert path.read_text(encoding="utf-8") == custom  # the refused text was never written
    path.write_text("version: 1\nrules: [oops", encoding="utf-8")  # broken by hand while stopped
    restarted = RuleBook(path, db=db)
    assert [r.id for r in restarted.rules.spec.rules] == ["any-negative"]  # not the shipped defaults
    assert restarted.error and "不是有效的 YAML" in restarted.error
