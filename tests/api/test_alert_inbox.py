"""The alert inbox: the most severe level first, then the most recent; each alert says when its
posts were published (what staff prioritise by), not only when the system found them; and the
trail names the system in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from alerts.db import Database, now_shanghai
from alerts.flows import AlertEvaluator
from alerts.models import Alert, AlertKind
from alerts.rules.loader import RuleBook
from api.app import create_app
from tests.api.helpers import sign_in
from tests.builders import mention
from tests.conftest import make_settings

OUTAGE = "泰山港华燃气岱岳区停气三天，客服电话打不通"
# (level, minutes before now it was last active): orange among yellows, and an older red
INBOX = [("yellow", 5), ("orange", 50), ("yellow", 10), ("blue", 1), ("red", 300), ("orange", 20)]


@pytest.fixture
def client(tmp_path, store, analyzer, sqlite_db: Database) -> Iterator[tuple[TestClient, datetime]]:
    settings = make_settings(tmp_path / "data")
    rules = RuleBook(tmp_path / "data" / "alert_rules.yaml", db=sqlite_db)
    now = now_shanghai()
    item = mention(1, OUTAGE, published_at=now - timedelta(hours=5))  # found five hours after it was written
    analysis = analyzer.analyze(item)
    store.upsert([(item, analysis)])
    (outcome,) = AlertEvaluator(sqlite_db, rules, settings).evaluate([(item, analysis)], now=now)
    with sqlite_db.write() as session:
        session.get(Alert, outcome.alert_id).last_seen_at = now - timedelta(days=2)  # the oldest of all
        for n, (level, minutes) in enumerate(INBOX):
            at = now - timedelta(minutes=minutes)
            session.add(Alert(kind=AlertKind.operations.value, level=level, status="pending", title=f"预警{n}",
                              event_key=f"test:{n}", opened_at=at, updated_at=at, last_seen_at=at))
    with TestClient(create_app(settings, store=store, db=sqlite_db, rules=rules)) as c:
        sign_in(c, sqlite_db, settings, "pr")
        yield c, now


def test_the_inbox_lists_the_most_severe_first_then_the_most_recent(client) -> None:
    c, _ = client
    items = c.get("/api/alerts", params={"size": 50}).json()["items"]
    order = [(a["level"], a["title"]) for a in items]
    assert order == [("red", "预警4"), ("orange", "预警5"), ("orange", "预警1"), ("yellow", "预警0"),
                     ("yellow", "预警2"), ("yellow", order[5][1]), ("blue", "预警3")]
    assert order[5][1].startswith("停气降压")  # the mention alert (yellow), last active two days ago
    second = c.get("/api/alerts", params={"size": 2, "page": 2}).json()["items"]
    assert [a["title"] for a in second] == ["预警1", "预警0"]  # pages follow the same order


def test_alerts_carry_the_publication_time_of_their_posts(client) -> None:
    c, now = client
    items = {a["title"][:4]: a for a in c.get("/api/alerts").json()["items"]}
    found = items["停气降压"]
    published = datetime.fromisoformat(found["last_published_at"])
    assert abs(published - (now - timedelta(hours=5))) < timedelta(seconds=1)
    assert found["first_published_at"] == found["last_published_at"]
    assert datetime.fromisoformat(found["opened_at"]) - published >= timedelta(hours=4, minutes=59)
    assert items["预警0"]["last_published_at"] is None  # an operations alert has no posts
    detail = c.get(f"/api/alerts/{found['id']}").json()
    assert detail["last_published_at"] == found["last_published_at"]
    assert [(e["actor"], e["actor_zh"]) for e in detail["events"]] == [("system", "系统")]
