"""New mentions → one alert per event, levels raised by later mentions, suppression after a
dismissal, the life-safety lane, and the operations calendar (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts import service
from alerts.actor import SYSTEM
from alerts.calendar.models import PlannedKind
from alerts.calendar.service import create_event
from alerts.errors import Conflict, Forbidden
from alerts.flows import explain_open_alerts
from alerts.models import Alert, AlertEvent
from alerts.tickets.models import Ticket
from alerts.tickets.service import ticket_events
from tests.alerts.conftest import Loop
from tests.builders import actor
from yuqing.records import Author

LEAK = "泰山港华燃气，岱岳区粥店街道幸福家园3号楼楼道里闻到很浓的燃气味，打了电话还没人来，太吓人了"
LEAK_AGAIN = "幸福家园3号楼楼道燃气味特别大，泰安港华快来人看看！"
OUTAGE = "泰山港华燃气岱岳区停气三天，客服电话打不通"
OUTAGE_REPOST = "泰山港华燃气岱岳区停气三天了，客服电话一直打不通！"
OTHER_OUTAGE = "泰安港华燃气又停气了，泰山区温泉路这边做不了饭，太气人了"
BILLING = "泰安港华燃气费这个月多收了两百，表走得快，投诉也没人管"
SAFETY_TIP = "燃气泄漏怎么办？泰山港华燃气提醒您注意安全知识"
HARMLESS = "周末去泰山看日出"
PR = actor("pr")


def alerts_in(loop: Loop) -> list[Alert]:
    with loop.db.read() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_a_negative_complaint_opens_one_alert_and_reposts_attach_to_it(loop: Loop) -> None:
    assert loop.post(1, HARMLESS) is None
    first = loop.post(2, OUTAGE)
    assert first.action == "opened" and first.level == "yellow"  # strong complaint
    repost = loop.post(3, OUTAGE_REPOST, minutes_later=30)
    assert (repost.action, repost.alert_id) == ("attached", first.alert_id)
    elsewhere = loop.post(4, OTHER_OUTAGE, minutes_later=40)
    assert elsewhere.alert_id != first.alert_id  # same category, another place, different text
    alert, other = alerts_in(loop)
    assert other.category == "outage" and other.place == "泰山区 温泉路"
    assert alert.mention_count == 2 and alert.category == "outage" and alert.place == "岱岳区"
    assert alert.title.startswith("停气降压（岱岳区）：") and alert.department == "dispatch"
    assert alert.title.removeprefix("停气降压（岱岳区）：") == OUTAGE[:len(alert.title) - 10]  # as written
    assert "strong-complaint" in alert.rule_ids and "明确的服务投诉" in alert.reasons
    with loop.db.read() as session:
        attached = [m.mention_id for m in service.alert_mentions(session, alert_id=alert.id)]
        actions = [e.action for e in service.alert_events(session, alert_id=alert.id)]
    assert attached == ["weibo:2", "weibo:3"] and actions == ["open", "attach"]


def test_an_influential_author_or_many_mentions_raise_the_level(loop: Loop) -> None:
    first = loop.post(10, OUTAGE)
    big = Author(name="泰安本地大V", id="99", followers=250_000)
    raised = loop.post(11, OUTAGE_REPOST, minutes_later=10, author=big)
    assert (raised.action, raised.level) == ("raised", "orange")
    (alert,) = alerts_in(loop)
    assert alert.level == "orange" and "big-account-negative" in alert.rule_ids
    assert any(n.kind == "alert" and n.subject.startswith("【预警升级为橙色】") for n in loop.notices)
    # the fifth negative mention of one event raises a blue event to orange as well
    loop.now += timedelta(days=5)
    start = loop.post(20, "泰山区温泉路小区燃气表坏了报修一周，泰安港华燃气没人来修，真失望")
    assert start.level in ("blue", "yellow")
    levels = [loop.post(20 + i, f"泰山区温泉路小区燃气表坏了报修一周{'！' * i}泰安港华燃气没人来修，真失望",
                        minutes_later=i).level for i in range(1, 5)]
    assert levels[-1] == "orange" and first.alert_id != start.alert_id


def test_dismissal_suppresses_the_same_event_for_the_window(loop: Loop) -> None:
    opened = loop.post(30, BILLING)
    with loop.db.write() as session:
        service.dismiss(session, alert_id=opened.alert_id, actor=PR, settings=loop.settings, now=loop.now,
                        reason="个人用户误读账单，已私信解释")
    loop.notices.clear()
    quiet = loop.post(31, BILLING + "！！", minutes_later=60)
    assert (quiet.action, quiet.alert_id) == ("suppressed", opened.alert_id)
    assert loop.notices == []
    media = Author(name="泰安日报", id="7", followers=50_000, verified=True, verified_reason="泰安日报官方微博")
    louder = loop.post(32, BILLING + "，记者调查", minutes_later=90, author=media)
    assert louder.action == "opened" and louder.level == "orange"  # more serious than what was dismissed
    after = loop.post(33, BILLING + "？", minutes_later=loop.settings.alerts.suppress_hours * 60 + 120)
    assert after.action in ("opened", "attached") and after.alert_id != opened.alert_id
    with loop.db.read() as session:
        dismissed = session.get(Alert, opened.alert_id)
    assert dismissed.status == "dismissed" and dismissed.mention_count == 2
    assert dismissed.dismiss_reason == "个人用户误读账单，已私信解释"


def test_life_safety_skips_review_and_dispatches_an_emergency_ticket(loop: Loop) -> None:
    outcome = loop.post(40, LEAK)
    assert outcome.level == "red" and outcome.ticket_id is not None
    again = loop.post(41, LEAK_AGAIN, minutes_later=3)
    assert again.alert_id == outcome.alert_id  # same 小区: no second emergency ticket
    with loop.db.read() as session:
        alert = session.get(Alert, outcome.alert_id)
        ticket = session.get(Ticket, outcome.ticket_id)
        trail = [e.action for e in ticket_events(session, ticket_id=ticket.id)]
        tickets = session.scalars(select(Ticket)).all()
    assert (alert.kind, alert.status, alert.place) == ("life_safety", "confirmed", "岱岳区 粥店街道 幸福家园")
    assert (ticket.status, ticket.department, ticket.emergency, ticket.place) == \
        ("assigned", "repair", True, "岱岳区 粥店街道 幸福家园")
    assert ticket.respond_due == loop.now + timedelta(minutes=10) and not ticket.working_time
    assert trail == ["create", "assign", "note"] and len(tickets) == 1
    kinds = {n.kind: n for n in loop.notices}
    assert {"life_safety", "assigned"} <= set(kinds)
    assert "地点：岱岳区 粥店街道 幸福家园" in kinds["life_safety"].body
    assert kinds["life_safety"].subject.startswith("【红色预警·生命安全】")


def test_safety_tips_are_not_emergencies(loop: Loop) -> None:
    tip = loop.post(50, SAFETY_TIP)
    with loop.db.read() as session:
        assert session.scalars(select(Ticket)).all() == []
    assert tip is None or tip.level != "red"


def test_a_planned_outage_explains_mentions_and_carries_its_wording(loop: Loop) -> None:
    with loop.db.write() as session:
        planned = create_event(session, kind=PlannedKind.planned_outage, title="岱岳区管网改造计划停气",
                               starts_at=loop.now - timedelta(hours=2), ends_at=loop.now + timedelta(hours=10),
                               areas=["岱岳区"], notice="因管网改造，岱岳区部分小区停气", actor=SYSTEM, now=loop.now,
                               wording="本次停气为计划检修，预计今晚 22 时前恢复供气，给您带来不便敬请谅解。")
    explained = loop.post(60, OUTAGE)
    unrelated = loop.post(61, OTHER_OUTAGE)  # 泰山区: outside the planned area
    with loop.db.read() as session:
        alert = session.get(Alert, explained.alert_id)
        other = session.get(Alert, unrelated.alert_id)
    assert alert.expected and alert.calendar_event_id == planned.id and alert.wording.startswith("本次停气")
    assert not other.expected and other.wording == ""
    notice = next(n for n in loop.notices if n.ref == f"alert:{alert.id}")
    assert "对外口径：本次停气为计划检修" in notice.body and "预期内" in notice.body


def test_an_alert_opened_before_its_planned_outage_was_entered_becomes_expected_and_stays_level(loop: Loop) -> None:
    first = loop.post(62, OUTAGE)
    assert first.action == "opened" and first.level == "yellow"
    with loop.db.write() as session:  # the calendar entry is made only after the first complaints
        planned = create_event(session, kind=PlannedKind.planned_outage, title="岱岳区管网改造计划停气",
                               starts_at=loop.now - timedelta(hours=1), ends_at=loop.now + timedelta(hours=10),
                               areas=["岱岳区"], actor=SYSTEM, now=loop.now, wording="本次停气为计划检修，今晚恢复。")
    # Four more complaints of the event (the fifth negative mention would raise an unexplained one to orange).
    later = [loop.post(63 + i, f"{OUTAGE_REPOST}{'！' * i}", minutes_later=10 + i) for i in range(4)]
    assert {o.alert_id for o in later} == {first.alert_id} and {o.action for o in later} == {"attached"}
    (alert,) = alerts_in(loop)
    assert alert.expected and alert.calendar_event_id == planned.id
    assert alert.wording == "本次停气为计划检修，今晚恢复。"
    assert alert.mention_count == 5 and alert.level == "yellow" and "repeated-complaint" not in alert.rule_ids
    with loop.db.read() as session:
        trail = [(e.action, e.comment) for e in service.alert_events(session, alert_id=alert.id)]
    assert trail.count(("planned", "已登记的计划作业：岱岳区管网改造计划停气")) == 1
    assert not any(n.subject.startswith("【预警升级") for n in loop.notices)


def test_entering_a_planned_outage_marks_the_open_alerts_it_explains_at_once(loop: Loop) -> None:
    explained, outside = loop.post(70, OUTAGE), loop.post(71, OTHER_OUTAGE)  # 岱岳区, 泰山区
    admin = actor("admin", "it1")
    with loop.db.write() as session:  # staff enter the outage after the complaints came in
        planned = create_event(session, kind=PlannedKind.planned_outage, title="岱岳区管网改造计划停气",
                               starts_at=loop.now - timedelta(hours=1), ends_at=loop.now + timedelta(hours=10),
                               areas=["岱岳区"], actor=admin, now=loop.now, wording="本次停气为计划检修，今晚恢复。")
        marked = explain_open_alerts(session, event=planned, actor=admin, now=loop.now)
    assert marked == [explained.alert_id]  # no new mention needed
    with loop.db.write() as session:  # entering it again, or changing it, marks nothing twice
        assert explain_open_alerts(session, event=session.merge(planned), actor=admin, now=loop.now) == []
    with loop.db.read() as session:
        alert, other = session.get(Alert, explained.alert_id), session.get(Alert, outside.alert_id)
        trail = [(e.actor, e.action, e.comment) for e in service.alert_events(session, alert_id=alert.id)]
    assert alert.expected and alert.calendar_event_id == planned.id
    assert alert.wording == "本次停气为计划检修，今晚恢复。"
    assert not other.expected and other.wording == ""
    assert ("it1", "planned", "已登记的计划作业：岱岳区管网改造计划停气") in trail


def test_a_planned_outage_leaves_closed_alerts_as_they_were(loop: Loop) -> None:
    done = loop.post(72, OUTAGE)
    with loop.db.write() as session:
        service.dismiss(session, alert_id=done.alert_id, actor=actor("pr"), settings=loop.settings,
                        reason="已核实为个别用户误解", now=loop.now)
    with loop.db.write() as session:
        planned = create_event(session, kind=PlannedKind.planned_outage, title="岱岳区计划停气",
                               starts_at=loop.now - timedelta(hours=1), ends_at=loop.now + timedelta(hours=10),
                               areas=["岱岳区"], actor=SYSTEM, now=loop.now)
        assert explain_open_alerts(session, event=planned, actor=SYSTEM, now=loop.now) == []
    with loop.db.read() as session:
        assert not session.get(Alert, done.alert_id).expected


def test_operational_alerts_open_once_and_recover_with_a_note(loop: Loop) -> None:
    key = "site:https://www.example.cn/pay"
    with loop.db.write() as session:
        first = service.open_operational_alert(session, key=key, title="官网缴费页无法打开",
                                               detail="连续两次检查失败：HTTP 502", settings=loop.settings,
                                               now=loop.now)
    with loop.db.write() as session:
        repeat = service.open_operational_alert(session, key=key, title="官网缴费页无法打开", detail="仍然失败：超时",
                                                settings=loop.settings, now=loop.now + timedelta(minutes=10))
    assert repeat.id == first.id and repeat.mention_count == 2
    with loop.db.write() as session:
        blocked = service.open_operational_alert(session, key="source:weibo", title="微博采集被登录墙拦截",
                                                 detail="login_wall 12 次", settings=loop.settings, now=loop.now,
                                                 open_ticket=False)
    with loop.db.write() as session:
        resolved = service.resolve_operational_alert(session, key=key, note="检查恢复正常（HTTP 200）",
                                                     settings=loop.settings, now=loop.now + timedelta(hours=1))
        assert service.resolve_operational_alert(session, key="site:nothing", note="", settings=loop.settings,
                                                 now=loop.now) is None
    with loop.db.read() as session:
        (ticket,) = session.scalars(select(Ticket).where(Ticket.alert_id == first.id)).all()
        notes = [e.comment for e in ticket_events(session, ticket_id=ticket.id) if e.action == "note"]
        assert session.scalars(select(Ticket).where(Ticket.alert_id == blocked.id)).all() == []
    assert resolved.status == "resolved" and ticket.department == "it" and ticket.status == "assigned"
    assert notes == ["已恢复：检查恢复正常（HTTP 200）"]
    assert [n.kind for n in loop.notices if n.ref == f"alert:{first.id}"] == ["operations", "recovered"]
    with loop.db.write() as session:  # a new failure after recovery is a new alert
        later = service.open_operational_alert(session, key=key, title="官网缴费页无法打开", detail="又失败",
                                               settings=loop.settings, now=loop.now + timedelta(hours=2))
    assert later.id != first.id


def test_review_confirm_dismiss_comment_and_version_checks(loop: Loop) -> None:
    a = loop.post(70, OUTAGE)
    b = loop.post(71, BILLING)
    with loop.db.write() as session:
        alert, ticket = service.confirm(session, alert_id=a.alert_id, actor=PR, settings=loop.settings, now=loop.now,
                                        version=1, department="dispatch", comment="情况属实")
        service.comment(session, alert_id=b.alert_id, actor=actor("supervisor"), now=loop.now + timedelta(minutes=1),
                        text="请关注")
    assert (alert.status, ticket.status, ticket.department, ticket.alert_id) == \
        ("confirmed", "assigned", "dispatch", a.alert_id)
    with pytest.raises(Conflict, match="已确认"), loop.db.write() as session:
        service.confirm(session, alert_id=a.alert_id, actor=PR, settings=loop.settings, now=loop.now)
    with pytest.raises(Conflict, match=r"^预警已被他人更新，请刷新后重试$"), loop.db.write() as session:
        service.dismiss(session, alert_id=b.alert_id, actor=PR, settings=loop.settings, now=loop.now,
                        reason="重复", version=1)  # the comment made it version 2
    with pytest.raises(Forbidden), loop.db.write() as session:
        service.dismiss(session, alert_id=b.alert_id, actor=actor("supervisor"), settings=loop.settings,
                        now=loop.now, reason="x")
    with loop.db.read() as session:
        events = session.scalars(select(AlertEvent).where(AlertEvent.alert_id == b.alert_id)).all()
        assert [e.action for e in events] == ["open", "comment"]
        assert session.get(Alert, b.alert_id).status == "pending"
