"""Why a check failed: one reason code per kind of failure and one exception type each.

Every failure is a typed exception carrying the data a health report needs — the URL it
happened at, the HTTP status when there was one, the reason code and a Chinese detail for
staff — so the checker never has to parse messages to know what went wrong.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Reason(StrEnum):
    ok = "ok"
    http_status = "http_status"
    slow = "slow"
    timeout = "timeout"
    connect_error = "connect_error"
    error_text = "error_text"
    text_missing = "text_missing"
    wechat_deleted = "wechat_deleted"
    wechat_blocked = "wechat_blocked"
    wechat_unavailable = "wechat_unavailable"
    notice_expired = "notice_expired"
    notice_undated = "notice_undated"
    content_type = "content_type"
    too_small = "too_small"
    truncated = "truncated"
    query_answer = "query_answer"
    too_many_redirects = "too_many_redirects"
    redirect_loop = "redirect_loop"
    foreign_redirect = "foreign_redirect"
    host_not_allowed = "host_not_allowed"
    address_refused = "address_refused"
    tls_invalid = "tls_invalid"
    tls_expiring = "tls_expiring"


REASON_NAMES_ZH: dict[Reason, str] = {
    Reason.ok: "正常",
    Reason.http_status: "状态码异常",
    Reason.slow: "响应过慢",
    Reason.timeout: "请求超时",
    Reason.connect_error: "无法连接",
    Reason.error_text: "页面含错误提示",
    Reason.text_missing: "缺少应有内容",
    Reason.wechat_deleted: "文章已被删除",
    Reason.wechat_blocked: "文章因违规或投诉无法查看",
    Reason.wechat_unavailable: "公众号内容无法查看",
    Reason.notice_expired: "通知已过有效期",
    Reason.notice_undated: "通知无发布时间",
    Reason.content_type: "内容类型不符",
    Reason.too_small: "文件过小",
    Reason.truncated: "下载不完整",
    Reason.query_answer: "查询结果不符",
    Reason.too_many_redirects: "跳转次数过多",
    Reason.redirect_loop: "循环跳转",
    Reason.foreign_redirect: "跳转到外部站点",
    Reason.host_not_allowed: "非配置站点",
    Reason.address_refused: "地址被拒绝（内网或本机）",
    Reason.tls_invalid: "证书无效",
    Reason.tls_expiring: "证书即将过期",
}


class CheckFailure(Exception):
    """A failed check: where (url), what the server said (status), why (reason, detail)."""

    reason: ClassVar[Reason] = Reason.connect_error

    def __init__(self, detail: str, *, url: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.url = url
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!s}, status={self.status}, url={self.url!r})"


class BadStatus(CheckFailure):
    reason = Reason.http_status


class TooSlow(CheckFailure):
    reason = Reason.slow


class Timeout(CheckFailure):
    reason = Reason.timeout


class ConnectFailed(CheckFailure):
    reason = Reason.connect_error


class ErrorText(CheckFailure):
    reason = Reason.error_text


class TextMissing(CheckFailure):
    reason = Reason.text_missing


class WeChatUnavailable(CheckFailure):
    """A WeChat page that answers 200 but shows a deleted, blocked or expired notice."""

    def __init__(self, detail: str, *, url: str, status: int | None = None,
                 reason: Reason = Reason.wechat_unavailable) -> None:
        super().__init__(detail, url=url, status=status)
        self.reason = reason  # type: ignore[misc]  # per instance: deleted / blocked / unavailable


class NoticeExpired(CheckFailure):
    reason = Reason.notice_expired


class NoticeUndated(CheckFailure):
    reason = Reason.notice_undated


class WrongContentType(CheckFailure):
    reason = Reason.content_type


class TooSmall(CheckFailure):
    reason = Reason.too_small


class Truncated(CheckFailure):
    reason = Reason.truncated


class QueryAnswerWrong(CheckFailure):
    reason = Reason.query_answer


class TooManyRedirects(CheckFailure):
    reason = Reason.too_many_redirects


class RedirectLoop(CheckFailure):
    reason = Reason.redirect_loop


class ForeignRedirect(CheckFailure):
    """A redirect to a host that is not configured: reported, never followed."""

    reason = Reason.foreign_redirect

    def __init__(self, detail: str, *, url: str, status: int | None = None, location: str = "") -> None:
        super().__init__(detail, url=url, status=status)
        self.location = location


class HostNotAllowed(CheckFailure):
    reason = Reason.host_not_allowed


class AddressRefused(CheckFailure):
    """The host resolved only to private, loopback or other non-public addresses."""

    reason = Reason.address_refused


class TlsInvalid(CheckFailure):
    reason = Reason.tls_invalid


class TlsExpiring(CheckFailure):
    reason = Reason.tls_expiring
