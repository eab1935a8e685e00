"""Nothing is lost when Elasticsearch goes away: analysed mentions wait in the outbox and are
replayed in order once it is back. Each test runs its own real node, since it stops it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlp.analyze import Analyzer
from store.base import MentionQuery
from store.elasticsearch import ElasticsearchStore
from store.outbox import Outbox, OutboxStatus
from tests.builders import mention
from tests.conftest import REQUIRE_ES, es_node_tool
from tests.store.es_helpers import copies_per_id
from yuqing.records import Analysis, Mention, Platform
from yuqing.settings import EsSettings, Settings
from yuqing.wiring import query_tokenizer

TOTAL = 10_000
BATCH = 200
STOP_AT_BATCH = 15  # of 50: the node is stopped while batch 16 and later are being written
TEXTS = [
    "泰山港华燃气岱岳区停气三天，客服电话打不通", "感谢泰安港华燃气抢修师傅半夜上门", "泰安燃气费这个月多了两百",
    "新泰市青云街道平阳小区气压低，壁挂炉打不着火", "泰山港华燃气发布计划停气通知", "有人冒充燃气公司上门推销报警器",
    "肥城燃气报装等了两个月还没通气", "泰安港华的app交费总是失败", "东平县燃气管道施工把路挖断了",
]


@pytest.fixture
def own_node(tmp_path: Path) -> Iterator[es_node_tool.EsNode]:
    reason = es_node_tool.unavailable_reason()
    if reason:
        if REQUIRE_ES:
            pytest.fail(f"YUQING_REQUIRE_ES=1 but the Elasticsearch test node cannot run: {reason}", pytrace=False)
        pytest.skip(f"Elasticsearch test node unavailable: {reason}")
    es_node_tool.build()
    node = es_node_tool.EsNode(tmp_path / "es")
    yield node
    node.stop()


def open_store(url: str, tmp_path: Path, **overrides) -> ElasticsearchStore:
    es = EsSettings(url=url, index_prefix=f"o{uuid.uuid4().hex[:8]}-mentions", replicas=0, retry_seconds=0,
                    request_timeout=5, **overrides)
    return ElasticsearchStore.open(es, tokenize=query_tokenizer(Settings()), outbox=Outbox(tmp_path / "outbox.sqlite"))


def corpus(analyzer: Analyzer) -> list[tuple[Mention, Analysis]]:
    """TOTAL mentions over ~70 days (three monthly indices); the texts are analysed once."""
    analyses = [analyzer.analyze(mention(0, text)) for text in TEXTS]
    platforms = list(Platform)
    return [(mention(n, TEXTS[n % len(TEXTS)], platform=platforms[n % 3], hours_ago=(n * 7) % 1680,
                     likes=n % 97), analyses[n % len(TEXTS)])
            for n in range(TOTAL)]


def test_node_stopped_mid_ingest_of_10000_then_everything_once(own_node, tmp_path: Path,
                                                               analyzer: Analyzer) -> None:
    url = own_node.start()
    store = open_store(url, tmp_path, bulk_size=100)
    items = corpus(analyzer)
    stopper = threading.Thread(target=own_node.stop)
    inserted = queued = 0
    for number, start in enumerate(range(0, TOTAL, BATCH)):
        if number == STOP_AT_BATCH:
            stopper.start()  # SIGTERM: the node shuts down while the next bulks are in flight
        batch = items[start:start + BATCH]
        if number >= STOP_AT_BATCH + 5:  # re-crawls of already stored posts while it is down
            batch += [(m.model_copy(update={"likes": 10_000 + number}), a) for m, a in items[:3]]
        result = store.upsert(batch)
        assert not result.failed
        inserted += result.inserted
        queued += len(result.queued)
    stopper.join()
    waiting = store.outbox.counts()[OutboxStatus.pending]
    assert waiting == queued > 0 and inserted < TOTAL  # the outage really cut the ingest

    assert own_node.start() == url  # same port: the store's client reconnects by itself
    replayed = store.replay_outbox()
    assert replayed["waiting"] == 0 and replayed["stored"] == waiting

    copies = copies_per_id(store)
    assert len(copies) == TOTAL and set(copies.values()) == {1}
    assert set(copies) == {m.id for m, _ in items}
    assert store.count(MentionQuery()) == TOTAL
    assert store.outbox.counts() == {OutboxStatus.pending: 0, OutboxStatus.rejected: 0}
    last_recrawl = 10_000 + TOTAL // BATCH - 1  # replayed in order: the latest version won
    assert [store.get(m.id).mention.likes for m, _ in items[:3]] == [last_recrawl] * 3
    print(f"\noutbox test: {TOTAL} mentions, {inserted} stored before/while the node stopped, "
          f"{waiting} outbox entries replayed after restart, {len(copies)} distinct ids, "
          f"max copies per id {max(copies.values())}, outbox left {store.outbox.counts()}")
    store.close()


def test_load_shedding_429_queues_and_replays(own_node, tmp_path: Path, analyzer: Analyzer) -> None:
    """A node whose indexing-pressure limit is tiny answers every bulk with HTTP 429."""
    own_node.settings = {"indexing_pressure.memory.limit": "1kb"}
    url = own_node.start()
    store = open_store(url, tmp_path)
    items = corpus(analyzer)[:300]
    result = store.upsert(items)
    assert (result.inserted, result.failed) == (0, [])
    assert result.queued == [m.id for m, _ in items]
    entries = store.outbox.entries(OutboxStatus.pending, limit=1000)
    assert [e.mention_id for e in entries] == [m.id for m, _ in items]
    assert "429" in entries[0].reason or "rejected_execution" in entries[0].reason
    # Still shedding load: a later upsert queues behind the waiting ones instead of overtaking.
    later = store.upsert([(items[0][0].model_copy(update={"likes": 777}), items[0][1])])
    assert later.queued == [items[0][0].id]

    own_node.stop()
    own_node.settings = {}
    assert own_node.start() == url
    assert store.replay_outbox() == {"stored": 301, "rejected": 0, "waiting": 0}
    assert store.count(MentionQuery()) == 300 and store.get(items[0][0].id).mention.likes == 777
    store.close()


def test_with_the_cluster_unreachable_a_refused_document_stays_refused(tmp_path: Path, analyzer: Analyzer) -> None:
    """Down cluster: the normal mention waits as pending; the oversized one is refused at once,
    reported, and kept as rejected (it would never go in, so it must not block the queue)."""
    import socket

    from store.es_client import make_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    es = EsSettings(url=url, request_timeout=3)
    store = ElasticsearchStore(make_client(es), tokenize=query_tokenizer(Settings()), hosts=es.hosts,
                               outbox=Outbox(tmp_path / "outbox.sqlite"))
    normal, huge = mention(1, "泰安停气"), mention(2, "燃" * 3_600_000)
    result = store.upsert([(normal, analyzer.analyze(normal)), (huge, analyzer.analyze(huge))])
    assert result.queued == ["weibo:1"]
    assert [(i, r.startswith("document larger than")) for i, r in result.failed] == [("weibo:2", True)]
    assert [e.mention_id for e in store.outbox.entries(OutboxStatus.pending)] == ["weibo:1"]
    assert [e.mention_id for e in store.outbox.entries(OutboxStatus.rejected)] == ["weibo:2"]
    store.close()
