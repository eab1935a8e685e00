"""A planned operation that explains mentions and carries the approved public wording (口径)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alerts.db import Base


class PlannedKind(StrEnum):
    planned_outage = "planned_outage"  # 计划停气
    works = "works"  # 管道施工
    tariff = "tariff"  # 调价
    heating_season = "heating_season"  # 供暖季
    other = "other"


PLANNED_KIND_ZH = {PlannedKind.planned_outage: "计划停气", PlannedKind.works: "管道施工",
                   PlannedKind.tariff: "价格调整", PlannedKind.heating_season: "供暖季",
                   PlannedKind.other: "其他计划"}


class PlannedEvent(Base):
    __tablename__ = "planned_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    areas: Mapped[list[str]] = mapped_column(default=list)  # empty: the whole service area
    categories: Mapped[list[str]] = mapped_column(default=list)  # complaint categories it explains
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    notice: Mapped[str] = mapped_column(Text, default="")  # the published notice
    wording: Mapped[str] = mapped_column(Text, default="")  # approved public wording (口径)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_planned_events_time", "starts_at", "ends_at"),)
