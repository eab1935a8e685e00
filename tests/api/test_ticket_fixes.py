"""Tickets as a department sees them: the source facts (the post, or the failing check) for
whoever may see the ticket and nobody else; 改派 to the same department, over-long texts and
stale versions refused with plain Chinese that changes nothing and repeats nothing; the
system named 系统."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from alerts import service as alerts
from alerts.db import Database, now_shanghai
from alerts.flows import AlertEvaluator
from alerts.rules.loader import RuleBook
from api.app import create_app
from tests.api.helpers import add_user, login
from tests.builders import actor, mention
from tests.conftest import make_settings
from yuqing.records import Author

COMPLAINT = "泰安港华燃气费这个月多收了两百，表走得快，投诉也没人管。" + "营业厅说要等抄表员核实，" * 30
SITE_URL = "https://pay.example.invalid/query"
PR = actor("pr", "pr1")


@dataclass
class World:
    client: TestClient
    billing: int  # the customer department's ticket from a post
    site: int  # the IT department's ticket from a failing site check
    alert: int
    post_url: str

    def as_(self, user: str) -> dict[str, str]:
        return login(self.client, user)


@pytest.fixture
def world(tmp_path, store, analyzer, sqlite_db: Database) -> Iterator[World]:
    settings = make_settings(tmp_path / "data")
    rules = RuleBook(tmp_path / "data" / "alert_rules.yaml", db=sqlite_db)
    now = now_shanghai()
    item = mention(1, COMPLAINT, published_at=now - timedelta(hours=2),
                   author=Author(name="泰山脚下的老王", id="42", followers=321))
    analysis = analyzer.analyze(item)
    store.upsert([(item, analysis)])
    (outcome,) = AlertEvaluator(sqlite_db, rules, settings).evaluate([(item, analysis)], now=now)
    for username, role, department in [("pr1", "pr", ""), ("sup1", "supervisor", ""), ("boss", "viewer", ""),
                                       ("kefu", "handler", "customer"), ("xinxi", "handler", "it")]:
        add_user(sqlite_db, settings, username, role, department)
    with sqlite_db.write() as session:
        _, ticket = alerts.confirm(session, alert_id=outcome.alert_id, actor=PR, settings=settings, now=now,
                                   department="customer")
        billing = ticket.id
        alerts.open_operational_alert(session, key="site:缴费查询", title="缴费查询 连续2次检查失败：服务器错误",
                                      detail=f"服务器返回错误（{SITE_URL}，HTTP 500）", settings=settings, now=now)
    with sqlite_db.write() as session:  # the next check fails differently: the ticket shows the latest
        site = alerts.open_operational_alert(session, key="site:缴费查询", title="缴费查询 连续3次检查失败",
                                             detail=f"服务器返回错误（{SITE_URL}，HTTP 502）", settings=settings,
                                             now=now + timedelta(minutes=5))
        site_ticket = alerts.tickets_of(session, alert_id=site.id, actor=PR)[0].id
    with TestClient(create_app(settings, store=store, db=sqlite_db, rules=rules)) as client:
        yield World(client, billing, site_ticket, outcome.alert_id, item.url)


def test_a_handler_sees_the_post_behind_the_ticket_but_no_alert_link(world: World) -> None:
    c = world.client
    view = c.get(f"/api/tickets/{world.billing}", headers=world.as_("kefu")).json()
    source = view["source"]
    assert source["kind"] == "mention" and source["text"] == COMPLAINT  # the full text, not the title
    assert (source["author"], source["author_followers"], source["platform_zh"]) == ("泰山脚下的老王", 321, "微博")
    assert source["url"] == world.post_url and source["published_at"]
    assert view["alert_id"] == world.alert and view["can_open_alert"] is False  # handlers may not open /alerts
    assert c.get(f"/api/alerts/{world.alert}", headers=world.as_("kefu")).status_code == 403
    for reader in ("pr1", "sup1", "boss"):
        shown = c.get(f"/api/tickets/{world.billing}", headers=world.as_(reader)).json()
        assert shown["can_open_alert"] is True and shown["source"] == source


def test_a_site_check_ticket_shows_the_failing_address_and_the_latest_error(world: World) -> None:
    c = world.client
    view = c.get(f"/api/tickets/{world.site}", headers=world.as_("xinxi")).json()
    source = view["source"]
    assert (source["kind"], source["url"], source["check"]) == ("operations", SITE_URL, "site:缴费查询")
    assert "HTTP 502" in source["text"] and "HTTP 500" not in source["text"]
    assert view["created_by"] == "system" and view["created_by_zh"] == "系统"
    assert {e["actor_zh"] for e in view["events"]} == {"系统"} and {e["actor"] for e in view["events"]} == {"system"}


def test_handlers_still_see_only_their_own_departments_tickets(world: World) -> None:
    c, kefu, xinxi = world.client, world.as_("kefu"), world.as_("xinxi")
    assert c.get(f"/api/tickets/{world.site}", headers=kefu).status_code == 404
    assert c.get(f"/api/tickets/{world.billing}", headers=xinxi).status_code == 404
    assert [t["id"] for t in c.get("/api/tickets", headers=kefu).json()["items"]] == [world.billing]
    refused = c.post(f"/api/tickets/{world.site}/actions/comment", json={"comment": "看看"}, headers=kefu)
    assert refused.status_code == 404 and "source" not in refused.text


def test_reassigning_to_the_same_department_is_refused_and_changes_nothing(world: World) -> None:
    c, pr = world.client, world.as_("pr1")
    before = c.get(f"/api/tickets/{world.billing}", headers=pr).json()
    same = c.post(f"/api/tickets/{world.billing}/actions/reassign",
                  json={"department": "customer", "comment": "换个人办", "version": before["version"]}, headers=pr)
    assert same.status_code == 422
    assert same.json()["detail"] == "工单已在客服中心办理，改派请选择其他部门"
    assert c.get(f"/api/tickets/{world.billing}", headers=pr).json() == before  # ticket and trail unchanged
    moved = c.post(f"/api/tickets/{world.billing}/actions/reassign",
                   json={"department": "dispatch", "comment": "属于调度", "version": before["version"]}, headers=pr)
    assert moved.status_code == 200 and moved.json()["department"] == "dispatch"


def test_an_over_long_comment_is_refused_in_chinese_without_repeating_it(world: World) -> None:
    c, pr = world.client, world.as_("pr1")
    before = c.get(f"/api/tickets/{world.billing}", headers=pr).json()
    pasted = "这是一段粘贴进来的很长的说明" * 400  # 5,600 characters; the form allows 4,000
    refused = c.post(f"/api/tickets/{world.billing}/actions/comment", json={"comment": pasted}, headers=pr)
    assert refused.status_code == 422
    assert refused.json() == {"detail": "说明最多 4000 字，提交了 5600 字，请精简后再提交"}
    assert c.get(f"/api/tickets/{world.billing}", headers=pr).json() == before
    fits = c.post(f"/api/tickets/{world.billing}/actions/comment", json={"comment": "说" * 4000}, headers=pr)
    assert fits.status_code == 200 and fits.json()["events"][-1]["comment"] == "说" * 4000
    on_alert = c.post(f"/api/alerts/{world.alert}/comment", json={"text": pasted}, headers=pr)
    assert on_alert.status_code == 422 and "粘贴" not in on_alert.text and "4000" in on_alert.json()["detail"]


def test_a_stale_version_is_told_plainly(world: World) -> None:
    c, kefu = world.client, world.as_("kefu")
    view = c.get(f"/api/tickets/{world.billing}", headers=kefu).json()
    assert c.post(f"/api/tickets/{world.billing}/actions/accept", json={"version": view["version"]},
                  headers=kefu).status_code == 200
    stale = c.post(f"/api/tickets/{world.billing}/actions/reply", json={"reply": "已联系", "version": view["version"]},
                   headers=kefu)
    assert stale.status_code == 409 and stale.json()["detail"] == "工单已被他人更新，请刷新后重试"
    assert not re.search(r"\d", stale.json()["detail"])
