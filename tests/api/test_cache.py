"""The read cache: expiry, invalidation by writes, one computation for many waiters, and
handlers never served another department's board."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from alerts.actor import SYSTEM
from alerts.db import now_shanghai
from alerts.levels import Level
from alerts.tickets.service import open_ticket
from api.app import create_app
from api.cache import ResponseCache
from tests.api.helpers import add_user, login
from tests.conftest import make_settings


def test_entries_expire_and_die_with_a_write() -> None:
    now = [0.0]
    cache = ResponseCache(ttl=2, clock=lambda: now[0])
    calls = []

    def compute() -> bytes:
        calls.append(1)
        return str(len(calls)).encode()

    assert cache.get("k", 0, compute) == b"1" and cache.get("k", 0, compute) == b"1"
    now[0] = 2.5
    assert cache.get("k", 0, compute) == b"2"  # expired
    assert cache.get("k", 1, compute) == b"3"  # a write happened meanwhile
    assert ResponseCache(ttl=0).get("k", 0, compute) == b"4"  # disabled


def test_many_waiters_one_computation_and_a_bounded_size() -> None:
    cache = ResponseCache(ttl=60, size=3)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow() -> bytes:
        calls.append(1)
        started.set()
        release.wait(5)
        return b"board"

    answers: list[bytes] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.get("board", 0, slow))) for _ in range(20)]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert answers == [b"board"] * 20 and len(calls) == 1
    for key in "abcd":
        cache.get(key, 0, lambda key=key: key.encode())
    assert list(cache._entries) == ["b", "c", "d"]


def test_boards_are_cached_per_department_and_fresh_after_a_change(tmp_path, store, sqlite_db) -> None:
    settings = make_settings(tmp_path / "data")
    db = sqlite_db
    for name, department in (("kefu", "customer"), ("diaodu", "dispatch")):
        add_user(db, settings, name, "handler", department)
    with db.write() as session:
        ticket = open_ticket(session, title="燃气费多收", settings=settings, actor=SYSTEM, now=now_shanghai(),
                             level=Level.yellow, category="billing", department="customer")
    with TestClient(create_app(settings, store=store, db=db)) as client:
        kefu, diaodu = login(client, "kefu"), login(client, "diaodu")

        def assigned(headers: dict[str, str]) -> list[int]:
            board = client.get("/api/tickets/board", headers=headers).json()
            return [t["id"] for t in next(c for c in board if c["status"] == "assigned")["items"]]

        assert assigned(kefu) == [ticket.id]
        assert assigned(diaodu) == []  # the cached customer board is not theirs
        client.post(f"/api/tickets/{ticket.id}/actions/accept", json={}, headers=kefu)
        assert assigned(kefu) == []  # the change shows at once, not after the TTL
