"""Douyin web API answers: general search and video comments.

- Search `www.douyin.com/aweme/v1/web/general/search/single/`: `{status_code, data:[{type,
  aweme_info:{aweme_id, desc, create_time, author{uid, nickname, follower_count,
  custom_verify, enterprise_verify_reason}, statistics{comment_count, digg_count,
  share_count, collect_count, play_count}, share_url}} | {aweme_mix_info:{mix_items:[…]}} |
  other cards], cursor, has_more, extra{logid}}`. A refused anonymous or unsigned search is
  HTTP 200 with `data: []` and `search_nil_info.search_nil_type` = "verify_check" (captcha)
  or "params_check" (the signature was rejected).
- Comments `www.douyin.com/aweme/v1/web/comment/list/?aweme_id=…&cursor=N&count=20`:
  `{status_code, comments:[{cid, text, aweme_id, create_time, digg_count,
  reply_comment_total, ip_label, user{uid, nickname}}], cursor, has_more, total}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from crawlers.parsing import parse_count
from nlp.clean import clean_text
from yuqing.records import SHANGHAI, Author, Kind, Mention, Platform, mention_id

VIDEO_URL = "https://www.douyin.com/video/{}"


def refusal(data: dict[str, Any]) -> str | None:
    """Why an HTTP-200 search answer is a refusal, or None."""
    nil = data.get("search_nil_info") or {}
    kind = str(nil.get("search_nil_type") or "")
    if kind == "verify_check":
        return "verify_check"
    if kind == "params_check" or nil.get("search_nil_item") == "invalid_app":
        return "signature_rejected"
    code = data.get("status_code")
    if code not in (0, None):
        return "api_error"
    return None


def iter_awemes(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Videos of a search answer: `aweme_info`, or the first item of a mix card."""
    for card in data.get("data") or []:
        if not isinstance(card, dict):
            continue
        aweme = card.get("aweme_info")
        if not isinstance(aweme, dict):
            mix = (card.get("aweme_mix_info") or {}).get("mix_items") or []
            aweme = mix[0] if mix and isinstance(mix[0], dict) else None
        if aweme:
            yield aweme


def is_deleted(aweme: dict[str, Any]) -> bool:
    status = aweme.get("status") or {}
    return bool(status.get("is_delete")) or status.get("private_status") == 1 or not aweme.get("author")


def _author(user: dict[str, Any]) -> Author:
    reason = str(user.get("enterprise_verify_reason") or user.get("custom_verify") or "")
    return Author(name=str(user.get("nickname") or ""), id=str(user.get("uid") or user.get("sec_uid") or ""),
                  followers=parse_count(user["follower_count"]) if user.get("follower_count") else None,
                  verified=bool(reason), verified_reason=reason)


def aweme_to_mention(aweme: dict[str, Any], keyword: str, now: datetime) -> Mention:
    """One video as a Mention; KeyError/ValueError when malformed."""
    aweme_id = str(aweme["aweme_id"])
    stats = aweme.get("statistics") or {}
    author = aweme.get("author") or {}
    return Mention(
        id=mention_id(Platform.douyin, aweme_id), platform=Platform.douyin, kind=Kind.video,
        url=VIDEO_URL.format(aweme_id), text=clean_text(str(aweme.get("desc") or "")),
        author=_author(author), published_at=datetime.fromtimestamp(int(aweme["create_time"]), SHANGHAI),
        fetched_at=now, reposts=parse_count(stats.get("share_count")),
        comments=parse_count(stats.get("comment_count")), likes=parse_count(stats.get("digg_count")),
        views=parse_count(stats["play_count"]) if stats.get("play_count") else None,
        region=str(aweme.get("ip_label") or author.get("ip_location") or "").removeprefix("IP属地："),
        query=keyword)


def comment_to_mention(comment: dict[str, Any], post: Mention, now: datetime) -> Mention:
    cid = str(comment["cid"])
    text = clean_text(str(comment.get("text") or ""))
    if not text and (comment.get("image_list") or comment.get("sticker")):
        text = "[图片评论]" if comment.get("image_list") else "[表情评论]"  # as the app shows it
    return Mention(
        id=mention_id(Platform.douyin, f"comment-{cid}"), platform=Platform.douyin, kind=Kind.comment,
        url=f"{post.url}#comment-{cid}", text=text,
        author=_author(comment.get("user") or {}),
        published_at=datetime.fromtimestamp(int(comment["create_time"]), SHANGHAI), fetched_at=now,
        comments=parse_count(comment.get("reply_comment_total")), likes=parse_count(comment.get("digg_count")),
        region=str(comment.get("ip_label") or ""), parent_id=post.id, query=post.query)
