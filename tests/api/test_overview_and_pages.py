"""GET /api/stats/overview agrees with the single-figure routes; the page shells are served
with their security headers, a login form for user name and password, and the navigation
marked with the roles of each page."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages import STATIC
from nlp.places import CITY_WIDE
from store.base import Count
from tests.api.helpers import sign_in
from tests.conftest import make_settings
from tests.yuqing.reports.conftest import fixture_mentions
from yuqing.ingest import Ingestor
from yuqing.records import Role
from yuqing.reports.build import district_counts


@pytest.fixture
def client(tmp_path, store, analyzer, sqlite_db):
    Ingestor(analyzer, store).ingest(fixture_mentions())
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings, store=store, db=sqlite_db)) as c:
        sign_in(c, sqlite_db, settings, Role.viewer)
        yield c


def test_overview_matches_the_single_routes(client: TestClient) -> None:
    params = {"relevant": "true", "since": "2026-11-14", "until": "2026-11-20"}
    body = client.get("/api/stats/overview", params=params).json()
    assert body["total"] == client.get("/api/mentions", params=params).json()["total"] == 10
    assert body["trend"] == client.get("/api/stats/trend", params=params).json()
    for facet in ("platform", "place", "author", "region"):
        assert body[facet] == client.get(f"/api/stats/facets/{facet}", params=params).json(), facet
    assert body["keywords"] == client.get("/api/stats/keywords", params={**params, "limit": 60}).json()
    shares = {c["value"]: c["count"] for c in client.get("/api/stats/facets/sentiment", params=params).json()}
    assert body["sentiment"] == {k: shares.get(k, 0) for k in ("negative", "neutral", "positive")}
    assert sum(body["sentiment"].values()) == body["total"]
    assert body["district"][0]["value"] == "岱岳区"
    only = client.get("/api/stats/overview", params={**params, "platform": "douyin"}).json()
    assert only["total"] == 1 and only["platform"] == [{"value": "douyin", "count": 1}]
    bad = client.get("/api/stats/overview", params={"since": "yesterday"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("since：")


def test_districts_sum_places_by_their_first_part() -> None:
    places = [Count(value="岱岳区 粥店街道 幸福家园", count=2), Count(value="泰山区 财源街道", count=1),
              Count(value="岱岳区", count=1), Count(value=" ", count=9), Count(value="泰安市", count=5)]
    assert district_counts(places) == [Count(value="岱岳区", count=3), Count(value="泰山区", count=1),
                                       Count(value=CITY_WIDE, count=5)]


def test_pages_are_served_with_security_headers(client: TestClient) -> None:
    client.headers.pop("Authorization")  # the shells hold no data: served without a login
    for path, title in (("/", "舆情总览"), ("/sites", "站点健康"), ("/login", "登录"), ("/alerts", "预警审核"),
                        ("/tickets", "工单督办"), ("/reports", "舆情简报"), ("/rules", "预警规则"),
                        ("/calendar", "运营日历"), ("/admin", "系统管理")):
        page = client.get(path)
        assert page.status_code == 200 and f"<title>{title}" in page.text, path
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script>(?!</script>)", page.text), "no inline script (CSP)"
    assert client.get("/overview", follow_redirects=False).headers["location"] == "/"


def test_login_page_and_the_roles_of_each_page(client: TestClient) -> None:
    login = client.get("/login").text
    assert 'id="username"' in login and 'id="password"' in login and 'type="password"' in login
    assert 'id="token"' not in login and "/static/js/login.js" in login
    home = client.get("/").text
    nav = dict(re.findall(r'<a href="(/[a-z]*)" data-roles="([a-z ]+)" hidden', home))
    assert set(nav) == {"/", "/alerts", "/tickets", "/sites", "/reports", "/rules", "/calendar", "/admin"}  # by role
    assert nav["/rules"].split() == ["admin", "pr", "supervisor"]  # as GET /api/alerts/rules allows
    assert nav["/calendar"].split() == ["admin", "pr", "supervisor", "viewer"]  # as GET /api/calendar allows
    assert set(nav["/admin"].split()) == {"admin", "supervisor"}  # users and keys: admin; the delivery log: both
    assert "handler" not in nav["/alerts"].split() and "handler" not in nav["/reports"].split()
    assert "handler" in nav["/tickets"].split() and "pr" in nav["/alerts"].split()
    assert re.search(r'<body [^>]*data-roles="([a-z ]+)"', client.get("/alerts").text).group(1) == nav["/alerts"]
    alerts, tickets = client.get("/alerts").text, client.get("/tickets").text
    assert 'id="alerts"' in alerts and "/static/js/alerts.js" in alerts
    assert 'id="board"' in tickets and "/static/js/tickets.js" in tickets
    for page in (home, alerts, tickets):
        assert "即将上线" not in page and 'id="placeholder"' not in page


def test_page_labels_come_from_the_services_tables(client: TestClient) -> None:
    """The pages name statuses, levels and actions (and the fields each action needs) exactly as
    the transition tables do, so a button never offers what the API would refuse to understand."""
    from alerts.tickets.transitions import ACTIONS

    labels = json.loads(re.search(r'id="yuqing-labels">(.*?)</script>', client.get("/tickets").text, re.S).group(1))
    assert labels["ticket_action"]["resolve"] == {"zh": "办结", "needs": ["reply"]}
    assert labels["ticket_action"]["visit"]["needs"] == ["visit_result", "satisfaction"]
    assert set(labels["ticket_action"]) == {name for name, action in ACTIONS.items() if action.roles}
    assert "remind" not in labels["ticket_action"]  # the system's own actions have no button
    assert labels["ticket_status"]["in_progress"] == "处理中" and labels["level"]["red"] == "红色"
    assert labels["alert_action"]["confirm"] == "确认并转工单" and labels["role"]["handler"] == "责任部门"


def test_static_files_and_the_vendored_echarts(client: TestClient) -> None:
    js = client.get("/static/js/auth.js")
    assert js.status_code == 200 and "Authorization" in js.text
    echarts = client.get("/static/vendor/echarts.min.js", headers={"Accept-Encoding": "gzip"})
    assert echarts.status_code == 200 and echarts.headers.get("content-encoding") == "gzip"
    readme = (STATIC / "vendor" / "README.md").read_text(encoding="utf-8")
    version, digest = re.search(r"\| echarts\.min\.js \| .*? \| ([\d.]+) \| ([0-9a-f]{64}) \|", readme).groups()
    assert hashlib.sha256(echarts.content).hexdigest() == digest
    assert f'version="{version}"' in echarts.text or f'"{version}"' in echarts.text
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_every_script_a_page_loads_exists(client: TestClient) -> None:
    templates = (STATIC.parent / "pages" / "templates").glob("*.html")
    scripts = {m for t in templates for m in re.findall(r'src="(/static/[^"?]+)', t.read_text(encoding="utf-8"))}
    assert "/static/js/alerts.js" in scripts and "/static/js/tickets.js" in scripts
    for script in sorted(scripts):
        assert client.get(script).status_code == 200, script
