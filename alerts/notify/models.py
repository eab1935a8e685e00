"""The delivery log: one row per message and channel, with its attempts and outcome."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alerts.db import Base


class DeliveryStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # every attempt failed


DELIVERY_STATUS_ZH = {DeliveryStatus.pending: "待发送", DeliveryStatus.sent: "已发送",
                      DeliveryStatus.failed: "发送失败"}
# What a notice is about (`Notice.kind`, the `events` a channel takes), as staff read it.
NOTICE_KIND_ZH = {"alert": "舆情预警", "life_safety": "人身安全预警", "operations": "系统运行告警",
                  "assigned": "工单派发", "reminder": "工单提醒", "escalated": "督办升级", "recovered": "恢复通知"}


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(40), default="")  # "alert:12", "ticket:5"
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")  # never a URL or a secret
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_deliveries_status", "status", "created_at"), Index("ix_deliveries_ref", "ref"))
