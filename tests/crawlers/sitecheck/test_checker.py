"""Every kind of target against the local test site: the right status, reason and detail."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.records import CheckStatus
from tests.crawlers.sitecheck.conftest import NOW, check, target
from tools.site_server import SiteServer

FORM = "/files/" + quote("用气申请表.pdf")

# name, path, expectations, reason, HTTP status, words in the detail
CASES = [
    ("home", "/", {"must_contain": ["泰山港华燃气", "缴费查询"], "content_type": "text/html"}, Reason.ok, 200, ""),
    # the page's script says 系统繁忙, which a visitor never sees: not an error text
    ("home-script-text", "/index.html", {}, Reason.ok, 200, ""),
    ("server-error", "/status/500", {}, Reason.http_status, 500, "HTTP 500，应为 200"),
    ("not-found", "/news/missing.html", {}, Reason.http_status, 404, "HTTP 404"),
    ("expected-404", "/news/missing.html", {"expect_status": [404]}, Reason.ok, 404, ""),
    ("slow", "/slow/400/index.html", {"max_latency_ms": 150}, Reason.slow, 200, "超过 150 ms"),
    ("timeout", "/slow/1500/index.html", {"timeout_seconds": 0.3}, Reason.timeout, None, "0.3 秒内未完成"),
    ("soft-404", "/error200.html", {}, Reason.error_text, 200, "页面不存在"),
    ("own-forbidden-text", "/about.html", {"must_not_contain": ["天然气供应"]}, Reason.error_text, 200, "天然气供应"),
    ("missing-text", "/about.html", {"must_contain": ["营业厅地址"]}, Reason.text_missing, 200, "营业厅地址"),
    ("wrong-type", "/about.html", {"content_type": "application/pdf"}, Reason.content_type, 200, "text/html"),
    ("form", FORM, {"kind": "download", "content_type": "application/pdf", "min_bytes": 2048}, Reason.ok, 200, ""),
    ("form-too-small", "/files/tiny.pdf", {"kind": "download", "min_bytes": 1024}, Reason.too_small, 200,
     "只有 15 字节"),
    ("form-truncated", "/truncated" + FORM, {"kind": "download"}, Reason.truncated, 200, "声明 8161 字节"),
    ("progress", "/api/progress", {"kind": "service", "request": {"method": "POST", "json": {"order": "BZ2026112001"}},
                                   "json_field": "data.status", "json_equals": "施工中"}, Reason.ok, 200, ""),
    ("progress-steps", "/api/progress", {"kind": "service", "json_field": "data.steps.0.done", "json_equals": True},
     Reason.ok, 200, ""),
    ("progress-wrong-value", "/api/progress", {"kind": "service", "json_field": "data.status", "json_equals": "已通气"},
     Reason.query_answer, 200, "应为 \"已通气\""),
    ("payment-wrong-json", "/api/payment", {"kind": "service", "request": {"method": "POST", "form": {"account": "1"}},
                                            "json_field": "data.balance"}, Reason.query_answer, 200, "data.balance"),
    ("apply-not-json", "/api/broken", {"kind": "service", "json_field": "code"}, Reason.query_answer, 200, "不是 JSON"),
    ("redirects-ok", "/redirect/chain/2", {"must_contain": ["欢迎您"]}, Reason.ok, 200, ""),
    ("too-many-redirects", "/redirect/chain/4", {"max_redirects": 3}, Reason.too_many_redirects, 302, "超过 3 次"),
    ("redirect-loop", "/redirect/loop-a", {}, Reason.redirect_loop, 302, "循环跳转"),
    ("wechat-deleted", "/wechat/deleted.html", {"kind": "wechat_article"}, Reason.wechat_deleted, 200,
     "该内容已被发布者删除"),
    ("wechat-blocked", "/wechat/blocked.html", {"kind": "wechat_article"}, Reason.wechat_blocked, 200,
     "此内容因违规无法查看"),
    ("wechat-complained", "/wechat/complained.html", {"kind": "wechat_article"}, Reason.wechat_blocked, 200,
     "此内容被多人投诉"),
    ("wechat-expired-link", "/wechat/expired.html", {"kind": "wechat_article"}, Reason.wechat_unavailable, 200,
     "链接已过期"),
    ("wechat-other-box", "/wechat/other-notice.html", {"kind": "wechat_menu"}, Reason.wechat_unavailable, 200,
     "系统出错，请稍后再试"),
    ("wechat-article", "/wechat/article.html", {"kind": "wechat_article", "must_contain": ["停气"]},
     Reason.ok, 200, ""),
    ("wechat-menu", "/wechat/menu-payment.html", {"kind": "wechat_menu", "must_contain": ["网上缴费"]},
     Reason.ok, 200, ""),
    # outage notices: published 2026-11-20 08:00 (page) / 08:30 (WeChat); NOW is 11-21 10:00
    ("notice-fresh", "/news/outage-notice.html", {"valid_hours": 48}, Reason.ok, 200, ""),
    ("notice-expired", "/news/outage-notice.html", {"valid_hours": 12}, Reason.notice_expired, 200,
     "发布于 2026-11-20 08:00，已超过有效期 12 小时"),
    ("wechat-notice-expired", "/wechat/article.html", {"kind": "wechat_article", "valid_hours": 24},
     Reason.notice_expired, 200, "发布于 2026-11-20 08:30"),
    ("notice-stated-validity", "/news/outage-valid-until.html", {"valid_hours": 1}, Reason.ok, 200, ""),
    ("notice-undated", "/about.html", {"valid_hours": 24}, Reason.notice_undated, 200, "找不到发布时间"),
]


@pytest.fixture(scope="module")
def results(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> dict:
    targets = [target(name, site.url(path), **fields) for name, path, fields, *_ in CASES]
    return check(tmp_path_factory.mktemp("check"), *targets)


@pytest.mark.parametrize(("name", "reason", "http_status", "words"),
                         [(c[0], c[3], c[4], c[5]) for c in CASES], ids=[c[0] for c in CASES])
def test_each_target_gets_the_right_status_and_reason(results: dict, name: str, reason: Reason,
                                                      http_status: int | None, words: str) -> None:
    result = results[name]
    assert result.reason == reason, result.detail
    assert result.status == (CheckStatus.ok if reason == Reason.ok else CheckStatus.failed)
    assert result.http_status == http_status
    assert words in result.detail
    assert result.checked_at == NOW
    if reason in (Reason.ok, Reason.slow):
        assert result.latency_ms is not None and result.latency_ms > 0


def test_the_slow_page_is_measured_not_guessed(results: dict) -> None:
    assert results["slow"].latency_ms >= 400
    assert results["home"].latency_ms < 400


def test_download_size_and_final_url_are_recorded(results: dict, site: SiteServer) -> None:
    assert results["form"].size == 3161
    assert results["redirects-ok"].final_url == site.url("/index.html")


def test_the_query_is_sent_as_configured(results: dict, site: SiteServer) -> None:
    posts = {hit.path: hit.body for hit in site.hits if hit.method == "POST"}
    assert posts["/api/progress"] == b'{"order":"BZ2026112001"}'
    assert posts["/api/payment"] == b"account=1"


def test_a_notice_past_its_stated_validity_expires(site: SiteServer, tmp_path) -> None:
    later = NOW.replace(day=22)  # the page says 有效期至 2026年11月21日 18:00
    result = check(tmp_path, target("n", site.url("/news/outage-valid-until.html"), valid_hours=1000), now=later)["n"]
    assert result.reason == Reason.notice_expired and "有效期至 2026-11-21 18:00" in result.detail


def test_one_target_failing_does_not_affect_the_others(site: SiteServer, tmp_path) -> None:
    results = check(tmp_path, target("bad", "http://127.0.0.1:9/"), target("good", site.url("/")))
    assert results["bad"].reason == Reason.connect_error and results["good"].ok
