"""The closed loop through the HTTP API, on SQLite and PostgreSQL: review an alert, work the
ticket as each role, refusals with reasons that change nothing, rules, calendar, login rules,
and no secret in any answer or log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from alerts.db import Database, now_shanghai
from alerts.flows import AlertEvaluator
from alerts.rules.loader import RuleBook
from api.app import create_app
from tests.api.helpers import PASSWORD, add_user, login
from tests.builders import mention
from tests.conftest import FIXTURES, make_settings
from yuqing.settings import Settings

TEXTS = {
    1: "泰山港华燃气岱岳区停气三天，客服电话打不通",
    2: "泰安港华燃气费这个月多收了两百，表走得快，投诉也没人管",
}


@dataclass
class Api:
    client: TestClient
    db: Database
    settings: Settings
    alerts: dict[int, int]  # mention number → alert id

    def as_(self, username: str) -> dict[str, str]:
        return login(self.client, username)


@pytest.fixture
def api(tmp_path, store, analyzer, db: Database) -> Iterator[Api]:
    settings = make_settings(tmp_path / "data")
    rules = RuleBook(tmp_path / "data" / "alert_rules.yaml", db=db)
    evaluator = AlertEvaluator(db, rules, settings)
    alerts = {}
    for n, text in TEXTS.items():
        now = now_shanghai()
        item = mention(n, text, published_at=now)  # a fresh post: old ones open no alert
        analysis = analyzer.analyze(item)
        store.upsert([(item, analysis)])
        (outcome,) = evaluator.evaluate([(item, analysis)], now=now)
        alerts[n] = outcome.alert_id
    for username, role, department in [("pr1", "pr", ""), ("sup1", "supervisor", ""), ("boss", "viewer", ""),
                                       ("kefu", "handler", "customer"), ("diaodu", "handler", "dispatch"),
                                       ("root", "admin", "")]:
        add_user(db, settings, username, role, department)
    with TestClient(create_app(settings, store=store, db=db, rules=rules)) as client:
        yield Api(client, db, settings, alerts)


def test_review_and_work_a_ticket_through_the_api(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c, pr, kefu, diaodu, sup = api.client, api.as_("pr1"), api.as_("kefu"), api.as_("diaodu"), api.as_("sup1")
    page = c.get("/api/alerts", params={"status": "pending", "category": "billing"}, headers=pr).json()
    assert page["total"] == 1 and page["items"][0]["category_zh"] == "抄表收费气价"
    detail = c.get(f"/api/alerts/{api.alerts[2]}", headers=pr).json()
    assert detail["mentions"][0]["stored"]["mention"]["text"] == TEXTS[2] and detail["events"][0]["action"] == "open"
    ticket = c.post(f"/api/alerts/{api.alerts[2]}/confirm", json={"department": "customer", "version": 1},
                    headers=pr)
    assert ticket.status_code == 201 and ticket.json()["status_zh"] == "已派单"
    tid = ticket.json()["id"]
    board = {col["status"]: col for col in c.get("/api/tickets/board", headers=kefu).json()}
    assert [t["id"] for t in board["assigned"]["items"]] == [tid]
    assert c.get("/api/tickets", headers=diaodu).json()["total"] == 0  # another department's ticket
    assert c.get(f"/api/tickets/{tid}", headers=diaodu).status_code == 404
    view = c.get(f"/api/tickets/{tid}", headers=kefu).json()
    assert set(view["allowed_actions"]) == {"return", "accept", "comment"}
    assert view["suggested_department"] == "customer"

    def act(action: str, who: dict[str, str], **body):
        return c.post(f"/api/tickets/{tid}/actions/{action}", json=body, headers=who)

    assert act("accept", kefu, version=view["version"]).json()["status"] == "in_progress"
    refused = act("close", kefu)
    assert refused.status_code == 403 and refused.json()["detail"] == "责任部门无权执行“关闭”"
    before = c.get(f"/api/tickets/{tid}", headers=sup).json()
    illegal = act("close", sup)
    assert illegal.status_code == 409 and illegal.json()["detail"] == "工单当前状态为“处理中”，不能执行“关闭”"
    stale = act("reply", kefu, reply="旧页面", version=before["version"] - 1)
    assert stale.status_code == 409 and "请刷新后重试" in stale.json()["detail"]
    missing = act("resolve", kefu)
    assert missing.status_code == 422 and missing.json()["detail"] == "“办结”需要填写办理情况"
    assert c.get(f"/api/tickets/{tid}", headers=sup).json() == before  # nothing changed
    done = act("resolve", kefu, reply="核实为估抄，已退还 200 元", version=before["version"])
    assert done.json()["status_zh"] == "已办结"
    assert act("visit", sup, visit_result="用户满意", satisfaction=5).json()["status"] == "visited"
    closed = act("close", sup).json()
    assert closed["status"] == "closed" and [e["action_zh"] for e in closed["events"]] == \
        ["创建", "派单", "签收", "办结", "回访", "关闭"]
    figures = {row["department"]: row for row in c.get("/api/supervision", headers=sup).json()}
    assert figures["customer"]["opened"] == 1 and figures["customer"]["closed"] == 1
    assert figures["customer"]["mean_satisfaction"] == 5 and figures["合计"]["opened"] == 1
    assert PASSWORD not in caplog.text and pr["Authorization"].split()[1] not in caplog.text


def test_dismiss_needs_a_reason_and_reopen_undoes_it(api: Api) -> None:
    c, pr = api.client, api.as_("pr1")
    url = f"/api/alerts/{api.alerts[1]}"
    assert c.post(f"{url}/dismiss", json={"reason": "  "}, headers=pr).status_code == 422
    dismissed = c.post(f"{url}/dismiss", json={"reason": "与计划停气相关，已有公告"}, headers=pr).json()
    assert dismissed["status_zh"] == "已排除" and dismissed["dismiss_reason"] == "与计划停气相关，已有公告"
    again = c.post(f"{url}/dismiss", json={"reason": "x"}, headers=pr)
    assert again.status_code == 409 and "已排除" in again.json()["detail"]
    assert c.post(f"{url}/reopen", json={}, headers=pr).json()["status"] == "pending"


def test_rules_through_the_api(api: Api) -> None:
    c, root, pr = api.client, api.as_("root"), api.as_("pr1")
    before = c.get("/api/alerts/rules", headers=pr).json()
    assert before["rules"] == 11 and before["error"] is None and "红色" in before["levels"]["red"]
    bad = c.put("/api/alerts/rules", json={"text": (FIXTURES / "rules" / "bad_type.yaml").read_text("utf-8")},
                headers=root)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("规则文件未保存：第 8 行：")
    assert c.get("/api/alerts/rules", headers=pr).json()["text"] == before["text"]
    good = c.put("/api/alerts/rules", json={"text": (FIXTURES / "rules" / "custom.yaml").read_text("utf-8")},
                 headers=root)
    assert good.status_code == 200 and good.json()["rules"] == 1
    assert [r["id"] for r in good.json()["spec"]["rules"]] == ["any-negative"]  # what the 预警规则 page shows
    bad_level = c.put("/api/alerts/rules", headers=root,
                      json={"text": (FIXTURES / "rules" / "bad_level.yaml").read_text("utf-8")})
    assert bad_level.status_code == 422
    assert bad_level.json()["detail"] == ("规则文件未保存：第 5 行：rules.0.level: "
                                          "取值无效（可选：blue、yellow、orange、red）")
    assert c.get("/api/alerts/rules", headers=pr).json()["spec"] == good.json()["spec"]


def test_calendar_validation_and_listing(api: Api) -> None:
    c, root = api.client, api.as_("root")
    bad = c.post("/api/calendar", headers=root, json={"kind": "planned_outage", "title": "停气",
                                                      "starts_at": "2026-12-02T08:00", "ends_at": "2026-12-01T08:00"})
    assert bad.status_code == 422 and bad.json()["detail"] == "结束时间必须晚于开始时间"
    unknown = c.post("/api/calendar", headers=root, json={"kind": "party", "title": "x", "starts_at": "2026-12-01",
                                                          "ends_at": "2026-12-02"})
    assert unknown.status_code == 422 and "kind" in unknown.json()["detail"]
    assert c.get("/api/calendar", headers=root).json() == []
    made = c.post("/api/calendar", headers=root, json={
        "kind": "planned_outage", "title": "岱岳区计划停气", "areas": ["岱岳区"], "starts_at": "2026-12-01T08:00",
        "ends_at": "2026-12-01T18:00", "wording": "计划检修，18 时前恢复。"})
    assert made.status_code == 201 and made.json()["kind_zh"] == "计划停气"
    listed = c.get("/api/calendar", params={"since": "2026-12-01", "until": "2026-12-01"}, headers=root).json()
    assert [e["title"] for e in listed] == ["岱岳区计划停气"] and listed[0]["starts_at"].endswith("+08:00")
    twin = c.post("/api/calendar", headers=root, json={  # entered twice by mistake: the second has no wording
        "kind": "planned_outage", "title": "岱岳区计划停气", "areas": ["岱岳区"], "starts_at": "2026-12-01T12:00",
        "ends_at": "2026-12-01T20:00"})
    assert twin.status_code == 422
    assert twin.json()["detail"] == "已有同名且时间重叠的计划作业“岱岳区计划停气”，请修改原有条目"
    later = c.post("/api/calendar", headers=root, json={"kind": "planned_outage", "title": "岱岳区计划停气",
                                                        "starts_at": "2026-12-08T08:00", "ends_at": "2026-12-08T18:00"})
    assert later.status_code == 201  # the same work another week is another entry
    renamed = c.patch(f"/api/calendar/{later.json()['id']}", json={"starts_at": "2026-12-01T09:00",
                                                                    "ends_at": "2026-12-01T10:00"}, headers=root)
    assert renamed.status_code == 422 and "同名且时间重叠" in renamed.json()["detail"]
    assert c.delete(f"/api/calendar/{later.json()['id']}", headers=root).status_code == 204
    backwards = c.get("/api/calendar", params={"since": "2026-12-02", "until": "2026-12-01"}, headers=root)
    assert backwards.status_code == 422 and backwards.json()["detail"] == "结束日期不能早于开始日期"
    event_id = made.json()["id"]
    refused = c.patch(f"/api/calendar/{event_id}", json={"title": "改名", "ends_at": "2026-12-01T07:00"}, headers=root)
    assert refused.status_code == 422 and refused.json()["detail"] == "结束时间必须晚于开始时间"
    blank = c.patch(f"/api/calendar/{event_id}", json={"areas": ["岱岳区", " "]}, headers=root)
    assert blank.status_code == 422 and blank.json()["detail"] == "区域名称不能为空"
    kept = c.get("/api/calendar", params={"since": "2026-12-01", "until": "2026-12-01"}, headers=root).json()
    assert kept == listed  # nothing of a refused change was kept


def test_login_lockout_and_secrets_never_answered(api: Api) -> None:
    c = api.client
    for _ in range(api.settings.auth.max_failed_logins):
        wrong = c.post("/api/auth/login", json={"username": "boss", "password": "not-the-password"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "用户名或密码错误"
    locked = c.post("/api/auth/login", json={"username": "boss", "password": PASSWORD})
    assert locked.status_code == 401 and "锁定" in locked.json()["detail"]
    unknown = c.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert unknown.json()["detail"] == "用户名或密码错误"  # the same answer as a wrong password
    root = api.as_("root")
    users = c.get("/api/users", headers=root)
    assert "argon2" not in users.text and "password_hash" not in users.text and PASSWORD not in users.text
    me = c.get("/api/auth/me", headers=root).json()
    assert me == {"username": "root", "display_name": "root", "role": "admin", "department": "", "via": "user"}
    handler_without_department = c.post("/api/users", headers=root,
                                        json={"username": "h2", "password": PASSWORD, "role": "handler"})
    assert handler_without_department.status_code == 422


def test_supervision_exports_and_bad_periods(api: Api) -> None:
    c, sup = api.client, api.as_("sup1")
    csv_answer = c.get("/api/supervision", params={"format": "csv", "since": "2026-11-01", "until": "2026-11-30"},
                       headers=sup)
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    assert 'filename="supervision-2026-11-01-2026-11-30.csv"' in csv_answer.headers["content-disposition"]
    assert csv_answer.content.decode("utf-8-sig").splitlines()[0].startswith("部门代码,部门,新增工单")
    xlsx = c.get("/api/supervision", params={"format": "xlsx", "department": "customer"}, headers=sup)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["B3"].value == "客服中心" and sheet["B4"].value == "合计"
    assert c.get("/api/supervision", params={"department": "moon"}, headers=sup).status_code == 422
    backwards = c.get("/api/supervision", params={"since": "2026-11-30", "until": "2026-11-01"}, headers=sup)
    assert backwards.status_code == 422 and backwards.json()["detail"] == "开始日期不能晚于结束日期"
    assert c.get("/api/supervision", params={"format": "pdf"}, headers=sup).status_code == 422


def test_what_the_review_pages_are_told(api: Api) -> None:
    """The alert detail names the actions this user may take now and the department to suggest;
    each ticket carries the clock a page counts down; the board counts what the page's figures show."""
    c, pr, sup, boss, kefu = api.client, api.as_("pr1"), api.as_("sup1"), api.as_("boss"), api.as_("kefu")
    url = f"/api/alerts/{api.alerts[2]}"
    detail = c.get(url, headers=pr).json()
    assert set(detail["allowed_actions"]) == {"confirm", "dismiss", "correct", "comment"}
    assert detail["suggested_department"] == "customer"  # billing → 客服中心
    assert detail["events"][0]["action_zh"] == "生成预警"
    assert c.get(url, headers=sup).json()["allowed_actions"] == ["comment"]
    assert c.get(url, headers=boss).json()["allowed_actions"] == []
    ticket = c.post(f"{url}/confirm", json={"department": "customer"}, headers=pr).json()
    assert ticket["clock"]["kind"] == "respond" and ticket["clock"]["kind_zh"] == "签收"
    assert ticket["clock"]["due"] == ticket["respond_due"] and ticket["clock"]["overdue"] is False
    after = c.get(url, headers=pr).json()
    assert set(after["allowed_actions"]) == {"correct", "comment"}
    assert after["events"][-1]["action_zh"] == "确认并转工单"
    accepted = c.post(f"/api/tickets/{ticket['id']}/actions/accept", json={}, headers=kefu).json()
    assert accepted["clock"]["kind"] == "resolve" and accepted["clock"]["due"] == accepted["resolve_due"]
    done = c.post(f"/api/tickets/{ticket['id']}/actions/resolve", json={"reply": "已退费"}, headers=kefu).json()
    assert done["clock"] is None
    board = {col["status"]: col for col in c.get("/api/tickets/board", headers=sup).json()}
    assert board["resolved"]["count"] == 1 and board["resolved"]["overdue"] == 0
    assert board["resolved"]["escalated"] == 0 and board["resolved"]["items"][0]["clock"] is None


