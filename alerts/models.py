"""Alert records: an alert per event, the mentions attached to it, its audit trail, the
labelled examples reviewers produce, and the history of the rule file."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alerts.db import Base


class AlertKind(StrEnum):
    mention = "mention"  # one or more mentions matched a rule
    burst = "burst"  # volume of a category or event far above its own baseline
    life_safety = "life_safety"  # leak, gas smell, poisoning, explosion: emergency ticket at once
    operations = "operations"  # our own systems: blocked sources, failing site checks


class AlertStatus(StrEnum):
    pending = "pending"  # 待研判
    confirmed = "confirmed"  # 已确认 (a ticket exists)
    dismissed = "dismissed"  # 已排除
    resolved = "resolved"  # 已解除 (an operational problem recovered)


ALERT_STATUS_ZH = {AlertStatus.pending: "待研判", AlertStatus.confirmed: "已确认",
                   AlertStatus.dismissed: "已排除", AlertStatus.resolved: "已解除"}
OPEN_STATUSES = (AlertStatus.pending, AlertStatus.confirmed)


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=AlertStatus.pending)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    rule_ids: Mapped[list[str]] = mapped_column(default=list)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    category: Mapped[str] = mapped_column(String(20), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    fingerprint: Mapped[str] = mapped_column(String(16), default="")
    event_key: Mapped[str] = mapped_column(String(200), default="")  # bursts and operational alerts
    department: Mapped[str] = mapped_column(String(40), default="")  # suggested / operational target
    mention_count: Mapped[int] = mapped_column(default=0)
    first_mention_id: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]  # when a mention or an occurrence last attached
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    expected: Mapped[bool] = mapped_column(default=False)  # explained by a planned operation
    calendar_event_id: Mapped[int | None] = mapped_column(ForeignKey("planned_events.id", ondelete="SET NULL"),
                                                          default=None)
    wording: Mapped[str] = mapped_column(Text, default="")  # approved public wording (口径)
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    suppress_until: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_alerts_status_seen", "status", "last_seen_at"),
        Index("ix_alerts_level_opened", "level", "opened_at"),
        Index("ix_alerts_opened", "opened_at"),
        Index("ix_alerts_event_key", "event_key"),
    )


class AlertMention(Base):
    """A mention attached to an alert (an event has one alert and many mentions)."""

    __tablename__ = "alert_mentions"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    mention_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    rule_ids: Mapped[list[str]] = mapped_column(default=list)
    fingerprint: Mapped[str] = mapped_column(String(16), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(20), default="")
    published_at: Mapped[datetime]
    attached_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_alert_mentions_mention", "mention_id"),
        Index("ix_alert_mentions_attached", "alert_id", "attached_at"),
    )


class AlertEvent(Base):
    """Append-only: who did what to an alert, when (the database refuses updates and deletes)."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    from_value: Mapped[str] = mapped_column(String(40), default="")
    to_value: Mapped[str] = mapped_column(String(40), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_alert_events_alert", "alert_id", "id"),)


class LabelledExample(Base):
    """A reviewer's sentiment/category correction, kept as training data for the models."""

    __tablename__ = "labelled_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(10), default=None)
    categories: Mapped[list[str] | None] = mapped_column(default=None)
    model_sentiment: Mapped[str] = mapped_column(String(10), default="")
    model_categories: Mapped[list[str]] = mapped_column(default=list)
    alert_id: Mapped[int | None] = mapped_column(default=None)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_labelled_examples_at", "at"),)


class RuleVersion(Base):
    """Every valid rule file that was in force, newest last (the last one is the fallback)."""

    __tablename__ = "rule_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
