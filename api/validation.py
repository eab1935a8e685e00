"""Invalid requests as one line of Simplified Chinese: the field and the rule it broke.

FastAPI's own answer is English and repeats the input (a 300 KB text came back in full); staff
read these details on the pages, so they name the field and the constraint and never the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError

WHERE = {"query", "body", "path", "header", "cookie"}  # the first part of a location, not a field name

# pydantic error type -> the constraint in Chinese (ctx holds the limits).
Rule = Callable[[Mapping[str, Any]], str]
RULES: dict[str, Rule] = {
    "missing": lambda c: "必填",
    "string_too_long": lambda c: f"长度不能超过 {c.get('max_length')} 个字符",
    "string_too_short": lambda c: f"长度不能少于 {c.get('min_length')} 个字符",
    "too_long": lambda c: f"最多 {c.get('max_length')} 项",
    "too_short": lambda c: f"至少 {c.get('min_length')} 项",
    "greater_than_equal": lambda c: f"不能小于 {c.get('ge')}",
    "greater_than": lambda c: f"必须大于 {c.get('gt')}",
    "less_than_equal": lambda c: f"不能大于 {c.get('le')}",
    "less_than": lambda c: f"必须小于 {c.get('lt')}",
    "int_parsing": lambda c: "应为整数",
    "int_type": lambda c: "应为整数",
    "int_from_float": lambda c: "应为整数",
    "float_parsing": lambda c: "应为数字",
    "float_type": lambda c: "应为数字",
    "bool_parsing": lambda c: "应为 true 或 false",
    "bool_type": lambda c: "应为 true 或 false",
    "string_type": lambda c: "应为文本",
    "list_type": lambda c: "应为列表",
    "dict_type": lambda c: "应为 JSON 对象",
    "model_type": lambda c: "应为 JSON 对象",
    "model_attributes_type": lambda c: "应为 JSON 对象",
    "enum": lambda c: f"取值无效（可选：{choices(c)}）",
    "literal_error": lambda c: f"取值无效（可选：{choices(c)}）",
    "date_parsing": lambda c: "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": lambda c: "应为日期（YYYY-MM-DD）",
    "date_type": lambda c: "应为日期（YYYY-MM-DD）",
    "datetime_parsing": lambda c: "应为 ISO 日期时间",
    "datetime_from_date_parsing": lambda c: "应为 ISO 日期时间",
    "datetime_type": lambda c: "应为 ISO 日期时间",
    "extra_forbidden": lambda c: "不是可用的字段",
    "json_invalid": lambda c: "不是有效的 JSON",
    "string_pattern_mismatch": lambda c: "格式不正确",
    "uuid_parsing": lambda c: "格式不正确",
    "url_parsing": lambda c: "应为网址",
}
# Body fields the pages' forms send, by the label staff see next to them; the API's own name
# follows in brackets for integrators ("开始时间（starts_at）：应为 ISO 日期时间").
FIELD_ZH = {
    "starts_at": "开始时间", "ends_at": "结束时间", "areas": "区域", "title": "名称", "kind": "类型",
    "categories": "投诉类别", "notice": "公告内容", "wording": "对外口径", "username": "用户名",
    "password": "密码", "new_password": "新密码", "current_password": "当前密码", "display_name": "姓名",
    "email": "邮箱", "role": "角色", "department": "部门", "active": "状态", "comment": "说明",
    "reply": "回复内容", "sentiment": "情感", "relevant": "相关性", "text": "内容",
}
MAX_CHOICES = 120  # a long list of allowed values is cut, the line stays readable


def choices(ctx: Mapping[str, Any]) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a、b、c"."""
    expected = str(ctx.get("expected", ""))
    found = re.findall(r"'([^']*)'", expected)
    return "、".join(found) if found else expected


def field_name(loc: tuple | list) -> str:
    """('body', 'ticket', 'comment') -> 'ticket.comment'; ('query', 'size') -> 'size';
    ('query', 'sentiment', 0) -> 'sentiment' (a repeated parameter has no position to name)."""
    parts = list(loc)
    if parts and parts[0] == "query":
        parts = [p for p in parts if not isinstance(p, int)]
    if parts and parts[0] in WHERE:
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


def constraint(error: Mapping[str, Any]) -> str:
    """The rule one pydantic error names, in Chinese; never the value that broke it."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    rule = RULES.get(kind)
    if rule is not None:
        text = rule(ctx)
        return text if len(text) <= MAX_CHOICES else text[:MAX_CHOICES] + "…）"
    if kind in ("value_error", "assertion_error"):  # our own validators: their message, not the input
        reason = str(ctx.get("error", "")).strip()
        if reason and not reason.isascii():
            return reason.splitlines()[0][:200]
    return "格式不正确"


def one_line(exc: RequestValidationError) -> str:
    """The first problem, e.g. 'size：不能大于 200' or '请求内容：应为 JSON 对象'."""
    errors = exc.errors()
    if not errors:
        return "请求参数无效"
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    name = field_name(loc)
    if first.get("type") == "json_invalid":
        name = ""
    elif loc[:1] == ("body",) and loc[-1] in FIELD_ZH:
        name = f"{FIELD_ZH[loc[-1]]}（{name}）"
    text = constraint(first)
    more = f"（另有 {len(errors) - 1} 处问题）" if len(errors) > 1 else ""
    return f"{name or '请求内容'}：{text}{more}"


def summary(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Every problem as {field, type, message}: no input values, so nothing sent is echoed."""
    return [{"field": field_name(e.get("loc", ())), "type": e.get("type", ""), "message": constraint(e)}
            for e in exc.errors()[:20]]
