"""Reading pages: WeChat's unavailable notices, publication times, charsets — on our fixture
pages and, when present, on real WeChat responses (../shared/real-samples/wechat)."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.pages import Page, decode, parse_time, published_at, valid_until, wechat_unavailable
from tests.conftest import FIXTURES, SHARED
from tests.crawlers.sitecheck.conftest import check, target
from tools.site_server import SiteServer
from yuqing.records import SHANGHAI

SITE = FIXTURES / "sitecheck" / "site"
REAL = SHARED / "real-samples" / "wechat"


def page(path) -> Page:
    return Page(decode(path.read_bytes(), ""), html=True)


@pytest.mark.parametrize(("name", "reason", "phrase"), [
    ("deleted", Reason.wechat_deleted, "该内容已被发布者删除"),
    ("blocked", Reason.wechat_blocked, "此内容因违规无法查看"),
    ("complained", Reason.wechat_blocked, "此内容被多人投诉"),
    ("expired", Reason.wechat_unavailable, "链接已过期"),
    ("other-notice", Reason.wechat_unavailable, "系统出错，请稍后再试"),
])
def test_wechat_notices_on_our_pages(name: str, reason: Reason, phrase: str) -> None:
    assert wechat_unavailable(page(SITE / "wechat" / f"{name}.html")) == (reason, phrase)


def test_a_normal_article_is_not_a_notice() -> None:
    article = page(SITE / "wechat" / "article.html")
    assert wechat_unavailable(article) is None
    assert published_at(article) == datetime(2026, 11, 20, 8, 30, tzinfo=SHANGHAI)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-samples not present")
def test_real_wechat_pages() -> None:
    expired = page(REAL / "mp-weixin-article-expired-deleted.html")
    assert wechat_unavailable(expired) == (Reason.wechat_unavailable, "链接已过期")
    for name, stamp in [("mp-weixin-article-2018-qqmusic.html", 1523110915),
                        ("mp-weixin-article-2020-02-aifou-rendered-trimmed.html", 1581517074)]:
        article = page(REAL / name)
        assert wechat_unavailable(article) is None, name
        assert published_at(article) == datetime.fromtimestamp(stamp, SHANGHAI), name


def test_notice_times_from_the_page_text_and_meta() -> None:
    notice = page(SITE / "news" / "outage-notice.html")
    assert published_at(notice) == datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI)
    assert valid_until(notice) is None
    stated = page(SITE / "news" / "outage-valid-until.html")
    assert valid_until(stated) == datetime(2026, 11, 21, 18, 0, tzinfo=SHANGHAI)
    assert published_at(page(SITE / "about.html")) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-20", datetime(2026, 11, 20, tzinfo=SHANGHAI)),
    ("2026/11/20 08:05", datetime(2026, 11, 20, 8, 5, tzinfo=SHANGHAI)),
    ("2026年11月20日 8时05分", datetime(2026, 11, 20, 8, 5, tzinfo=SHANGHAI)),
    ("2026-11-20T00:05:00Z", datetime(2026, 11, 20, 8, 5, tzinfo=SHANGHAI)),
    ("2026-13-45", None),
    ("昨天", None),
])
def test_parse_time(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_a_gbk_page_is_read_by_its_meta_charset(site: SiteServer, tmp_path) -> None:
    assert "营业网点" in page(SITE / "gbk.html").visible_text()
    result = check(tmp_path, target("t", site.url("/gbk.html"), must_contain=["岱岳区营业厅"]))["t"]
    assert result.ok, result.detail


def test_visible_text_leaves_out_scripts() -> None:
    home = page(SITE / "index.html")
    assert "欢迎您" in home.visible_text() and "系统繁忙" not in home.visible_text()
    assert "系统繁忙" in home.raw
