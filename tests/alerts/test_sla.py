"""SLA clocks: working time with the official holiday calendar, rule specificity, emergencies."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from alerts.tickets.sla import WorkCalendar, deadlines, is_workday, sla_rule
from tests.conftest import make_settings
from yuqing.records import SHANGHAI
from yuqing.settings_ops import SlaRule, TicketSettings

CLOCK = WorkCalendar.from_settings(make_settings(Path("data")))


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_working_minutes_skip_lunch_evening_and_weekend() -> None:
    # Default periods 08:30-12:00 and 13:30-17:30. Friday 2026-11-20 11:30 + 60 working minutes:
    # 30 before lunch, 30 after → 14:00.
    assert CLOCK.add(at(11, 20, 11, 30), 60) == at(11, 20, 14, 0)
    # Friday 17:00 + 60: 30 on Friday, the rest on Monday morning (21st/22nd are the weekend).
    assert CLOCK.add(at(11, 20, 17, 0), 60) == at(11, 23, 9, 0)
    # Started outside working hours (Saturday night): the clock starts Monday 08:30.
    assert CLOCK.add(at(11, 21, 22, 0), 30) == at(11, 23, 9, 0)
    assert CLOCK.between(at(11, 20, 17, 0), at(11, 23, 9, 0)) == pytest.approx(60)


def test_public_holidays_and_makeup_workdays_come_from_the_official_calendar() -> None:
    assert not is_workday(date(2026, 10, 1))  # National Day
    assert is_workday(date(2026, 10, 10))  # a Saturday worked to make up for the holiday
    assert not is_workday(date(2026, 10, 10), holidays=False)  # without the calendar: a plain Saturday
    # 2026-09-30 17:00 + 60 working minutes: 30 on the 30th, the holiday week is skipped → 10-08 09:00.
    assert CLOCK.add(at(9, 30, 17, 0), 60) == at(10, 8, 9, 0)
    no_holidays = WorkCalendar(CLOCK.periods, holidays=False)
    assert no_holidays.add(at(9, 30, 17, 0), 60) == at(10, 1, 9, 0)


def test_unknown_year_falls_back_to_weekdays_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert is_workday(date(2099, 1, 5))  # a Monday
        assert not is_workday(date(2099, 1, 3))  # a Saturday
    assert "no holiday data for 2099" in caplog.text


def test_most_specific_sla_rule_wins(tmp_path) -> None:
    settings = make_settings(tmp_path, tickets=TicketSettings(sla=[
        SlaRule(respond_minutes=100, resolve_minutes=1000),
        SlaRule(level="orange", respond_minutes=50, resolve_minutes=500),
        SlaRule(category="billing", respond_minutes=70, resolve_minutes=700),
        SlaRule(level="orange", category="billing", respond_minutes=10, resolve_minutes=20, working_time=False),
    ]))
    assert sla_rule(settings, level="orange", category="billing").respond_minutes == 10
    assert sla_rule(settings, level="orange", category="outage").respond_minutes == 50
    assert sla_rule(settings, level="blue", category="billing").respond_minutes == 70
    assert sla_rule(settings, level="blue", category="outage").respond_minutes == 100


def test_deadlines_red_in_calendar_time_and_reminders_before_them(tmp_path) -> None:
    settings = make_settings(tmp_path)  # red: respond 60 min, resolve 24 h, calendar time; remind at 80%
    start = at(11, 21, 23, 0)  # Saturday night: red does not wait for Monday
    clocks = deadlines(settings, level="red", category="outage", emergency=False, start=start)
    assert not clocks.working_time
    assert clocks.respond_due == start + timedelta(hours=1)
    assert clocks.resolve_due == start + timedelta(hours=24)
    assert clocks.remind_respond_at == start + timedelta(minutes=48)
    yellow = deadlines(settings, level="yellow", category="billing", emergency=False, start=at(11, 20, 16, 0))
    # 240 working minutes: 90 on Friday afternoon, 150 from Monday 08:30.
    assert yellow.working_time and yellow.respond_due == at(11, 23, 11, 0)


def test_emergency_tickets_get_minute_level_deadlines(tmp_path) -> None:
    settings = make_settings(tmp_path)
    start = at(10, 1, 3, 0)  # a holiday, at night
    clocks = deadlines(settings, level="red", category="safety", emergency=True, start=start)
    assert clocks.respond_due == start + timedelta(minutes=10)
    assert clocks.resolve_due == start + timedelta(minutes=240)


@pytest.mark.parametrize("periods", [[], ["9:00-17:00"], ["17:00-09:00"], ["08:00-25:00"]])
def test_bad_working_periods_are_refused(periods: list[str]) -> None:
    with pytest.raises(ValueError, match=r"period|working period"):
        TicketSettings(work_periods=periods)


def test_resolve_shorter_than_respond_is_refused() -> None:
    with pytest.raises(ValueError, match="resolve_minutes"):
        SlaRule(respond_minutes=100, resolve_minutes=10)
