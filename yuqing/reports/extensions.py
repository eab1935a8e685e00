"""The extension point through which later stages add to a briefing.

A briefing shows what the mention index and the site checks know; later stages join by
implementing `BriefingExtension` and returning it from `yuqing.wiring.briefing_extensions(settings)`.
The alerts stage does (`alerts/briefing.py`):

- `event_status(event_ids=..., now=...)`: a short status per event id, e.g.
  "红色预警 · 已确认 · 工单#12 处理中" (an event's id is the id of its first mention, which the
  alert's mentions include). It replaces the activity status the report shows by default.
- `sections(period=..., now=...)`: tables added after the events, e.g. 新增工单 (opened in the
  period, with department and status) and 超时工单 (overdue at `now`, with how long).

An extension that raises is logged and left out; the report is still made. An extension with a
`close()` method is closed by `generate_report` once the report is made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from yuqing.reports.model import ExtraSection, Period


class BriefingExtension(Protocol):
    def event_status(self, *, event_ids: list[str], now: datetime) -> dict[str, str]:
        """A status text for some of the given events (missing ids keep the default)."""
        ...

    def sections(self, *, period: Period, now: datetime) -> list[ExtraSection]:
        """Extra tables for the report of `period`."""
        ...
