"""Every route × every role: each allowed call succeeds, each other call is refused with 403,
every call without credentials gets 401, and no route exists that this matrix does not list.

The matrix below is the access specification, written out by hand (not derived from the code).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alerts.actor import SYSTEM
from alerts.calendar.models import PlannedKind
from alerts.calendar.service import create_event
from alerts.db import Database, now_shanghai
from alerts.flows import AlertEvaluator
from alerts.rules.loader import DEFAULT_RULES, RuleBook
from alerts.tickets.service import open_ticket
from alerts.users.service import create_api_key
from api.app import create_app
from store.evidence import Evidence, EvidenceStore
from tests.api.helpers import PASSWORD, add_user, all_routes, login
from tests.builders import mention
from tests.conftest import make_settings
from yuqing.ingest import Ingestor
from yuqing.records import Role
from yuqing.reports.model import ReportKind
from yuqing.reports.service import generate_report
from yuqing.settings_sites import SitesSettings

ADMIN, PR, HANDLER, SUPERVISOR, VIEWER = "admin", "pr", "handler", "supervisor", "viewer"
ALL = {ADMIN, PR, HANDLER, SUPERVISOR, VIEWER}
PUBLIC_PATHS = {"/healthz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/api/auth/login",
                "/api/auth/token",
                # Page shells: markup and scripts only; every figure they show comes from /api.
                "/", "/login", "/password", "/overview", "/alerts", "/tickets", "/sites", "/reports",
                "/rules", "/calendar", "/admin"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # the route's path template
    allowed: frozenset[str]
    body: Any = None
    params: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None  # a multipart upload instead of JSON
    path_values: dict[str, str] | None = None  # this route's own values for the path template


def call(method: str, path: str, allowed: set[str], body: Any = None, *, files: dict | None = None,
         path_values: dict[str, str] | None = None, **params: Any) -> Call:
    return Call(method, path, frozenset(allowed), body, params or None, files, path_values)


CLIPPING_CSV = "媒体,日期,标题,摘要,链接,类型\n泰安日报,2026-11-20,燃气安全检查,入户安检开始,,报纸\n".encode()


# In this order: a call that needs an earlier call's effect comes after it (dismiss → reopen).
MATRIX = [
    call("GET", "/api/auth/me", ALL),
    call("GET", "/api/users", {ADMIN}),
    call("GET", "/api/users/rules", {ADMIN}),
    call("POST", "/api/users", {ADMIN}, {"username": "created-{role}", "password": PASSWORD, "role": "viewer"}),
    call("PATCH", "/api/users/{username}", {ADMIN}, {"display_name": "改过的名字"}),
    call("POST", "/api/users/{username}/password", {ADMIN}, {"password": "a-brand-new-password"}),
    call("GET", "/api/api-keys", {ADMIN}),
    call("POST", "/api/api-keys", {ADMIN}, {"name": "key-{role}", "role": "viewer"}),
    call("DELETE", "/api/api-keys/{name}", {ADMIN}),
    call("GET", "/api/mentions", ALL),
    call("GET", "/api/mentions/{mention_id}", ALL),
    call("POST", "/api/mentions/{mention_id}/correct", {PR}, {"sentiment": "negative"}),
    call("GET", "/api/stats/trend", ALL),
    call("GET", "/api/stats/keywords", ALL),
    call("GET", "/api/stats/facets/{facet}", ALL),
    call("GET", "/api/stats/overview", ALL),
    call("GET", "/api/reports", {ADMIN, PR, SUPERVISOR, VIEWER}),
    call("GET", "/api/reports/{report_id}", {ADMIN, PR, SUPERVISOR, VIEWER}),
    call("GET", "/api/events", ALL),
    call("GET", "/api/events/{event_id}", ALL, path_values={"event_id": "weibo:1"}),
    call("GET", "/api/mentions/{mention_id}/evidence", ALL),
    call("GET", "/api/mentions/{mention_id}/evidence/{sha256}", ALL),
    call("GET", "/api/sources", ALL),
    call("GET", "/api/sources/gaps", ALL),
    call("POST", "/api/clippings", {ADMIN, PR}, files={"file": ("clippings.csv", CLIPPING_CSV, "text/csv")}),
    call("GET", "/api/clippings/template", {ADMIN, PR}),
    call("GET", "/api/sites", ALL),
    call("GET", "/api/sites/crawl", ALL),
    call("GET", "/api/sites/{name}", ALL, path_values={"name": "官网首页"}),
    call("GET", "/api/alerts", {ADMIN, PR, SUPERVISOR, VIEWER}),
    call("GET", "/api/alerts/rules", {ADMIN, PR, SUPERVISOR}),
    call("PUT", "/api/alerts/rules", {ADMIN}, {"text": DEFAULT_RULES.read_text(encoding="utf-8")}),
    call("GET", "/api/alerts/{alert_id}", {ADMIN, PR, SUPERVISOR, VIEWER}),
    call("POST", "/api/alerts/{alert_id}/comment", {PR, SUPERVISOR}, {"text": "已关注"}),
    call("POST", "/api/alerts/{alert_id}/correct", {PR}, {"mention_id": "weibo:1", "sentiment": "negative"}),
    call("POST", "/api/alerts/{alert_id}/dismiss", {PR}, {"reason": "重复信息"}),
    call("POST", "/api/alerts/{alert_id}/reopen", {PR}, {"comment": "误排除"}),
    call("POST", "/api/alerts/{alert_id}/confirm", {PR}, {"department": "customer"}),
    call("GET", "/api/departments", ALL),
    call("GET", "/api/tickets", ALL),
    call("GET", "/api/tickets/board", ALL),
    call("GET", "/api/tickets/{ticket_id}", ALL),
    call("POST", "/api/tickets/{ticket_id}/actions/{action}", {ADMIN, PR, HANDLER, SUPERVISOR}, {"comment": "跟进中"}),
    call("GET", "/api/calendar", {ADMIN, PR, SUPERVISOR, VIEWER}),
    call("POST", "/api/calendar", {ADMIN}, {"kind": "works", "title": "岱宗大街管道施工", "areas": ["岱宗大街"],
                                            "starts_at": "2026-12-01T08:00:00+08:00",
                                            "ends_at": "2026-12-03T18:00:00+08:00"}),
    call("PATCH", "/api/calendar/{event_id}", {ADMIN}, {"wording": "施工期间请绕行。"}),
    call("DELETE", "/api/calendar/{event_id}", {ADMIN}),
    call("GET", "/api/supervision", {ADMIN, SUPERVISOR, VIEWER}),
    call("GET", "/api/notifications", {ADMIN, SUPERVISOR}),
    call("GET", "/metrics", {ADMIN}),  # and a scraper bearing metrics.token (tests/api/test_metrics.py)
    call("POST", "/api/auth/password", ALL, {"current_password": PASSWORD, "new_password": PASSWORD}),
    call("POST", "/api/auth/logout", ALL),  # last: it ends the session
]


@pytest.fixture
def world(tmp_path, store, analyzer, sqlite_db: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """One alert, one ticket of the customer department, one planned event, one user of each role."""
    settings = make_settings(tmp_path / "data", sites=SitesSettings(targets=[
        {"name": "官网首页", "url": "https://www.example.invalid/"}]))
    db = sqlite_db
    now = now_shanghai()
    item = mention(1, "泰安港华燃气费这个月多收了两百，表走得快，投诉也没人管", published_at=now)
    Ingestor(analyzer, store).ingest([item])  # linked into its own event
    analysis = store.get(item.id).analysis
    with EvidenceStore(settings.storage.evidence_dir) as evidence:
        kept = evidence.put(item.id, Evidence(url="https://m.weibo.cn/detail/1", fetched_at=now, body=b"{}",
                                              content_type="application/json"))
    rules = RuleBook(tmp_path / "data" / "alert_rules.yaml", db=db)
    (outcome,) = AlertEvaluator(db, rules, settings).evaluate([(item, analysis)], now=now)
    with db.write() as session:
        ticket = open_ticket(session, title="燃气费多收", settings=settings, actor=SYSTEM, now=now, level="yellow",
                             category="billing", department="customer")
        planned = create_event(session, kind=PlannedKind.tariff, title="居民气价调整", starts_at=now,
                               ends_at=now + timedelta(days=30), actor=SYSTEM, now=now)
        create_api_key(session, name="old-key", role=Role.viewer, settings=settings, created_by="test", now=now)
    for role in ALL:
        add_user(db, settings, role, role, "customer" if role == HANDLER else "")
    add_user(db, settings, "target", Role.viewer)
    report = generate_report(settings, kind=ReportKind.daily, day=now.date(), now=now, store=store, extensions=[])
    values = {"username": "target", "name": "old-key", "mention_id": "weibo:1", "facet": "platform",
              "alert_id": str(outcome.alert_id), "ticket_id": str(ticket.id), "action": "comment",
              "event_id": str(planned.id), "sha256": kept, "report_id": report.id}
    with TestClient(create_app(settings, store=store, db=db, rules=rules)) as client:
        yield client, values


def _url(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _body(body: Any, role: str) -> Any:
    if isinstance(body, dict):
        return {k: v.replace("{role}", role) if isinstance(v, str) else v for k, v in body.items()}
    return body


def test_the_matrix_covers_every_route(world) -> None:
    client, _ = world
    listed = {(c.method, c.path) for c in MATRIX}
    served = {(method, path) for method, path in all_routes(client.app) if path not in PUBLIC_PATHS}
    assert len(served) > 40  # the walk found the routes of every included router
    missing = served - listed
    assert not missing, f"routes missing from the access matrix: {sorted(missing)}"
    assert len(listed) == len(MATRIX)


def test_every_role_on_every_route(world) -> None:
    client, values = world
    tokens = {role: login(client, role)["Authorization"] for role in sorted(ALL)}
    for spec in MATRIX:
        if spec.path == "/api/auth/logout":  # changing a password ended every session: log in again
            for role in ALL:
                assert client.get("/api/auth/me", headers={"Authorization": tokens[role]}).status_code == 401
            tokens = {role: login(client, role)["Authorization"] for role in sorted(ALL)}
        url = _url(spec.path, {**values, **(spec.path_values or {})})
        send = {"files": spec.files} if spec.files else {}
        anonymous = client.request(spec.method, url, json=_body(spec.body, "anon"), **send)
        assert anonymous.status_code == 401, f"{spec.method} {spec.path} without credentials: {anonymous.status_code}"
        for role in sorted(ALL):
            response = client.request(spec.method, url, json=_body(spec.body, role),
                                      headers={"Authorization": tokens[role]}, **send)
            where = f"{role}: {spec.method} {spec.path}"
            if role in spec.allowed:
                assert response.status_code < 400, f"{where} should be allowed: {response.status_code} {response.text}"
            else:
                assert response.status_code == 403, f"{where} should be refused: {response.status_code}"
                assert "无权" in response.json()["detail"], where
    for role in ALL:  # logged out
        assert client.get("/api/auth/me", headers={"Authorization": tokens[role]}).status_code == 401


def test_public_routes_reveal_nothing(world) -> None:
    client, _ = world
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/openapi.json").status_code == 200
    assert client.post("/api/auth/login", json={"username": "admin", "password": "wrong"}).status_code == 401


def test_api_keys_act_with_their_role(world, sqlite_db: Database, tmp_path) -> None:
    client, _ = world
    admin = login(client, ADMIN)
    key = client.post("/api/api-keys", json={"name": "site-monitor", "role": "viewer"}, headers=admin).json()["key"]
    assert client.get("/api/tickets", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/tickets", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get("/api/users", headers={"X-API-Key": key}).status_code == 403
    listed = client.get("/api/api-keys", headers=admin)
    assert key not in listed.text and "key_hash" not in listed.text
    client.delete("/api/api-keys/site-monitor", headers=admin)
    assert client.get("/api/tickets", headers={"X-API-Key": key}).status_code == 401
