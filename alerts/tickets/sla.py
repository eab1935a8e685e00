"""SLA clocks: which deadlines a ticket gets, counted in working time where configured.

Working time is the configured periods of each working day. Working days come from the
`chinese_calendar` package (public holidays and 调休 makeup days, updated every year when
the State Council publishes the next year's arrangement); for a year the installed package
does not know yet, Monday–Friday are used and a warning is logged once per year.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar

from yuqing.records import SHANGHAI
from yuqing.settings import Settings
from yuqing.settings_ops import SlaRule

log = logging.getLogger("yuqing.tickets.sla")
MAX_DAYS = 3 * 366  # a deadline further away than this means the settings are wrong


@lru_cache(maxsize=64)
def _warn_unknown_year(year: int) -> None:
    log.warning("chinese_calendar has no holiday data for %d: counting Monday–Friday as working days "
                "(upgrade the chinesecalendar package)", year)


def is_workday(day: date, *, holidays: bool = True) -> bool:
    """A working day: the official calendar when known, else Monday–Friday."""
    if holidays:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            _warn_unknown_year(day.year)
    return day.weekday() < 5


def _parse_periods(periods: list[str]) -> tuple[tuple[time, time], ...]:
    parsed = []
    for period in periods:
        start, end = period.split("-")
        end_time = time.max if end == "24:00" else time.fromisoformat(end)
        parsed.append((time.fromisoformat(start), end_time))
    return tuple(sorted(parsed))


@dataclass(frozen=True)
class WorkCalendar:
    periods: tuple[tuple[time, time], ...]
    holidays: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkCalendar:
        return cls(_parse_periods(settings.tickets.work_periods), settings.tickets.holiday_calendar)

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        if not is_workday(day, holidays=self.holidays):
            return []
        return [(datetime.combine(day, a, SHANGHAI), datetime.combine(day, b, SHANGHAI)) for a, b in self.periods]

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of working time after `start`."""
        start = start.astimezone(SHANGHAI)
        left = timedelta(minutes=minutes)
        day = start.date()
        for _ in range(MAX_DAYS):
            for window_start, window_end in self._windows(day):
                begin = max(start, window_start)
                if begin >= window_end:
                    continue
                if begin + left <= window_end:
                    return begin + left
                left -= window_end - begin
            day += timedelta(days=1)
        raise ValueError(f"no deadline within {MAX_DAYS} days: check tickets.work_periods")

    def between(self, start: datetime, end: datetime) -> float:
        """Working minutes from `start` to `end` (0 when end is not after start)."""
        if end <= start:
            return 0.0
        total = timedelta()
        day = start.astimezone(SHANGHAI).date()
        last = end.astimezone(SHANGHAI).date()
        while day <= last:
            for window_start, window_end in self._windows(day):
                begin, finish = max(start, window_start), min(end, window_end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 60


def sla_rule(settings: Settings, *, level: str, category: str) -> SlaRule:
    """The most specific SLA rule: level and category, then level, then category, then any."""
    def score(rule: SlaRule) -> int:
        return (2 if rule.level == level else 0) + (1 if rule.category == category else 0)

    fitting = [rule for rule in settings.tickets.sla
               if rule.level in (level, "*") and rule.category in (category, "*")]
    if not fitting:
        return SlaRule(respond_minutes=480, resolve_minutes=10 * 480)  # nothing configured: ten working days
    return max(fitting, key=score)


@dataclass(frozen=True, slots=True)
class Deadlines:
    respond_due: datetime
    resolve_due: datetime
    remind_respond_at: datetime
    remind_resolve_at: datetime
    working_time: bool


def deadlines(settings: Settings, *, level: str, category: str, emergency: bool, start: datetime) -> Deadlines:
    """Response and resolution deadlines for a ticket opened at `start`, and when to remind."""
    if emergency:
        emergency_sla = settings.tickets.emergency
        rule = SlaRule(respond_minutes=emergency_sla.respond_minutes,
                       resolve_minutes=emergency_sla.resolve_minutes, working_time=False)
    else:
        rule = sla_rule(settings, level=level, category=category)
    share = 1 - settings.tickets.remind_before_percent / 100
    if rule.working_time:
        clock = WorkCalendar.from_settings(settings)
        return Deadlines(clock.add(start, rule.respond_minutes), clock.add(start, rule.resolve_minutes),
                         clock.add(start, rule.respond_minutes * share), clock.add(start, rule.resolve_minutes * share),
                         True)
    return Deadlines(start + timedelta(minutes=rule.respond_minutes), start + timedelta(minutes=rule.resolve_minutes),
                     start + timedelta(minutes=rule.respond_minutes * share),
                     start + timedelta(minutes=rule.resolve_minutes * share), False)
