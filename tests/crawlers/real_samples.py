"""Every parser over the real responses in ../shared/real-samples/ (see its SOURCES.md): for
each sample, did the parser read what the issue asks (ids, times, counts, non-empty text)?
Used by tests/crawlers/test_real_samples.py and bench/spider_parse.py (the issue's figures)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import scrapy
from scrapy.http import HtmlResponse

from crawlers.articles import extract_article
from crawlers.parsers import douyin, news, toutiao, wechat, weibo
from yuqing.records import SHANGHAI, Kind, Mention, Platform

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
Check = Callable[[Path], bool]


def _good(m: Mention) -> bool:
    return bool(m.id and m.text.strip() and m.published_at.tzinfo and m.published_at.year >= 2010
                and min(m.reposts, m.comments, m.likes) >= 0)


def weibo_index(path: Path) -> bool:
    data = json.loads(path.read_text(encoding="utf-8"))
    mblogs = list(weibo.iter_mblogs(data))
    if not mblogs:  # a profile or an ok=0 answer: correctly nothing
        return data.get("ok") == 0 or not (data.get("data") or {}).get("cards", [{}])[0].get("mblog")
    return all(_good(weibo.mblog_to_mention(m, "k", NOW)) and m["user"]["id"] for m in mblogs)


def weibo_extend(path: Path) -> bool:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("ok") == 1 and len(str(data["data"]["longTextContent"])) > 20


def wechat_article(path: Path) -> bool:
    page = path.read_text(encoding="utf-8")
    if wechat.is_deleted(page):
        return "expired" in path.name or "deleted" in path.name
    m = wechat.parse_article(page, "https://mp.weixin.qq.com/s/x", NOW)
    return _good(m) and bool(m.title and m.author.name and m.author.id) and m.id.count("-") == 2


def wechat_search(path: Path) -> bool:
    hits = wechat.parse_search(path.read_text(encoding="utf-8"))
    return bool(hits) and all(h.url.startswith("http") and h.title and h.published_at and h.account for h in hits)


def wechat_accounts(path: Path) -> bool:
    accounts = wechat.parse_accounts(path.read_text(encoding="utf-8"))
    return bool(accounts) and all(a.name and a.wechat_id and a.profile_url for a in accounts)


def wechat_msglist(path: Path) -> bool:
    entries = wechat.parse_msglist(path.read_text(encoding="utf-8"))
    return bool(entries) and all(url.startswith("https://mp.weixin.qq.com/s?") and when for url, when, _ in entries)


def sogou_antispider(path: Path) -> bool:
    from crawlers.spiders.base import CAPTCHA_MARKERS

    head = path.read_bytes()[:4000].decode("utf-8", "replace").lower()
    return any(marker in head for marker in CAPTCHA_MARKERS)


def toutiao_article(path: Path) -> bool:
    teaser = Mention(id="toutiao:0", platform=Platform.toutiao, kind=Kind.article, published_at=NOW, fetched_at=NOW)
    m = toutiao.parse_article(path.read_text(encoding="utf-8"), teaser)
    return m is not None and _good(m) and m.published_at != NOW and bool(m.title and m.author.id)


def douyin_search(path: Path) -> bool:
    data = json.loads(path.read_text(encoding="utf-8"))
    videos = [douyin.aweme_to_mention(a, "k", NOW) for a in douyin.iter_awemes(data)]
    return douyin.refusal(data) is None and bool(videos) and all(_good(v) and v.author.id for v in videos)


def douyin_comments(path: Path) -> bool:
    data = json.loads(path.read_text(encoding="utf-8"))
    post = Mention(id="douyin:1", platform=Platform.douyin, kind=Kind.video, published_at=NOW, fetched_at=NOW)
    comments = [douyin.comment_to_mention(c, post, NOW) for c in data["comments"]]
    return bool(comments) and all(_good(c) and c.region and c.parent_id == post.id for c in comments)


def baidu_results(path: Path) -> bool:
    hits = news.baidu_results(path.read_text(encoding="utf-8"), NOW)
    return bool(hits) and all(h.url.startswith("http") and h.title for h in hits)


def news_article(path: Path) -> bool:
    article = extract_article(path.read_text(encoding="utf-8"), "https://example.invalid/")
    return article is not None and bool(article.title and len(article.text) > 100 and article.published_at)


def feed(path: Path) -> bool:
    parsed = news.feed_entries(path.read_bytes())
    return parsed is not None and not parsed[2] and bool(parsed[0]) and all(
        h.url and h.title and h.published_at for h in parsed[0])


CHECKS: list[tuple[str, str, Check]] = [
    ("weibo", "weibo/m-weibo-getIndex-*.json", weibo_index),
    ("weibo", "weibo/m-weibo-statuses-extend-*.json", weibo_extend),
    ("wechat", "wechat/mp-weixin-article-*.html", wechat_article),
    ("wechat", "wechat/sogou-weixin-search-article-type2-*.html", wechat_search),
    ("wechat", "wechat/sogou-weixin-search-gzh-type1-*.html", wechat_accounts),
    ("wechat", "wechat/mp-weixin-profile-history-msglist-*.html", wechat_msglist),
    ("wechat", "wechat/sogou-weixin-antispider-page.html", sogou_antispider),
    ("toutiao", "toutiao/toutiao-article-*.html", toutiao_article),
    ("douyin", "douyin/douyin-app-general-search-*.json", douyin_search),
    ("douyin", "douyin/douyin-web-comment-list-*.json", douyin_comments),
    ("news", "baidu/baidu-web-search-*.html", baidu_results),
    ("news", "baidu/baijiahao-article-*.html", news_article),
    ("news", "rss/*.xml", feed),
]
# Real samples of retired endpoints, which no spider requests any more.
NOT_PARSED = {"wechat/sogou-weixin-search-article-gaokao-2017.json": "retired Sogou WAP JSON endpoint",
              "wechat/sogou-weixin-wapindex-hot-fragment.html": "Sogou hot-article fragment, not a search result"}


def check_all(root: Path) -> dict[str, dict[str, bool | str]]:
    """{platform: {sample: read correctly?}}; a parser raising counts as not read."""
    out: dict[str, dict[str, bool | str]] = {}
    for platform, pattern, check in CHECKS:
        for path in sorted(root.glob(pattern)):
            try:
                ok: bool | str = bool(check(path))
            except Exception as exc:  # a sample the parser cannot read is a figure, not a crash
                ok = f"{exc.__class__.__name__}: {exc}"
            out.setdefault(platform, {})[str(path.relative_to(root))] = ok
    return out


def response(path: Path, url: str) -> HtmlResponse:
    return HtmlResponse(url, body=path.read_bytes(), request=scrapy.Request(url))
