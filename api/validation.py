"""Invalid requests as one line of Simplified Chinese: the field and the rule it broke.

FastAPI's own answer is English and repeats the input (a 300 KB text came back in full); staff
read these details on the pages, so they name the field and the constraint and never the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError

from yuqing.invalid_zh import reason

WHERE = {"query", "body", "path", "header", "cookie"}  # the first part of a location, not a field name

# Body fields the pages' forms send, by the label staff see next to them; the API's own name
# follows in brackets for integrators ("开始时间（starts_at）：应为 ISO 日期时间").
FIELD_ZH = {
    "starts_at": "开始时间", "ends_at": "结束时间", "areas": "区域", "title": "名称", "kind": "类型",
    "categories": "投诉类别", "notice": "公告内容", "wording": "对外口径", "username": "用户名",
    "password": "密码", "new_password": "新密码", "current_password": "当前密码", "display_name": "姓名",
    "email": "邮箱", "role": "角色", "department": "部门", "active": "状态", "comment": "说明",
    "reply": "回复内容", "sentiment": "情感", "relevant": "相关性", "text": "内容",
}
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
    return reason(error)


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
