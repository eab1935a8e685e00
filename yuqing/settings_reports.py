"""The `[reports]` section (daily and weekly 舆情简报) and `[notify.smtp]`, the mail server
they are sent through. Kept beside `yuqing/settings.py`, which includes them; imports no stage.

`[notify.smtp]` has the same keys as the notifications' SMTP settings of the alerts stage
(issue 6), so one mail server serves both once they meet.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from yuqing.settings_base import Section as _Section

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class Weekday(StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"

    @property
    def cron(self) -> str:
        return self.value[:3]


def hour_minute(value: str) -> tuple[int, int]:
    match = _TIME.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a time of day HH:MM (00:00 to 23:59)")
    return int(match.group(1)), int(match.group(2))


class ReportSettings(_Section):
    """When the briefings are made, for whom, in which formats."""

    enabled: bool = True  # `yuqing run` makes and sends them at the times below
    daily_time: str = "08:00"  # the daily report on the previous day, Asia/Shanghai
    weekly_weekday: Weekday = Weekday.monday
    weekly_time: str = "08:30"  # the weekly report on the 7 days up to the previous day
    recipients: list[str] = []  # e-mail addresses that receive both reports
    weekly_recipients: list[str] = []  # extra addresses for the weekly report only
    formats: list[Literal["html", "docx"]] = ["html", "docx"]  # files kept and attached
    top_events: int = Field(default=10, ge=1, le=50)  # negative events listed
    top_mentions: int = Field(default=5, ge=0, le=50)  # most-engaged negative mentions listed
    keep_days: int = Field(default=400, ge=1, le=3650)  # reports older than this are deleted
    base_url: str = ""  # the service's address, for the link in the e-mail (e.g. "https://yuqing.example.cn")

    @field_validator("daily_time", "weekly_time")
    @classmethod
    def _time(cls, value: str) -> str:
        hour_minute(value)
        return value

    @field_validator("recipients", "weekly_recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL.match(address.strip()):
                raise ValueError(f"'{address}' is not an e-mail address")
        return [a.strip() for a in value]

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one format")
        return list(dict.fromkeys(value))
