"""The rule file in Chinese: what staff read about it (conditions, lanes, burst groups) and why
an edit was refused (pydantic's English errors translated, never repeating the value)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yuqing.invalid_zh import Reason, reason

# Every condition a rule's `when` may hold, as the pages name it.
CONDITION_ZH = {
    "relevant": "与本公司相关", "min_relevance": "相关度不低于", "sentiment": "情感倾向",
    "min_severity": "负面程度不低于", "categories": "投诉类别", "platforms": "平台",
    "min_followers": "作者粉丝数不低于", "author_verified": "认证账号", "author_reason_any": "认证信息含任一词",
    "min_engagement": "转发评论点赞合计不低于", "min_views": "阅读量不低于", "keywords_any": "含任一关键词",
    "keywords_all": "同时含全部关键词", "keywords_none": "不含以下任何词",
    "min_event_mentions": "同一事件信息条数不低于",
}
LANE_ZH = {"normal": "常规：进入公关研判", "life_safety": "生命安全：跳过研判，直接派发紧急抢修工单"}
BURST_GROUP_ZH = {"category": "按投诉类别统计", "event": "按同一事件统计"}


# The shared table (yuqing/invalid_zh.py) worded for a YAML file edited by hand.
_YAML_WORDING: dict[str, Reason] = {
    "missing": lambda c: "缺少必填项",
    "extra_forbidden": lambda c: "未知的键（请核对拼写）",
    "string_type": lambda c: "应为文字",
    "list_type": lambda c: "应为列表（[a, b] 或逐行“- a”）",
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), lambda c: "应为映射（键: 值）"),
    "string_too_short": lambda c: "不能为空",
    "string_too_long": lambda c: f"不能超过 {c.get('max_length')} 个字",
    **dict.fromkeys(("value_error", "assertion_error"), lambda c: str(c.get("error", "取值无效"))),
}


def reason_zh(error: Mapping[str, Any]) -> str:
    """One pydantic error of the rule file as staff read it (the schema's own checks already speak Chinese)."""
    return reason(error, wording=_YAML_WORDING, fallback="取值无效")
