"""Public message boards: 人民网领导留言板 (liuyan.people.com.cn) and generic 12345 / 市长信箱
pages configured by CSS selectors.

A board message becomes `kind=message` (title prefixed with its status, e.g. 【已回复】), and
an official reply `kind=comment` linked to it, authored by the answering organisation.

人民网领导留言板 API (signed POST JSON; see `people_signature`):
- search `POST /v2/threads/search?sortType=0` →
  `{"code":0,"msg":"ok","data":{"data":[{tid, subject, content, forumName, typeName,
  domainName, stateInfo, createDateline, nickName}]}}`;
- detail `POST /v1/threads/content` → `{"resultData":{"contentList":[{dataType, content,
  dateline, nickName, organization, stateInfo}]}}`, dataType 1 the citizen's message,
  4 the official reply. An unsigned or malformed request gets HTTP 200 with
  `{"code":"SN0006","msg":"数据格式错误"}`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from crawlers.parsing import parse_cn_time
from nlp.clean import clean_text
from yuqing.records import SHANGHAI, Author, Kind, Mention, Platform, mention_id

PEOPLE = "https://liuyan.people.com.cn"
ANSWERED = ("已回复", "已办理", "已办结", "已答复", "办结")


def people_signature(path: str, param: str, app_code: str, token: str = "") -> str:
    """The board's request signature: md5(path + param JSON + md5(appCode)[:16] + token)."""
    app_key = hashlib.md5(app_code.encode()).hexdigest()[:16]
    return hashlib.md5(f"{path}{param}{app_key}{token}".encode()).hexdigest()


def people_body(path: str, param: dict[str, Any], app_code: str) -> str:
    """The JSON body of a signed request; the param's key order is part of the signature."""
    param_json = json.dumps(param, ensure_ascii=False, separators=(",", ":"))
    return json.dumps({"appCode": app_code, "token": "", "signature": people_signature(path, param_json, app_code),
                       "param": param_json}, ensure_ascii=False)


def _epoch(value: Any) -> datetime | None:
    text = str(value or "").strip()
    if not text.isdigit() or int(text) <= 0:
        return None
    seconds = int(text) / 1000 if len(text) > 11 else int(text)
    return datetime.fromtimestamp(seconds, SHANGHAI)


def is_answered(status: str) -> bool:
    return any(word in status for word in ANSWERED)


def message_title(subject: str, status: str) -> str:
    return f"【{status}】{subject}" if status else subject


def people_message(item: dict[str, Any], query: str, now: datetime) -> Mention:
    """A search result as a message mention; KeyError/ValueError when malformed."""
    tid = str(item["tid"])
    published = _epoch(item.get("createDateline") or item.get("dateline"))
    if published is None:
        raise ValueError(f"message {tid}: no time")
    return Mention(
        id=mention_id(Platform.board, f"people-{tid}"), platform=Platform.board, kind=Kind.message,
        url=f"{PEOPLE}/threads/content?tid={tid}",
        title=message_title(clean_text(str(item.get("subject") or "")), str(item.get("stateInfo") or "")),
        text=clean_text(str(item.get("content") or "")),
        author=Author(name=str(item.get("nickName") or ""), verified_reason=str(item.get("forumName") or "")),
        published_at=published, fetched_at=now, region=str(item.get("domainName") or ""), query=query)


def people_detail(data: dict[str, Any], message: Mention, now: datetime) -> tuple[Mention, list[Mention], str]:
    """(message completed from the detail, official replies, status) from a detail answer."""
    entries = ((data.get("resultData") or data.get("data") or {}).get("contentList")) or []
    if not isinstance(entries, list):
        raise ValueError("contentList is not a list")
    status, replies = "", []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        status = str(entry.get("stateInfo") or status)
        if entry.get("dataType") == 1 and entry.get("content"):
            message = message.model_copy(update={"text": clean_text(str(entry["content"]))})
        elif entry.get("dataType") == 4 and entry.get("content"):
            replies.append(reply_mention(message, len(replies) + 1, str(entry["content"]),
                                         _epoch(entry.get("dateline")) or now,
                                         str(entry.get("organization") or entry.get("nickName") or ""), now))
    subject = re.sub(r"^【[^】]*】", "", message.title)
    if status:
        message = message.model_copy(update={"title": message_title(subject, status)})
    return message, replies, status


def reply_mention(message: Mention, n: int, text: str, when: datetime, organisation: str, now: datetime) -> Mention:
    return Mention(
        id=f"{message.id}-reply-{n}", platform=Platform.board, kind=Kind.comment,
        url=f"{message.url}#reply-{n}", title="官方回复", text=clean_text(text),
        author=Author(name=organisation, verified=True, verified_reason="官方回复"),
        published_at=when, fetched_at=now, region=message.region, parent_id=message.id, query=message.query)


def _first_text(node: Selector, selector: str) -> str:
    if not selector:
        return ""
    return re.sub(r"\s+", " ", " ".join(n.xpath("string(.)").get() or "" for n in node.css(selector)[:1])).strip()


def board_rows(page: str, spec: Any, base_url: str, now: datetime) -> list[dict[str, Any]] | None:
    """Rows of a configured board's list page; None when the row selector matches nothing
    on a page that has no list at all (a changed layout)."""
    doc = Selector(text=page)
    rows = []
    for row in doc.css(spec.item):
        href = row.css(spec.link).attrib.get("href", "") if row.css(spec.link) else ""
        if not href:
            continue
        date = _first_text(row, spec.date)
        rows.append({"url": _join(base_url, href),
                     "title": _first_text(row, spec.title) or _first_text(row, spec.link),
                     "status": _first_text(row, spec.status),
                     "published_at": parse_cn_time(date, now) if date else None})
    return rows


def board_message(page: str, spec: Any, row: dict[str, Any], board: str,
                  now: datetime) -> tuple[Mention, list[Mention]]:
    """A configured board's message page: the message and its reply (ValueError if no content)."""
    doc = Selector(text=page)
    content = _first_text(doc, spec.content)
    if not content:
        raise ValueError(f"{row['url']}: no content at {spec.content!r}")
    reply = _first_text(doc, spec.reply)
    status = row["status"] or ("已回复" if reply else "")
    subject = re.sub(r"^【[^】]*】", "", row["title"])
    message = Mention(
        id=mention_id(Platform.board, url=row["url"]), platform=Platform.board, kind=Kind.message, url=row["url"],
        title=message_title(subject, status), text=clean_text(content),
        author=Author(name=board), published_at=row["published_at"] or now, fetched_at=now,
        region=_first_text(doc, spec.region), query=row.get("query", ""))
    if not reply:
        return message, []
    when = parse_cn_time(_first_text(doc, spec.reply_date), now) or now
    return message, [reply_mention(message, 1, reply, when, _first_text(doc, spec.reply_org) or board, now)]


def _join(base: str, href: str) -> str:
    return urljoin(base, href)
