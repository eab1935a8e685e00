"""A fetched answer held against the target's expectations; the first unmet one is raised.

Order: what the server said (status, type, size), what the page says (WeChat notices,
error texts, required texts, the JSON answer, a notice's age), then the certificate's
remaining days, and last the latency — a page that is slow *and* wrong is reported wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crawlers.sitecheck.errors import (
    BadStatus,
    ErrorText,
    NoticeExpired,
    NoticeUndated,
    QueryAnswerWrong,
    TextMissing,
    TlsExpiring,
    TooSlow,
    TooSmall,
    Truncated,
    WeChatUnavailable,
    WrongContentType,
)
from crawlers.sitecheck.fetch import Fetched
from crawlers.sitecheck.pages import Page, decode, published_at, valid_until, wechat_unavailable
from yuqing.settings_sites import SiteTarget, TargetKind

WECHAT_HOSTS = ("mp.weixin.qq.com", "weixin.qq.com")
_MISSING = object()


def cert_days_left(fetched: Fetched, now: datetime) -> float | None:
    if fetched.cert_not_after is None:
        return None
    return (fetched.cert_not_after - now).total_seconds() / 86400


def _is_wechat(target: SiteTarget) -> bool:
    host = target.host
    return (target.kind in (TargetKind.wechat_article, TargetKind.wechat_menu)
            or any(host == h or host.endswith("." + h) for h in WECHAT_HOSTS))


def _wants_text(target: SiteTarget, fetched: Fetched) -> bool:
    textual = fetched.media_type.startswith("text/") or "json" in fetched.media_type \
        or "xml" in fetched.media_type or not fetched.media_type
    if target.json_field or target.valid_hours is not None:
        return True
    if target.kind == TargetKind.download:
        return bool(target.must_contain or target.must_not_contain)
    return textual


def _check_head(target: SiteTarget, fetched: Fetched) -> None:
    where = {"url": fetched.final_url, "status": fetched.status}
    if fetched.status not in target.expect_status:
        wanted = "/".join(str(c) for c in target.expect_status)
        raise BadStatus(f"HTTP {fetched.status}，应为 {wanted}", **where)
    if target.content_type and not fetched.media_type.startswith(target.content_type.lower()):
        raise WrongContentType(f"内容类型为 {fetched.media_type or '（无）'}，应为 {target.content_type}",
                               **where)
    if fetched.size < target.min_bytes:
        raise TooSmall(f"文件只有 {fetched.size} 字节，至少应有 {target.min_bytes} 字节", **where)
    declared = fetched.headers.get("content-length")
    encoded = fetched.headers.get("content-encoding", "identity") != "identity"
    if declared and declared.isdigit() and not encoded and int(declared) > fetched.size:
        raise Truncated(f"声明 {declared} 字节，只收到 {fetched.size} 字节", **where)


def _check_wechat(target: SiteTarget, fetched: Fetched, page: Page) -> None:
    if _is_wechat(target) and (shown := wechat_unavailable(page)):
        reason, phrase = shown
        raise WeChatUnavailable(f"微信页面显示“{phrase}”", reason=reason, url=fetched.final_url,
                                status=fetched.status)


def _check_text(target: SiteTarget, fetched: Fetched, page: Page, error_texts: Sequence[str]) -> None:
    where = {"url": fetched.final_url, "status": fetched.status}
    text = page.visible_text()
    soft_errors = error_texts if 200 <= fetched.status < 300 else ()  # an expected 404 may say so
    for bad in (*target.must_not_contain, *soft_errors):
        if bad and bad in text:
            raise ErrorText(f"页面含有“{bad}”", **where)
    for good in target.must_contain:
        if good not in text:
            raise TextMissing(f"页面缺少“{good}”", **where)


def json_lookup(data: Any, path: str) -> Any:
    """data["a"]["b"][0] for "a.b.0"; _MISSING when any step is absent."""
    for step in path.split("."):
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and step.lstrip("-").isdigit() and -len(data) <= int(step) < len(data):
            data = data[int(step)]
        else:
            return _MISSING
    return data


def _check_json(target: SiteTarget, fetched: Fetched, page: Page) -> None:
    if not target.json_field:
        return
    where = {"url": fetched.final_url, "status": fetched.status}
    try:
        data = json.loads(page.raw)
    except ValueError:
        raise QueryAnswerWrong(f"查询结果不是 JSON（{fetched.media_type or '无类型'}）", **where) from None
    value = json_lookup(data, target.json_field)
    if value is _MISSING:
        raise QueryAnswerWrong(f"查询结果缺少字段 {target.json_field}", **where)
    if target.json_equals is not None and value != target.json_equals:
        raise QueryAnswerWrong(f"字段 {target.json_field} 为 {json.dumps(value, ensure_ascii=False)}，"
                               f"应为 {json.dumps(target.json_equals, ensure_ascii=False)}", **where)


def _check_notice(target: SiteTarget, fetched: Fetched, page: Page, now: datetime) -> None:
    if target.valid_hours is None:
        return
    where = {"url": fetched.final_url, "status": fetched.status}
    until = valid_until(page)
    if until is not None:
        if now > until:
            raise NoticeExpired(f"通知有效期至 {until:%Y-%m-%d %H:%M}，已过期", **where)
        return
    published = published_at(page)
    if published is None:
        raise NoticeUndated("页面上找不到发布时间，无法判断通知是否有效", **where)
    age_hours = (now - published).total_seconds() / 3600
    if age_hours > target.valid_hours:
        raise NoticeExpired(f"通知发布于 {published:%Y-%m-%d %H:%M}，已超过有效期 {target.valid_hours:g} 小时",
                            **where)


def evaluate(target: SiteTarget, fetched: Fetched, *, now: datetime, error_texts: Sequence[str]) -> None:
    """Raise the first unmet expectation as a CheckFailure; return when all are met."""
    _check_head(target, fetched)
    if _wants_text(target, fetched):
        page = Page(decode(fetched.body, fetched.headers.get("content-type", "")),
                    html="html" in fetched.media_type or fetched.body.lstrip()[:1] == b"<")
        _check_wechat(target, fetched, page)
        _check_json(target, fetched, page)
        _check_text(target, fetched, page, error_texts)
        _check_notice(target, fetched, page, now)
    days = cert_days_left(fetched, now)
    if days is not None and target.min_cert_days and days < target.min_cert_days:
        when = f"已于 {-days:.1f} 天前过期" if days < 0 else f"{days:.1f} 天后过期"
        raise TlsExpiring(f"证书{when}（{fetched.cert_not_after:%Y-%m-%d}），应至少剩 {target.min_cert_days:g} 天",
                          url=fetched.final_url, status=fetched.status)
    if fetched.latency_ms > target.max_latency_ms:
        raise TooSlow(f"耗时 {fetched.latency_ms:.0f} ms，超过 {target.max_latency_ms} ms",
                      url=fetched.final_url, status=fetched.status)
