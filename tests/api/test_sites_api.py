"""GET /api/sites: targets with their last result, open incident and window figures; one
target's history; the latest crawl. Read from a real SQLite results store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.records import CheckResult, CheckStatus, CrawlProblem, CrawlReport
from crawlers.sitecheck.store import SiteStore
from tests.api.helpers import sign_in
from tests.conftest import make_settings
from yuqing.records import SHANGHAI, Role
from yuqing.settings_sites import SitesSettings

NOW = datetime.now(SHANGHAI).replace(microsecond=0)
TARGETS = [
    {"name": "官网首页", "url": "https://www.example.invalid/"},
    {"name": "缴费查询", "kind": "service", "url": "https://www.example.invalid/api/payment", "interval_minutes": 5,
     "json_field": "data.balance",
     "request": {"method": "POST", "json": {"account": "1"}, "headers": {"Authorization": "Bearer s3cret-token"}}},
    {"name": "用气申请表", "kind": "download", "url": "https://www.example.invalid/form.pdf"},
]


def result(name: str, minutes_ago: int, ok: bool, latency: float) -> CheckResult:
    return CheckResult(target=name, kind="page", url="https://www.example.invalid/", status=CheckStatus.ok if ok
                       else CheckStatus.failed, reason=Reason.ok if ok else Reason.query_answer,
                       detail="" if ok else "查询结果缺少字段 data.balance", http_status=200, latency_ms=latency,
                       checked_at=NOW - timedelta(minutes=minutes_ago))


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data", sites=SitesSettings(targets=TARGETS))


@pytest.fixture
def site_store(tmp_path) -> Iterator[SiteStore]:
    with SiteStore(tmp_path / "sites.sqlite") as store:
        for minutes in (30, 20, 10):
            rows = [result("官网首页", minutes, True, 100.0 + minutes),
                    result("缴费查询", minutes, minutes == 30, 50.0)]
            at = NOW - timedelta(minutes=minutes)
            store.save_run(rows, started_at=at, finished_at=at)
        store.open_incident(target="缴费查询", opened_at=NOW - timedelta(minutes=10), reason=Reason.query_answer,
                            detail="查询结果缺少字段 data.balance", alert_ref="alert-7")
        store.save_crawl(CrawlReport(start_urls=["https://www.example.invalid/"], started_at=NOW, finished_at=NOW,
                                     pages=3, resources=4, skipped=0,
                                     problems=[CrawlProblem(page="https://www.example.invalid/",
                                                            url="https://www.example.invalid/logo.png",
                                                            resource="image", http_status=404,
                                                            reason=Reason.http_status, detail="HTTP 404")]))
        yield store


@pytest.fixture
def client(settings, store, site_store, sqlite_db) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store, site_store=site_store, db=sqlite_db)) as c:
        sign_in(c, sqlite_db, settings, Role.viewer)
        yield c


def test_overview_lists_every_configured_target(client: TestClient) -> None:
    response = client.get("/api/sites")
    assert response.status_code == 200
    body = response.json()
    assert body["failing"] == 1
    by_name = {t["name"]: t for t in body["targets"]}
    assert list(by_name) == ["官网首页", "缴费查询", "用气申请表"]
    home, payment, form = by_name.values()
    assert home["last"]["status"] == "ok" and home["incident"] is None
    day = dict(home["windows"][0])
    assert day.pop("first_at")  # the oldest check in the window: how much of it the figures cover
    assert day == {"window": "24h", "checks": 3, "ok": 3, "uptime": 100.0,
                   "p50_ms": 120.0, "p95_ms": 130.0, "p99_ms": 130.0}
    assert payment["kind_zh"] == "线上服务" and payment["interval_minutes"] == 5
    assert payment["last"]["reason"] == "query_answer" and payment["last"]["reason_zh"] == "查询结果不符"
    assert payment["windows"][0]["uptime"] == pytest.approx(33.33)
    assert payment["incident"]["alert_ref"] == "alert-7"
    assert form["last"] is None and form["windows"][2]["checks"] == 0 and form["interval_minutes"] == 10
    assert "s3cret-token" not in response.text  # a query's headers may carry credentials


def test_one_target_with_its_history(client: TestClient) -> None:
    body = client.get("/api/sites/缴费查询", params={"limit": 2}).json()
    assert [r["status"] for r in body["results"]] == ["failed", "failed"]
    assert body["incidents"][0]["recovered_at"] is None
    missing = client.get("/api/sites/不存在")
    assert missing.status_code == 404 and missing.json()["detail"] == "未找到站点检查目标：不存在"
    bad = client.get("/api/sites/缴费查询", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["detail"] == "limit：不能小于 1"


def test_latest_crawl(client: TestClient) -> None:
    body = client.get("/api/sites/crawl").json()
    assert body["pages"] == 3 and body["problems"][0]["url"].endswith("logo.png")
    assert body["problems"][0]["reason_zh"] == "状态码异常"


def test_the_routes_need_a_login(settings, store, site_store, sqlite_db) -> None:
    with TestClient(create_app(settings, store=store, site_store=site_store, db=sqlite_db)) as c:
        assert c.get("/api/sites").status_code == 401
        assert c.get("/api/sites/crawl").status_code == 401
        headers = sign_in(c, sqlite_db, settings, Role.handler, department="it")
        assert c.get("/api/sites", headers=headers).status_code == 200
