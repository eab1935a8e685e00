"""Volume bursts against their own baseline (expected during a planned operation), and the
reviewer's correction kept in the index and as a labelled example (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts import service
from alerts.actor import SYSTEM
from alerts.calendar.models import PlannedKind
from alerts.calendar.service import create_event
from alerts.errors import NotFound
from alerts.models import Alert, AlertMention, LabelledExample
from alerts.scheduled import burst_sweep
from tests.alerts.conftest import Loop
from tests.builders import BASE_TIME, actor, mention
from yuqing.records import Category, SentimentLabel

OUTAGE = "泰安港华燃气又停气了，泰山区温泉路这边做不了饭，太气人了"


def fill(loop: Loop, *, recent: int, baseline_per_day: int, start: int = 1000) -> None:
    """`recent` outage mentions in the last hour, `baseline_per_day` on each of the 14 days before."""
    analysis = loop.analyzer.analyze(mention(0, OUTAGE))
    items = [(mention(start + i, OUTAGE, hours_ago=0.1 + i * 0.1), analysis) for i in range(recent)]
    n = start + recent
    for day in range(1, 15):
        for k in range(baseline_per_day):  # spread evenly over the day
            items.append((mention(n, OUTAGE, hours_ago=day * 24 + k * 24 / baseline_per_day), analysis))
            n += 1
    loop.store.upsert(items)


def test_a_category_burst_against_its_baseline_opens_one_alert(loop: Loop) -> None:
    fill(loop, recent=8, baseline_per_day=2)
    outcomes = burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=loop.settings, now=BASE_TIME)
    (burst,) = [o for o in outcomes if o.action == "opened"]
    with loop.db.read() as session:
        alert = session.get(Alert, burst.alert_id)
        attached = session.scalars(select(AlertMention).where(AlertMention.alert_id == alert.id)).all()
    assert (alert.kind, alert.level, alert.category, alert.expected) == ("burst", "orange", "outage", False)
    assert "近 60 分钟 8 条" in alert.title and len(attached) == 8
    assert any(n.ref == f"alert:{alert.id}" for n in loop.notices)
    again = burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=loop.settings,
                        now=BASE_TIME + timedelta(minutes=10))
    assert [o.action for o in again if o.alert_id == alert.id] == ["attached"]  # still one alert


def test_ordinary_volume_is_no_burst(loop: Loop) -> None:
    fill(loop, recent=6, baseline_per_day=72)  # three an hour is normal here: six is not 3× that
    assert burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=loop.settings, now=BASE_TIME) == []


def test_a_handful_is_no_burst_even_without_baseline(loop: Loop) -> None:
    fill(loop, recent=4, baseline_per_day=0)  # below min_count (5)
    assert burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=loop.settings, now=BASE_TIME) == []
    fill(loop, recent=1, baseline_per_day=0, start=2000)
    assert len(burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=loop.settings, now=BASE_TIME)) == 1


def test_a_burst_during_a_planned_outage_is_shown_as_expected(loop: Loop) -> None:
    with loop.db.write() as session:
        create_event(session, kind=PlannedKind.planned_outage, title="泰山区计划停气", areas=["泰山区"],
                     starts_at=BASE_TIME - timedelta(hours=3), ends_at=BASE_TIME + timedelta(hours=5), actor=SYSTEM,
                     now=BASE_TIME, wording="计划停气，今晚恢复。")
    fill(loop, recent=8, baseline_per_day=1)
    (burst,) = burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=loop.settings, now=BASE_TIME)
    with loop.db.read() as session:
        alert = session.get(Alert, burst.alert_id)
    assert (alert.level, alert.expected, alert.wording) == ("blue", True, "计划停气，今晚恢复。")
    assert alert.title.startswith("【预期】") and loop.notices == []  # nobody paged for the expected


def test_an_event_spreading_fast_is_raised(loop: Loop) -> None:
    first = loop.post(1, "泰山港华燃气岱岳区停气三天，客服电话打不通", minutes_later=-600)
    for i in range(2, 8):
        loop.post(i, f"泰山港华燃气岱岳区停气三天，客服电话打不通{'！' * i}", minutes_later=-30 + i)
    with loop.db.read() as session:
        before = session.get(Alert, first.alert_id).level
    assert before == "orange"  # the fifth mention already raised it (repeated-complaint)
    with loop.db.write() as session:
        session.get(Alert, first.alert_id).level = "yellow"  # pretend the rule had not fired
    outcomes = burst_sweep(loop.db, store=loop.store, rules=loop.rules, settings=loop.settings, now=BASE_TIME)
    assert [(o.alert_id, o.action, o.level) for o in outcomes if o.alert_id == first.alert_id] == \
        [(first.alert_id, "raised", "orange")]


def test_a_correction_is_stored_survives_recrawl_and_becomes_a_labelled_example(loop: Loop) -> None:
    # a planned outage the reviewer reads as neutral news; the model reads a complaint
    text = "泰安港华燃气又停气了，打电话问了才知道是计划检修，下午就恢复了"
    outcome = loop.post(1, text)
    assert outcome is not None and loop.store.get("weibo:1").sentiment == "negative"
    with loop.db.write() as session:
        example = service.correct_mention(session, store=loop.store, alert_id=outcome.alert_id, mention_id="weibo:1",
                                          actor=actor("pr", "reviewer"), now=BASE_TIME,
                                          sentiment=SentimentLabel.neutral, categories=[Category.maintenance])
    assert (example.model_sentiment, example.sentiment, example.categories) == \
        ("negative", "neutral", ["maintenance"])
    loop.store.upsert([(mention(1, text, likes=9), loop.analyzer.analyze(mention(1, text)))])  # re-crawl
    stored = loop.store.get("weibo:1")
    assert stored.sentiment == "neutral" and stored.categories == ["maintenance"] and stored.mention.likes == 9
    assert stored.correction.by == "reviewer"
    with loop.db.read() as session:
        (kept,) = session.scalars(select(LabelledExample)).all()
        assert kept.text == text and kept.alert_id == outcome.alert_id
        actions = [e.action for e in service.alert_events(session, alert_id=outcome.alert_id)]
    assert actions[-1] == "correct"


def test_correcting_a_mention_outside_the_alert_changes_nothing(loop: Loop) -> None:
    outcome = loop.post(1, "泰安港华燃气费这个月多收了两百，表走得快，投诉也没人管")
    loop.post(2, "周末去泰山看日出")
    with pytest.raises(NotFound), loop.db.write() as session:
        service.correct_mention(session, store=loop.store, alert_id=outcome.alert_id, mention_id="weibo:2",
                                actor=actor("pr"), now=BASE_TIME, sentiment=SentimentLabel.negative)
    assert loop.store.get("weibo:2").correction is None
    with loop.db.read() as session:
        assert session.scalars(select(LabelledExample)).all() == []


def test_a_correction_checks_the_alert_again(loop: Loop) -> None:
    outcome = loop.post(1, "泰安港华燃气费这个月多收了两百，表走得快，投诉也没人管")
    with loop.db.read() as session:
        before = list(session.get(Alert, outcome.alert_id).reasons)
    assert before and service.NO_LONGER_MATCHED not in before
    rules = loop.rules.refresh()
    with loop.db.write() as session:  # the categories change, the rules still read a complaint
        service.correct_mention(session, store=loop.store, alert_id=outcome.alert_id, mention_id="weibo:1",
                                actor=actor("pr"), now=BASE_TIME, categories=[Category.billing], rules=rules)
    with loop.db.write() as session:  # read as praise, no rule calls for the alert any more
        service.correct_mention(session, store=loop.store, alert_id=outcome.alert_id, mention_id="weibo:1",
                                actor=actor("pr"), now=BASE_TIME, sentiment=SentimentLabel.positive, rules=rules)
    with loop.db.read() as session:
        alert = session.get(Alert, outcome.alert_id)
        events = service.alert_events(session, alert_id=outcome.alert_id)
    assert alert.reasons == [service.NO_LONGER_MATCHED] and alert.status == "pending"  # the reviewer decides
    (recheck,) = [e for e in events if e.action == "recheck"]
    assert recheck.from_value == "、".join(before) and "请复核是否排除" in recheck.comment


def test_a_correction_leaves_an_event_of_several_mentions_as_it_was(loop: Loop) -> None:
    first = loop.post(1, "泰山港华燃气岱岳区停气三天，客服电话打不通", minutes_later=-60)
    loop.post(2, "泰山港华燃气岱岳区停气三天，客服电话打不通！", minutes_later=-30)
    with loop.db.read() as session:
        alert = session.get(Alert, first.alert_id)
        before = list(alert.reasons)
    assert alert.mention_count == 2
    rules = loop.rules.refresh()
    with loop.db.write() as session:
        service.correct_mention(session, store=loop.store, alert_id=first.alert_id, mention_id="weibo:1",
                                actor=actor("pr"), now=BASE_TIME, sentiment=SentimentLabel.positive, rules=rules)
    with loop.db.read() as session:
        assert session.get(Alert, first.alert_id).reasons == before
        assert "recheck" not in [e.action for e in service.alert_events(session, alert_id=first.alert_id)]