def test_entering_a_planned_outage_marks_the_open_alerts_it_explains(api: Api) -> None:
    c, root, pr = api.client, api.as_("root"), api.as_("pr1")
    now = now_shanghai()
    made = c.post("/api/calendar", headers=root, json={
        "kind": "planned_outage", "title": "岱岳区管网改造计划停气", "areas": ["岱岳区"],
        "starts_at": (now - timedelta(hours=2)).isoformat(), "ends_at": (now + timedelta(hours=6)).isoformat(),
        "wording": "本次停气为计划检修，今晚恢复。"})
    assert made.status_code == 201 and made.json()["marked_alerts"] == [api.alerts[1]]  # the 岱岳区 outage only
    alert = c.get(f"/api/alerts/{api.alerts[1]}", headers=pr).json()
    assert alert["expected"] and alert["wording"] == "本次停气为计划检修，今晚恢复。"
    assert alert["events"][-1]["action"] == "planned" and alert["events"][-1]["actor"] == "root"
    assert not c.get(f"/api/alerts/{api.alerts[2]}", headers=pr).json()["expected"]  # a billing complaint
    changed = c.patch(f"/api/calendar/{made.json()['id']}", json={"wording": "计划检修，预计 20 时恢复。"},
                      headers=root)
    assert changed.status_code == 200 and changed.json()["marked_alerts"] == []  # already marked
    assert c.get(f"/api/alerts/{api.alerts[1]}", headers=pr).json()["wording"] == "计划检修，预计 20 时恢复。"
