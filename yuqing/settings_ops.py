"""Settings of the closed loop: alerts, tickets and SLAs, departments, notifications, users.

Imported by `yuqing.settings` (it keeps the sections of the crawl and NLP stages); every
key is documented with its default in `yuqing.example.toml`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from yuqing.records import Category
from yuqing.settings_base import Section as _Section

LevelName = Literal["blue", "yellow", "orange", "red"]
_PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class AlertSettings(_Section):
    # Empty: SQLite file `yuqing.sqlite` in the data directory. PostgreSQL:
    # "postgresql+psycopg://user:password@host/dbname" (set it in the environment: it holds a password).
    database_url: SecretStr | None = None
    rules_file: Path | None = None  # default: alert_rules.yaml in the data directory
    event_window_hours: int = Field(default=72, ge=1, le=24 * 30)  # later mentions attach to an event this long
    suppress_hours: int = Field(default=24, ge=0, le=24 * 30)  # after a dismissal, the same event stays quiet
    burst_sweep_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # A mention published longer ago than this (a back-fill, a first crawl) is stored and counted
    # but opens no alert or ticket and pages nobody; it may still join its event's open alert.
    max_post_age_hours: int = Field(default=72, ge=1, le=24 * 365)
    operations_department: str = "it"  # who gets tickets for operational alerts (blocked sources, site checks)


class SlaRule(_Section):
    """Deadlines for tickets of one level and/or category; the most specific rule wins."""

    level: LevelName | Literal["*"] = "*"
    category: Category | Literal["*"] = "*"
    respond_minutes: int = Field(ge=1, le=60 * 24 * 60)  # until the department accepts (签收)
    resolve_minutes: int = Field(ge=1, le=60 * 24 * 365)  # until the department reports done (办结)
    working_time: bool = True  # count only working hours on working days (holidays excluded)

    @model_validator(mode="after")
    def _order(self) -> SlaRule:
        if self.resolve_minutes < self.respond_minutes:
            raise ValueError("resolve_minutes must not be shorter than respond_minutes")
        return self


DEFAULT_SLA = [
    SlaRule(level="red", respond_minutes=60, resolve_minutes=24 * 60, working_time=False),
    SlaRule(level="orange", respond_minutes=120, resolve_minutes=2 * 480),
    SlaRule(level="yellow", respond_minutes=240, resolve_minutes=5 * 480),
    SlaRule(level="blue", respond_minutes=480, resolve_minutes=10 * 480),
]


class EmergencySettings(_Section):
    """The life-safety lane: gas smell, leak, poisoning, explosion."""

    department: str = "repair"  # 抢修: receives the emergency ticket at once
    respond_minutes: int = Field(default=10, ge=1, le=24 * 60)  # calendar minutes, never working time
    resolve_minutes: int = Field(default=240, ge=1, le=24 * 60 * 7)


class TicketSettings(_Section):
    # Working hours of a working day, "HH:MM-HH:MM", Asia/Shanghai.
    work_periods: list[str] = ["08:30-12:00", "13:30-17:30"]
    # Skip Chinese public holidays and count 调休 makeup Saturdays/Sundays as working days.
    holiday_calendar: bool = True
    sla: list[SlaRule] = DEFAULT_SLA
    emergency: EmergencySettings = EmergencySettings()
    remind_before_percent: int = Field(default=20, ge=1, le=90)  # remind when this share of the time is left
    escalation_levels: list[str] = ["督查专班", "分管领导", "总经理"]  # 督办 goes up one level at a time
    escalate_every_minutes: int = Field(default=240, ge=1, le=24 * 60 * 7)  # while still overdue
    sla_sweep_minutes: int = Field(default=1, ge=1, le=60)

    @field_validator("work_periods")
    @classmethod
    def _periods(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one working period, e.g. '08:30-17:30'")
        for period in value:
            match = _PERIOD.match(period)
            if not match or period[:5] >= period[6:]:
                raise ValueError(f"'{period}' is not a period 'HH:MM-HH:MM' with start before end")
        return value

    @field_validator("escalation_levels")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one escalation level")
        return value


class DepartmentSettings(_Section):
    name: str  # shown to staff, e.g. 客服中心
    categories: list[Category] = []  # complaint categories suggested to this department
    members: list[str] = []  # user names of its handlers (for suggestions and notifications)


DEFAULT_DEPARTMENTS = {
    "customer": DepartmentSettings(name="客服中心", categories=[Category.billing, Category.service]),
    "dispatch": DepartmentSettings(name="调度中心", categories=[Category.outage]),
    "safety": DepartmentSettings(name="安全部", categories=[Category.safety, Category.inspection, Category.scam]),
    "repair": DepartmentSettings(name="抢修中心", categories=[Category.maintenance]),
    "engineering": DepartmentSettings(name="工程部", categories=[Category.construction, Category.connection]),
    "it": DepartmentSettings(name="信息中心", categories=[Category.online]),
    "office": DepartmentSettings(name="综合办公室", categories=[Category.other]),
}

NoticeKind = Literal["alert", "life_safety", "operations", "assigned", "reminder", "escalated", "recovered"]


class ChannelSettings(_Section):
    kind: Literal["wecom", "dingtalk", "feishu", "email", "sms"]
    label: str = Field(default="", max_length=40)  # the name staff read in 通知记录, e.g. 公关群
    enabled: bool = True
    url: SecretStr | None = None  # the robot's webhook URL (it embeds the key: keep it in the environment)
    secret: SecretStr | None = None  # DingTalk / Feishu signing secret
    to: list[str] = []  # e-mail addresses, or phone numbers for the SMS/phone gateway
    events: list[NoticeKind] = ["alert", "life_safety", "operations", "assigned", "reminder", "escalated",
                                "recovered"]
    min_level: LevelName = "orange"  # alert notices below this level are not sent on this channel
    departments: list[str] = []  # ticket notices only for these departments (empty: all)

    @model_validator(mode="after")
    def _target(self) -> ChannelSettings:
        if self.kind == "email" and not self.to:
            raise ValueError("an email channel needs 'to' addresses")
        if self.kind != "email" and self.enabled and self.url is None:
            raise ValueError(f"a {self.kind} channel needs its webhook 'url'")
        return self


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    username: str = ""
    password: SecretStr | None = None
    sender: str = "yuqing@localhost"
    starttls: bool = False
    ssl: bool = False
    timeout_seconds: float = Field(default=10, gt=0, le=120)


class NotifySettings(_Section):
    channels: dict[str, ChannelSettings] = {}
    smtp: SmtpSettings = SmtpSettings()
    attempts: int = Field(default=4, ge=1, le=10)  # per channel and message
    backoff_seconds: float = Field(default=2.0, ge=0, le=600)  # doubled after each failed attempt
    timeout_seconds: float = Field(default=10, gt=0, le=120)
    base_url: str = ""  # link printed in messages, e.g. "https://yuqing.example.cn"


class AuthSettings(_Section):
    token_hours: int = Field(default=12, ge=1, le=24 * 30)  # a login token expires after this
    min_password_length: int = Field(default=10, ge=8, le=128)
    max_failed_logins: int = Field(default=5, ge=1, le=100)  # then the account waits lockout_minutes
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Failed logins counted per client address and per user name over login_window_minutes;
    # beyond either limit the login answers 429 with Retry-After, without checking the password.
    login_failures_per_address: int = Field(default=20, ge=1, le=10_000)
    login_failures_per_user: int = Field(default=10, ge=1, le=10_000)
    login_window_minutes: int = Field(default=10, ge=1, le=24 * 60)
