"""Toutiao (今日头条): search results, article pages and article comments.

- Search `so.toutiao.com/search?keyword=…&pd=information&page_num=N`: an HTML page whose result
  cards are `<script type="application/json" data-for="s-result-json">{"data": {…}}</script>`;
  the older JSON API `www.toutiao.com/api/search/content/?…&format=json` returns the same item
  fields in `data[]`: `title, abstract, media_name|source, publish_time|create_time|behot_time
  (epoch) or datetime, article_url|open_url|share_url, group_id, item_id, comment_count,
  digg_count, read_count`. Cards without a title or URL (widgets, `cell_type` boxes) and ads
  are skipped.
- Article page: the 2019–2020 template carries `articleInfo`/`subInfo`/`commentInfo`/
  `mediaInfo` objects in an inline script; the current one is server-rendered
  `div.article-content > h1`, `div.article-meta` (time, author, 发布于 region) and `article`.
- Comments `www.toutiao.com/article/v2/tab_comments/?aid=24&app_name=toutiao_web&group_id=…
  &item_id=…&offset=N&count=20`: `{"message":"success","data":[{"comment":{id, text,
  create_time, digg_count, reply_count, user_id, user_name, user_verified, publish_loc_info}}],
  "has_more":…}`.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Any

from parsel import Selector

from crawlers.parsing import parse_count
from nlp.clean import clean_text
from yuqing.records import SHANGHAI, Author, Kind, Mention, Platform, mention_id

ARTICLE_URL = "https://www.toutiao.com/article/{}/"
_RESULT_JSON = re.compile(r'<script[^>]*data-for="s-result-json"[^>]*>(.*?)</script>', re.S)


def _time(item: dict[str, Any]) -> datetime | None:
    for key in ("publish_time", "create_time", "behot_time"):
        value = str(item.get(key) or "")
        if value.isdigit() and int(value) > 0:
            return datetime.fromtimestamp(int(value), SHANGHAI)
    return parse_datetime(str(item.get("datetime") or ""))


def parse_datetime(value: str) -> datetime | None:
    match = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", value)
    if not match:
        return None
    return datetime(*(int(v or 0) for v in match.groups()), tzinfo=SHANGHAI)


def search_items(text: str) -> list[dict[str, Any]] | None:
    """Result items of a search page (HTML or JSON API); None when the page is not a result page."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        data = json.loads(stripped)  # ValueError on truncated JSON: the caller counts it
        items = data.get("data")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else None
    blocks = _RESULT_JSON.findall(text)
    if text.count('data-for="s-result-json"') != len(blocks):
        raise ValueError("a result card is cut off (truncated page)")
    if not blocks and "s-result-list" not in text and "result-content" not in text:
        return None
    out = []
    for block in blocks:
        card = json.loads(html.unescape(block) if block.lstrip().startswith("&") else block)
        inner = card.get("data") if isinstance(card, dict) else None
        if isinstance(inner, dict):
            out.append(inner)
    return out


def item_to_mention(item: dict[str, Any], keyword: str, now: datetime) -> Mention | None:
    """A search result as a teaser mention; None for widgets and ads."""
    if item.get("tag") == "ad" or item.get("label") == "广告" or not item.get("title"):
        return None
    group_id = str(item.get("group_id") or item.get("item_id") or item.get("id") or "")
    url = str(item.get("article_url") or item.get("open_url") or item.get("share_url") or item.get("url") or "")
    if not group_id.isdigit() and not url:
        return None
    when = _time(item)
    return Mention(
        id=mention_id(Platform.toutiao, group_id if group_id.isdigit() else None, url),
        platform=Platform.toutiao, kind=Kind.article,
        url=ARTICLE_URL.format(group_id) if group_id.isdigit() else url,
        title=clean_text(str(item["title"])), text=clean_text(str(item.get("abstract") or "")),
        author=Author(name=str(item.get("media_name") or item.get("source") or ""),
                      id=str(item.get("user_id") or item.get("media_creator_id") or ""),
                      followers=parse_count(item["follower_count"]) if "follower_count" in item else None,
                      verified=bool(item.get("user_verified"))),
        published_at=when or now, fetched_at=now,
        comments=parse_count(item.get("comment_count")), likes=parse_count(item.get("digg_count")),
        views=parse_count(item.get("read_count")) if "read_count" in item else None, query=keyword)


def _js_string(page: str, name: str) -> str | None:
    match = re.search(rf"{name}\s*:\s*'((?:[^'\\]|\\.)*)'", page)
    if not match:
        return None
    raw = re.sub(r"\\u([0-9a-fA-F]{4})|\\(.)",
                 lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), match.group(1))
    value = html.unescape(raw)
    return value[1:-1] if value.startswith('"') and value.endswith('"') else value


def parse_article(page: str, teaser: Mention) -> Mention | None:
    """A Toutiao article page completing the teaser; None when neither template matches."""
    if "articleInfo" in page and "subInfo" in page:
        content = _js_string(page, "content")
        if content is None:
            return None
        text = clean_text(Selector(text=f"<div>{content}</div>").xpath("string(.)").get() or "")
        comments = re.search(r"comments_count:\s*(\d+)", page)
        when = parse_datetime(_js_string(page, "time") or "")
        media = re.search(r"mediaInfo:\s*\{\s*uid:\s*'(\d+)',\s*name:\s*'([^']*)'", page)
        return teaser.model_copy(update={
            "title": _js_string(page, "title") or teaser.title, "text": text or teaser.text,
            "published_at": when or teaser.published_at,
            "comments": int(comments.group(1)) if comments else teaser.comments,
            "author": Author(name=media.group(2), id=media.group(1)) if media else teaser.author})
    doc = Selector(text=page)
    body = doc.css("div.article-content article, article.syl-article-base")
    if not body:
        return None
    meta = " ".join(t.strip() for t in doc.css("div.article-meta ::text").getall() if t.strip())
    region = re.search(r"(?:发布于|IP属地[:：]?)\s*(\S+)", meta)
    name = doc.css("div.article-meta .name ::text, div.article-meta a ::text").get()
    return teaser.model_copy(update={
        "title": (doc.css("div.article-content h1 ::text").get() or teaser.title).strip(),
        "text": clean_text(body[0].xpath("string(.)").get() or "") or teaser.text,
        "published_at": parse_datetime(meta) or teaser.published_at,
        "region": region.group(1) if region else teaser.region,
        "author": teaser.author.model_copy(update={"name": name.strip()}) if name else teaser.author})


def comment_to_mention(entry: dict[str, Any], post: Mention, now: datetime) -> Mention:
    """One tab_comments entry as kind=comment linked to its article; KeyError if malformed."""
    comment = entry.get("comment", entry)
    cid = str(comment["id"])
    return Mention(
        id=mention_id(Platform.toutiao, f"comment-{cid}"), platform=Platform.toutiao, kind=Kind.comment,
        url=f"{post.url}#comment-{cid}", text=clean_text(str(comment.get("text") or "")),
        author=Author(name=str(comment.get("user_name") or ""), id=str(comment.get("user_id") or ""),
                      verified=bool(comment.get("user_verified"))),
        published_at=datetime.fromtimestamp(int(comment["create_time"]), SHANGHAI), fetched_at=now,
        comments=parse_count(comment.get("reply_count")), likes=parse_count(comment.get("digg_count")),
        region=str(comment.get("publish_loc_info") or ""), parent_id=post.id, query=post.query)
