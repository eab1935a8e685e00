"""Old posts (back-fills, first crawls, late finds) are stored and counted but open no alert or
ticket and page nobody; an old post of an event that has an open alert joins it quietly."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from alerts.models import Alert, AlertEvent
from alerts.tickets.models import Ticket
from alerts.tickets.scheduled import sla_sweep
from tests.alerts.conftest import Loop
from tests.alerts.test_flows import LEAK, OUTAGE, OUTAGE_REPOST
from tests.builders import BASE_TIME, mention
from yuqing.records import Author


def counts(loop: Loop) -> tuple[int, int]:
    with loop.db.read() as session:
        return (session.scalar(select(func.count()).select_from(Alert)),
                session.scalar(select(func.count()).select_from(Ticket)))


def test_an_old_life_safety_post_is_stored_but_opens_nothing_and_pages_nobody(loop: Loop) -> None:
    old = mention(1, LEAK, hours_ago=8 * 24)  # published eight days before it is found
    assert loop.feed(old, now=BASE_TIME) is None
    assert loop.store.get(old.id) is not None  # stored (and counted) as always
    assert counts(loop) == (0, 0) and loop.notices == []
    assert sla_sweep(loop.db, settings=loop.settings, now=BASE_TIME + timedelta(minutes=30)).escalated == 0


def test_the_age_limit_is_a_setting_and_a_recent_post_still_opens_an_emergency(loop: Loop) -> None:
    limit = loop.settings.alerts.max_post_age_hours
    assert limit == 72
    just_old = mention(2, LEAK, hours_ago=limit + 0.5)
    assert loop.feed(just_old, now=BASE_TIME) is None and counts(loop) == (0, 0)
    loop.settings.alerts.max_post_age_hours = 24 * 10  # an operator who wants old posts to alert
    fresh_enough = mention(3, LEAK + "！", hours_ago=8 * 24)
    opened = loop.feed(fresh_enough, now=BASE_TIME)
    assert opened is not None and opened.action == "opened" and opened.ticket_id is not None
    assert {n.kind for n in loop.notices} >= {"life_safety"}


def test_an_old_post_joins_its_events_open_alert_without_raising_or_paging(loop: Loop) -> None:
    loop.settings.alerts.max_post_age_hours = 24
    first = loop.post(10, OUTAGE)
    with loop.db.read() as session:
        before = session.get(Alert, first.alert_id)
        seen, level = before.last_seen_at, before.level
    loop.notices.clear()
    big = Author(name="泰安本地大V", id="99", followers=250_000)  # would raise a fresh post to orange
    old = mention(11, OUTAGE_REPOST, hours_ago=30, author=big)
    joined = loop.feed(old, now=BASE_TIME + timedelta(minutes=10))
    assert joined is not None and (joined.action, joined.alert_id) == ("attached", first.alert_id)
    assert joined.level == level == "yellow" and loop.notices == []
    with loop.db.read() as session:
        alert = session.get(Alert, first.alert_id)
        last = session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                               .order_by(AlertEvent.id.desc())).first()
    assert alert.mention_count == 2 and alert.level == "yellow" and alert.last_seen_at == seen
    assert last.action == "attach" and "旧信息" in last.comment and last.data["mention_id"] == old.id
    assert counts(loop) == (1, 0)
