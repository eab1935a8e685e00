"""m.weibo.cn answers: getIndex search cards, statuses and hotflow comments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from crawlers.parsing import parse_count, parse_weibo_time
from nlp.clean import clean_text
from yuqing.records import Author, Kind, Mention, Platform, mention_id

DELETED_MARKERS = ("此微博已被作者删除", "该微博已被删除", "此微博已被删除", "该账号因用户自行申请关闭")


def iter_mblogs(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Posts of a getIndex answer, at either nesting level."""
    for card in (data.get("data") or {}).get("cards") or []:
        if not isinstance(card, dict):
            continue
        if card.get("card_type") == 9 and isinstance(card.get("mblog"), dict):
            yield card["mblog"]
        for inner in card.get("card_group") or []:
            if isinstance(inner, dict) and inner.get("card_type") == 9 and isinstance(inner.get("mblog"), dict):
                yield inner["mblog"]


def is_deleted(mblog: dict[str, Any]) -> bool:
    text = str(mblog.get("text") or "")
    return (not mblog.get("user") or str(mblog.get("deleted", "0")) == "1"
            or any(marker in text for marker in DELETED_MARKERS))


def mid_of(mblog: dict[str, Any]) -> int:
    try:
        return int(mblog.get("id") or mblog.get("mid") or 0)
    except (TypeError, ValueError):
        return 0


def author_of(user: dict[str, Any]) -> Author:
    return Author(
        name=str(user.get("screen_name") or ""),
        id=str(user.get("id") or ""),
        followers=parse_count(user.get("followers_count")) if "followers_count" in user else None,
        verified=bool(user.get("verified")),
        verified_reason=str(user.get("verified_reason") or ""),
    )


def mblog_to_mention(mblog: dict[str, Any], keyword: str, now: datetime) -> Mention:
    """One Weibo status as a Mention; raises KeyError/ValueError on a malformed status."""
    mid = str(mblog["id"])
    region = str(mblog.get("region_name") or "").removeprefix("发布于").strip()
    return Mention(
        id=mention_id(Platform.weibo, mid),
        platform=Platform.weibo,
        kind=Kind.post,
        url=f"https://m.weibo.cn/detail/{mid}",
        text=clean_text(str(mblog.get("text") or "")),
        author=author_of(mblog.get("user") or {}),
        published_at=parse_weibo_time(str(mblog.get("created_at") or ""), now),
        fetched_at=now,
        reposts=parse_count(mblog.get("reposts_count")),
        comments=parse_count(mblog.get("comments_count")),
        likes=parse_count(mblog.get("attitudes_count")),
        region=region,
        query=keyword,
    )


def iter_comments(comments: list[Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(comment, the comment it replies to or None) for hotflow comments and inline replies."""
    for comment in comments:
        if not isinstance(comment, dict) or not comment.get("user"):
            continue
        yield comment, None
        replies = comment.get("comments")
        if isinstance(replies, list):
            for reply in replies:
                if isinstance(reply, dict) and reply.get("user"):
                    yield reply, comment


def comment_to_mention(pair: tuple[dict[str, Any], dict[str, Any] | None], post: Mention,
                       now: datetime) -> Mention:
    """A hot comment (or an inline reply) as kind=comment linked to its post or comment."""
    comment, replied = pair
    cid = str(comment["id"])
    parent = mention_id(Platform.weibo, f"comment-{replied['id']}") if replied else post.id
    source = str(comment.get("source") or "")
    return Mention(
        id=mention_id(Platform.weibo, f"comment-{cid}"),
        platform=Platform.weibo,
        kind=Kind.comment,
        url=f"{post.url}#comment-{cid}",
        text=clean_text(str(comment.get("text") or "")),
        author=author_of(comment.get("user") or {}),
        published_at=parse_weibo_time(str(comment.get("created_at") or ""), now),
        fetched_at=now,
        comments=parse_count(comment.get("total_number")),
        likes=parse_count(comment.get("like_count") if "like_count" in comment else comment.get("like_counts")),
        region=source.removeprefix("来自").strip() if source.startswith("来自") else "",
        parent_id=parent,
        query=post.query,
    )
