"""Pydantic's validation errors in Chinese: the rule that was broken, never the value that broke
it (a pasted page must not come back). One table for the API's answers (`api/validation.py`)
and the rule file's refusals (`alerts/rules/zh.py`), which words a few of them for YAML."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Reason = Callable[[Mapping[str, Any]], str]  # from the error's ctx (its limits)
MAX_CHARS = 120  # a long list of allowed values is cut, the line stays readable


def choices(ctx: Mapping[str, Any]) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a、b、c"."""
    expected = str(ctx.get("expected", ""))
    found = re.findall(r"'([^']*)'", expected)
    return "、".join(found) if found else expected


def _same(text: str, *kinds: str) -> dict[str, Reason]:
    return dict.fromkeys(kinds, lambda c: text)


REASONS: dict[str, Reason] = {
    "missing": lambda c: "必填",
    "string_too_long": lambda c: f"长度不能超过 {c.get('max_length')} 个字符",
    "string_too_short": lambda c: f"长度不能少于 {c.get('min_length')} 个字符",
    "too_long": lambda c: f"最多 {c.get('max_length')} 项",
    "too_short": lambda c: f"至少 {c.get('min_length')} 项",
    "greater_than_equal": lambda c: f"不能小于 {c.get('ge')}",
    "greater_than": lambda c: f"必须大于 {c.get('gt')}",
    "less_than_equal": lambda c: f"不能大于 {c.get('le')}",
    "less_than": lambda c: f"必须小于 {c.get('lt')}",
    **_same("应为整数", "int_parsing", "int_type", "int_from_float"),
    **_same("应为数字", "float_parsing", "float_type"),
    **_same("应为 true 或 false", "bool_parsing", "bool_type"),
    "string_type": lambda c: "应为文本",
    "list_type": lambda c: "应为列表",
    **_same("应为 JSON 对象", "dict_type", "model_type", "model_attributes_type"),
    **dict.fromkeys(("enum", "literal_error"), lambda c: f"取值无效（可选：{choices(c)}）"),
    **_same("应为日期（YYYY-MM-DD）", "date_parsing", "date_from_datetime_parsing", "date_type"),
    **_same("应为 ISO 日期时间", "datetime_parsing", "datetime_from_date_parsing", "datetime_type"),
    "extra_forbidden": lambda c: "不是可用的字段",
    "json_invalid": lambda c: "不是有效的 JSON",
    **_same("格式不正确", "string_pattern_mismatch", "uuid_parsing"),
    "url_parsing": lambda c: "应为网址",
}


def reason(error: Mapping[str, Any], *, wording: Mapping[str, Reason] | None = None,
           fallback: str = "格式不正确") -> str:
    """The rule one pydantic error names, in Chinese (`wording` replaces some of the table's)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    rule = (wording or {}).get(kind) or REASONS.get(kind)
    if rule is not None:
        text = rule(ctx)
        return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…）"
    if kind in ("value_error", "assertion_error"):  # our own validators: their message, not the input
        own = str(ctx.get("error", "")).strip()
        if own and not own.isascii():
            return own.splitlines()[0][:200]
    return fallback
