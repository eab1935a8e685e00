"""Small parsers shared by spiders: platform counts and times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from yuqing.records import SHANGHAI

_COUNT = re.compile(r"^\s*([\d.]+)\s*(万|亿|w|k)?\+?\s*$", re.I)
_UNITS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "k": 1_000}


def parse_count(value: object) -> int:
    """Platform counts: 123, "123", "1.2万", "100万+", "" -> int (0 when unreadable)."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return max(0, int(value))
    match = _COUNT.match(str(value))
    if not match:
        return 0
    number = float(match.group(1))
    unit = (match.group(2) or "").lower()
    return int(number * _UNITS.get(unit, 1))


_MINUTES_AGO = re.compile(r"^(\d+)\s*分钟前$")
_HOURS_AGO = re.compile(r"^(\d+)\s*小时前$")
_DAY_TIME = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
_FULL_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def parse_weibo_time(value: str, now: datetime) -> datetime:
    """Weibo's created_at in every form it has used, as Asia/Shanghai time.

    RFC-2822-like "Thu Jun 17 16:00:11 +0800 2021", and the relative forms the mobile
    site shows: 刚刚, N分钟前, N小时前, 今天/昨天 HH:MM, MM-DD (this year), YYYY-MM-DD.
    Raises ValueError for anything else, so the caller can count it as malformed.
    """
    value = (value or "").strip()
    now = now.astimezone(SHANGHAI)
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(SHANGHAI)
    except ValueError:
        pass
    if value == "刚刚":
        return now
    if match := _MINUTES_AGO.match(value):
        return now - timedelta(minutes=int(match.group(1)))
    if match := _HOURS_AGO.match(value):
        return now - timedelta(hours=int(match.group(1)))
    if match := _DAY_TIME.match(value):
        back = {"今天": 0, "昨天": 1, "前天": 2}[match.group(1)]
        day = now - timedelta(days=back)
        return day.replace(hour=int(match.group(2)), minute=int(match.group(3)),
                           second=0, microsecond=0)
    if match := _MONTH_DAY.match(value):
        month, day = int(match.group(1)), int(match.group(2))
        hour, minute = int(match.group(3) or 0), int(match.group(4) or 0)
        moment = now.replace(month=month, day=day, hour=hour, minute=minute, second=0,
                             microsecond=0)
        # "12-30" read on January 2nd is last year's.
        return moment.replace(year=now.year - 1) if moment > now + timedelta(days=1) else moment
    if match := _FULL_DATE.match(value):
        parts = [int(p) if p else 0 for p in match.groups()]
        return datetime(*parts, tzinfo=SHANGHAI)
    raise ValueError(f"unrecognised Weibo time {value!r}")


_CN_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2}):(\d{2}))?")


def parse_cn_time(value: str, now: datetime) -> datetime | None:
    """Times as Chinese news pages print them, as Asia/Shanghai time, or None.

    刚刚, N分钟前, N小时前, N天前, 今天/昨天/前天 HH:MM, YYYY年M月D日 [HH:MM], M月D日 [HH:MM]
    (this year, or last year when that would be in the future), YYYY-MM-DD [HH:MM[:SS]].
    """
    value = re.sub(r"\s+", " ", (value or "").strip())
    now = now.astimezone(SHANGHAI)
    if match := re.search(r"(\d+)\s*天前", value):
        return now - timedelta(days=int(match.group(1)))
    for pattern in (_MINUTES_AGO, _HOURS_AGO, _DAY_TIME):
        if match := re.search(pattern.pattern.strip("^$"), value):
            try:
                return parse_weibo_time(match.group(0), now)
            except ValueError:
                return None
    if "刚刚" in value:
        return now
    if match := _CN_DATE.search(value):
        year, month, day, hour, minute = match.groups()
        moment = datetime(int(year or now.year), int(month), int(day), int(hour or 0), int(minute or 0),
                          tzinfo=SHANGHAI)
        if not year and moment > now + timedelta(days=1):
            moment = moment.replace(year=now.year - 1)
        return moment
    if match := re.search(r"\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?", value):
        return parse_weibo_time(match.group(0), now)
    return None
