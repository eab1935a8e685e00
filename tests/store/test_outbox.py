"""The durable outbox: order kept, entries survive a restart, nothing leaves it by accident."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.analyze import Analyzer
from store.outbox import Outbox, OutboxStatus
from tests.builders import BASE_TIME, mention


@pytest.fixture
def items(analyzer: Analyzer):
    texts = ["泰山港华燃气岱岳区停气三天", "泰安燃气费这个月多了两百", "周末去泰山看日出"]
    return [(m, analyzer.analyze(m)) for m in (mention(n, t) for n, t in enumerate(texts, start=1))]


def test_entries_come_back_whole_in_arrival_order_after_reopening(tmp_path: Path, items) -> None:
    path = tmp_path / "outbox.sqlite"
    outbox = Outbox(path)
    seqs = outbox.append(items, reason="ConnectionError: refused", now=BASE_TIME)
    assert seqs == sorted(seqs) and len(seqs) == 3
    outbox.close()
    reopened = Outbox(path)
    entries = reopened.entries(OutboxStatus.pending)
    assert [(e.mention, e.analysis) for e in entries] == items
    assert [e.analysis.tokens for e in entries] == [a.tokens for _, a in items] and entries[0].analysis.tokens
    assert entries[0].queued_at == BASE_TIME and entries[0].reason == "ConnectionError: refused"
    assert reopened.has_pending() and reopened.counts()[OutboxStatus.pending] == 3
    assert [e.seq for e in reopened.entries(OutboxStatus.pending, after=seqs[0], limit=1)] == [seqs[1]]


def test_settle_removes_stored_marks_rejected_and_counts_retries(tmp_path: Path, items) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    first, second, third = outbox.append(items)
    outbox.settle(stored=[first], rejected=[(second, "document_parsing_exception: views")],
                  retry=[(third, "HTTP 429")])
    assert outbox.counts() == {OutboxStatus.pending: 1, OutboxStatus.rejected: 1}
    (waiting,) = outbox.entries(OutboxStatus.pending)
    assert (waiting.seq, waiting.attempts, waiting.reason) == (third, 1, "HTTP 429")
    (refused,) = outbox.entries(OutboxStatus.rejected)
    assert (refused.mention_id, refused.reason) == ("weibo:2", "document_parsing_exception: views")


def test_rejected_leave_only_when_superseded_discarded_or_requeued(tmp_path: Path, items) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    outbox.append(items, status=OutboxStatus.rejected, reason="mapper_parsing_exception")
    assert not outbox.has_pending()
    assert outbox.supersede(["weibo:1", "weibo:404"]) == 1  # a newer version of weibo:1 was stored
    assert outbox.discard("weibo:404") == 0
    assert outbox.discard("weibo:2") == 1
    pending = outbox.append(items[:1])  # something newer already waits
    assert outbox.requeue_rejected() == 1
    entries = outbox.entries(OutboxStatus.pending)
    assert [e.mention_id for e in entries] == ["weibo:1", "weibo:3"]  # requeued ones go to the end
    assert entries[0].seq == pending[0] and entries[1].reason == "mapper_parsing_exception"
    assert outbox.counts()[OutboxStatus.rejected] == 0


def test_supersede_never_touches_pending_entries(tmp_path: Path, items) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    outbox.append(items[:1])
    outbox.append(items[:1], status=OutboxStatus.rejected, reason="x")
    assert outbox.supersede(["weibo:1"]) == 1
    assert outbox.counts() == {OutboxStatus.pending: 1, OutboxStatus.rejected: 0}
