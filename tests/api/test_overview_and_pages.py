"""GET /api/stats/overview agrees with the single-figure routes; the page shells are served
with their security headers and the navigation shows what is not there yet."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages import STATIC
from store.base import Count, districts
from tests.conftest import make_settings
from tests.yuqing.reports.conftest import fixture_mentions
from yuqing.ingest import Ingestor


@pytest.fixture
def client(tmp_path, store, analyzer):
    Ingestor(analyzer, store).ingest(fixture_mentions())
    with TestClient(create_app(make_settings(tmp_path / "data"), store=store)) as c:
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
    assert bad.status_code == 422 and bad.json()["detail"].startswith("since:")


def test_districts_sum_places_by_their_first_part() -> None:
    places = [Count(value="岱岳区 粥店街道 幸福家园", count=2), Count(value="泰山区 财源街道", count=1),
              Count(value="岱岳区", count=1), Count(value=" ", count=9)]
    assert districts(places) == [Count(value="岱岳区", count=3), Count(value="泰山区", count=1)]


def test_pages_are_served_with_security_headers(client: TestClient) -> None:
    for path, title in (("/", "舆情总览"), ("/sites", "站点健康"), ("/login", "登录"), ("/alerts", "预警审核"),
                        ("/tickets", "工单督办"), ("/reports", "舆情简报")):
        page = client.get(path)
        assert page.status_code == 200 and f"<title>{title}" in page.text, path
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script>(?!</script>)", page.text), "no inline script (CSP)"
    home = client.get("/").text
    assert 'data-login-mode="token"' in home
    assert re.search(r'href="/alerts"[^>]*class="[^"]*soon', home) and "即将上线" in home
    assert "GET /api/alerts" in client.get("/alerts").text  # the placeholder says what it waits for
    assert client.get("/overview", follow_redirects=False).headers["location"] == "/"


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


def test_alert_and_ticket_pages_switch_on_when_their_api_exists(tmp_path, store) -> None:
    """Once the alerts stage adds its routes (issue 6), the pages leave their placeholders and the
    login page asks for a user name and password. The routes here only mark their presence."""
    app = create_app(make_settings(tmp_path / "data"), store=store)
    for path in ("/api/alerts", "/api/tickets/board", "/api/auth/login"):
        app.add_api_route(path, lambda: [], methods=["GET"])
    with TestClient(app) as c:
        alerts, tickets = c.get("/alerts").text, c.get("/tickets").text
        assert 'id="placeholder"' not in alerts and "/static/js/alerts.js" in alerts and 'id="alerts"' in alerts
        assert 'id="placeholder"' not in tickets and "/static/js/tickets.js" in tickets
        assert "即将上线" not in c.get("/").text
        login = c.get("/login").text
        assert 'data-login-mode="password"' in login and 'id="username"' in login and 'id="token"' not in login
