"""GET /metrics: who may read it, and that its figures are the service's own (source states,
open and overdue tickets, pending alerts, outbox depth, NLP timings, HTTP latency by route)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from alerts.actor import SYSTEM
from alerts.db import Database, now_shanghai
from alerts.service import open_operational_alert
from alerts.tickets.service import open_ticket
from api.app import create_app
from crawlers.health import HealthBook, SourceState
from crawlers.state import CrawlState
from tests.api.helpers import add_user, login
from tests.conftest import FIXTURES, make_settings
from yuqing.metrics import NLP, record_crawl
from yuqing.records import SHANGHAI, Role
from yuqing.settings_run import MetricsSettings

TOKEN = "scraper-token-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def world(tmp_path, store, sqlite_db: Database) -> Iterator[tuple[TestClient, Database]]:
    settings = make_settings(tmp_path / "data", metrics=MetricsSettings(token=TOKEN, cache_seconds=0))
    state = CrawlState(settings.storage.crawl_state_db)
    now = datetime.now(SHANGHAI)
    HealthBook(state.conn).record("weibo", SourceState.ok, "", items=12, problems={}, now=now)
    HealthBook(state.conn).record("douyin", SourceState.blocked, "needs_signer", items=0,
                                  problems={"needs_signer": 1}, now=now)
    state.close()
    earlier = now_shanghai() - timedelta(days=3)
    with sqlite_db.write() as session:  # one ticket long overdue, one on time; one alert waiting
        open_ticket(session, title="燃气费多收", settings=settings, actor=SYSTEM, now=earlier, level="yellow",
                    category="billing", department="customer")
        open_ticket(session, title="新工单", settings=settings, actor=SYSTEM, now=now_shanghai(), level="blue",
                    category="other", department="office")
        open_operational_alert(session, key="source:douyin", title="抖音无法抓取", detail="需要签名器",
                               settings=settings, now=now_shanghai(), open_ticket=False)
    with TestClient(create_app(settings, store=store, db=sqlite_db)) as client:
        for name, role in (("admin1", Role.admin), ("viewer1", Role.viewer), ("pr1", Role.pr)):
            add_user(sqlite_db, settings, name, role)
        yield client, sqlite_db


def test_only_administrators_and_the_scraper_token_read_metrics(world) -> None:
    client, _ = world
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert client.get("/metrics", headers=login(client, "viewer1")).status_code == 403
    assert client.get("/metrics", headers=login(client, "admin1")).status_code == 200
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")


def test_figures_come_from_the_databases(world) -> None:
    client, _ = world
    found = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
    assert value(found, "yuqing_source_state", source="weibo", state="ok") == 1
    assert value(found, "yuqing_source_state", source="douyin", state="blocked") == 1
    assert value(found, "yuqing_source_state", source="douyin", state="ok") == 0
    assert value(found, "yuqing_source_state", source="wechat", state="unknown") == 1
    assert value(found, "yuqing_source_last_run_items", source="weibo") == 12
    assert value(found, "yuqing_tickets_overdue", department="customer") == 1
    assert value(found, "yuqing_tickets_overdue", department="office") == 0
    assert value(found, "yuqing_tickets_open", department="office", status="assigned") == 1
    assert value(found, "yuqing_alerts_pending", level="orange") == 1
    assert value(found, "yuqing_alerts_opened_24h", level="orange") == 1
    assert value(found, "yuqing_outbox_entries", status="pending") == 0
    assert value(found, "yuqing_data_dir_free_bytes") > 0
    assert all(value(found, "yuqing_component_up", component=c) == 1
               for c in ("crawl_state", "outbox", "database", "data_dir"))
    assert value(found, "process_resident_memory_bytes") > 0


def test_native_memory_is_told_apart_by_kind(world) -> None:
    """What grows shows in yuqing_memory_bytes: SQLite's page cache and a large buffer here."""
    client, _ = world
    headers = {"Authorization": f"Bearer {TOKEN}"}
    before = samples(client.get("/metrics", headers=headers).text)
    index = sqlite3.connect(":memory:")
    index.execute("CREATE TABLE t (x TEXT)")
    index.executemany("INSERT INTO t VALUES (?)", [("燃气" * 50,)] * 50_000)
    buffer = bytearray(64 << 20)
    after = samples(client.get("/metrics", headers=headers).text)
    grown = {kind: value(after, "yuqing_memory_bytes", kind=kind) - value(before, "yuqing_memory_bytes", kind=kind)
             for kind in ("sqlite", "malloc_in_use")}
    assert grown["sqlite"] > 4 << 20, grown
    assert grown["malloc_in_use"] > grown["sqlite"] + (60 << 20), grown  # SQLite's bytes are part of it
    index.close()
    del buffer


def test_http_latency_is_labelled_by_route_template_never_by_raw_path(world) -> None:
    client, db = world
    headers = login(client, "pr1")
    with db.read() as session:
        from sqlalchemy import select

        from alerts.tickets.models import Ticket
        ticket_ids = list(session.scalars(select(Ticket.id)))
    for ticket_id in ticket_ids:
        assert client.get(f"/api/tickets/{ticket_id}", headers=headers).status_code == 200
    client.get("/api/no-such-route-4711", headers=headers)
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    found = samples(text)
    key = {"method": "GET", "route": "/api/tickets/{ticket_id}", "status": "200"}
    assert value(found, "yuqing_http_request_duration_seconds_count", **key) >= len(ticket_ids)
    assert value(found, "yuqing_http_request_duration_seconds_count", method="GET", route="unmatched",
                 status="404") >= 1
    assert "no-such-route-4711" not in text and f"/api/tickets/{ticket_ids[0]}\"" not in text


def test_nlp_timings_count_in_process_ingest_and_crawl_children(world) -> None:
    client, _ = world
    before = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
    upload = (FIXTURES / "clippings" / "good.csv").read_bytes()
    response = client.post("/api/clippings", files={"file": ("c.csv", upload, "text/csv")},
                           headers=login(client, "pr1"))
    assert response.json()["accepted"] == 3
    child = NLP.__class__()  # a crawl child's timings, as its report carries them
    for seconds in (0.004, 0.02, 3.0):
        child.observe("weibo", seconds)
    record_crawl("weibo", {"stored_new": 3, "stored_updated": 1, "login_wall": 2, "pages": 5,
                           "nlp": child.snapshot()}, result="ok")
    after = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("yuqing_nlp_mentions_total", source="clipping") == 3
    assert grew("yuqing_nlp_mentions_total", source="weibo") == 3
    assert grew("yuqing_nlp_analyze_seconds_bucket", source="weibo", le="0.005") == 1
    assert grew("yuqing_nlp_analyze_seconds_bucket", source="weibo", le="2.5") == 2
    assert grew("yuqing_nlp_analyze_seconds_bucket", source="weibo", le="+Inf") == 3
    assert grew("yuqing_crawl_items_total", source="weibo", outcome="new") == 3
    assert grew("yuqing_crawl_problems_total", source="weibo", problem="login_wall") == 2
    assert grew("yuqing_crawl_problems_total", source="weibo", problem="pages") == 0
    assert grew("yuqing_crawl_runs_total", source="weibo", result="ok") == 1


def test_metrics_can_be_switched_off(tmp_path, store, sqlite_db) -> None:
    settings = make_settings(tmp_path / "data", metrics=MetricsSettings(enabled=False, token=TOKEN))
    with TestClient(create_app(settings, store=store, db=sqlite_db)) as client:
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
