"""Elasticsearch snapshots of the mention index (`yuqing es snapshot` / `snapshots` / `restore`;
README, "Backups") against the real test node, whose path.repo is a temporary directory.

A snapshot is taken while a writer keeps storing mentions through the real store; then the
indices, alias, template and repository registration are all removed (what a new cluster
with only the snapshot files looks like) and the snapshot restored: every mention
acknowledged before the snapshot started is back exactly once, the alias answers searches and
new writes land. Bad input: no location configured, a location the node does not allow, an
unknown snapshot name (nothing touched).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.analyze import Analyzer
from store.base import MentionQuery
from store.elasticsearch import ElasticsearchStore
from store.es_schema import MAPPING_VERSION
from store.outbox import Outbox
from tests.builders import mention
from tests.conftest import FIXTURES, es_node_tool
from tests.store.es_helpers import copies_per_id
from yuqing.cli import app
from yuqing.records import Analysis, Mention
from yuqing.settings import EsSettings, Settings
from yuqing.wiring import query_tokenizer

pytestmark = pytest.mark.slow
TEXTS = (FIXTURES / "store" / "snapshot-texts.txt").read_text(encoding="utf-8").split("\n")[:-1]
BATCH = 20


@pytest.fixture
def snap_es(es_settings: EsSettings, es_node: es_node_tool.EsNode) -> Iterator[EsSettings]:
    """The test's prefix, with a repository of its own below the node's path.repo."""
    name = f"r{uuid.uuid4().hex[:10]}"
    es = es_settings.model_copy(update={"snapshot_location": str(es_node.snapshots / name),
                                        "snapshot_repository": name})
    yield es
    if es_node.running:
        from elasticsearch import Elasticsearch

        with Elasticsearch(es_node.url, request_timeout=60) as client:
            client.options(ignore_status=404).snapshot.delete_repository(name=name)


def env_of(es: EsSettings, data_dir: Path) -> dict[str, str]:
    return {"YUQING_ES_URL": es.url, "YUQING_ES__INDEX_PREFIX": es.index_prefix, "YUQING_ES__REPLICAS": "0",
            "YUQING_ES__SNAPSHOT_LOCATION": es.snapshot_location,
            "YUQING_ES__SNAPSHOT_REPOSITORY": es.snapshot_repository, "YUQING_STORAGE__DATA_DIR": str(data_dir)}


def open_store(es: EsSettings, tmp_path: Path) -> ElasticsearchStore:
    return ElasticsearchStore.open(es, tokenize=query_tokenizer(Settings()),
                                   outbox=Outbox(tmp_path / f"outbox-{uuid.uuid4().hex[:6]}.sqlite"))


def items(analyses: list[Analysis], numbers: range) -> list[tuple[Mention, Analysis]]:
    """Mentions over the 30 days before BASE_TIME: two monthly indices."""
    return [(mention(n, TEXTS[n % len(TEXTS)], hours_ago=(n * 7) % 720), analyses[n % len(TEXTS)]) for n in numbers]


@dataclass
class Writer:
    """Stores batch after batch until told to stop; remembers when each batch was acknowledged."""

    store: ElasticsearchStore
    analyses: list[Analysis]
    start: int
    stop: threading.Event = field(default_factory=threading.Event)
    acked: list[tuple[float, list[str]]] = field(default_factory=list)  # (monotonic time, ids)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        n = self.start
        while not self.stop.is_set():
            batch = items(self.analyses, range(n, n + BATCH))
            n += BATCH
            result = self.store.upsert(batch)
            if result.queued or result.failed:
                self.errors.append(f"{result.queued} {result.failed}")
            held = set(result.queued) | {i for i, _ in result.failed}
            self.acked.append((time.monotonic(), [m.id for m, _ in batch if m.id not in held]))

    def acked_before(self, moment: float) -> set[str]:
        return {i for at, ids in self.acked if at < moment for i in ids}


def test_snapshot_under_writes_restored_on_an_empty_cluster(snap_es: EsSettings, tmp_path: Path,
                                                            analyzer: Analyzer) -> None:
    analyses = [analyzer.analyze(mention(0, text)) for text in TEXTS]
    runner, env = CliRunner(), env_of(snap_es, tmp_path / "data")
    store = open_store(snap_es, tmp_path)
    first = store.upsert(items(analyses, range(0, 200)))
    assert first.inserted == 200
    writer = Writer(store, analyses, start=200)
    thread = threading.Thread(target=writer.run)
    thread.start()
    while len(writer.acked) < 3:  # the writer is well under way
        time.sleep(0.05)
    started = time.monotonic()
    taken = runner.invoke(app, ["es", "snapshot", "nightly-1"], env=env)
    batches_at_end = len(writer.acked)
    while len(writer.acked) < batches_at_end + 2:  # and still writing after it
        time.sleep(0.05)
    writer.stop.set()
    thread.join(60)
    store.close()
    assert taken.exit_code == 0, taken.output
    assert "snapshot nightly-1" in taken.output and f"{snap_es.index_prefix}-2026.11" in taken.output
    assert not writer.errors
    before = {m.id for m, _ in items(analyses, range(0, 200))} | writer.acked_before(started)
    assert len(before) > 200

    # A cluster with nothing of ours: no indices, no alias, no template, no repository.
    admin = store.client.__class__(snap_es.url, request_timeout=60)
    admin.indices.delete(index=f"{snap_es.index_prefix}-*")
    admin.indices.delete_index_template(name=snap_es.index_prefix)
    admin.snapshot.delete_repository(name=snap_es.snapshot_repository)
    assert not admin.indices.exists_alias(name=snap_es.index_prefix)

    restored = runner.invoke(app, ["es", "restore", "nightly-1", "--yes"], env=env)
    assert restored.exit_code == 0, restored.output
    assert "restored 2 indices from nightly-1" in restored.output
    assert admin.indices.exists_alias(name=snap_es.index_prefix)
    template = admin.indices.get_index_template(name=snap_es.index_prefix)["index_templates"][0]
    assert template["index_template"]["_meta"]["yuqing_mapping"] == MAPPING_VERSION

    again = open_store(snap_es, tmp_path)
    counts = copies_per_id(again)
    assert before <= set(counts) and all(counts[i] == 1 for i in counts)  # every acknowledged one, once
    found = again.search(MentionQuery(text="冒充", limit=5))
    assert found.total == sum("冒充" in TEXTS[int(i.rsplit(":", 1)[-1]) % len(TEXTS)] for i in counts) > 0
    late = again.upsert(items(analyses, range(100_000, 100_001)))  # and it takes new mentions
    assert late.inserted == 1 and again.get(mention(100_000, "x").id) is not None
    again.close()
    admin.close()


def test_restore_in_place_replaces_the_snapshot_indices_and_keeps_newer_ones(
        snap_es: EsSettings, tmp_path: Path, analyzer: Analyzer) -> None:
    """The usual case: the indices are there (open, in use) and go back to the snapshot's state."""
    analyses = [analyzer.analyze(mention(0, text)) for text in TEXTS]
    runner, env = CliRunner(), env_of(snap_es, tmp_path / "data")
    store = open_store(snap_es, tmp_path)
    store.upsert(items(analyses, range(0, 100)))
    store.close()
    assert runner.invoke(app, ["es", "snapshot", "before-mistake"], env=env).exit_code == 0
    store = open_store(snap_es, tmp_path)
    store.upsert(items(analyses, range(100, 140)))  # after the snapshot, same two months
    newer = mention(500, TEXTS[0]).model_copy(update={"published_at": mention(0, "").published_at.replace(month=12)})
    store.upsert([(newer, analyses[0])])  # a month the snapshot does not have
    store.close()

    restored = runner.invoke(app, ["es", "restore", "before-mistake", "--yes"], env=env)
    assert restored.exit_code == 0, restored.output
    assert f"kept as they were (newer than the snapshot): {snap_es.index_prefix}-2026.12" in restored.output
    store = open_store(snap_es, tmp_path)
    counts = copies_per_id(store)
    assert set(counts) == {m.id for m, _ in items(analyses, range(0, 100))} | {newer.id}
    assert store.count(MentionQuery()) == 101
    store.close()


def test_listing_and_keeping_the_newest(snap_es: EsSettings, tmp_path: Path, analyzer: Analyzer) -> None:
    runner, env = CliRunner(), env_of(snap_es, tmp_path / "data")
    store = open_store(snap_es, tmp_path)
    store.upsert(items([analyzer.analyze(mention(0, TEXTS[0]))] * len(TEXTS), range(0, 10)))
    store.close()
    for name in ("a-1", "a-2", "a-3"):
        assert runner.invoke(app, ["es", "snapshot", name], env=env).exit_code == 0
    kept = runner.invoke(app, ["es", "snapshot", "a-4", "--keep", "2"], env=env)
    assert kept.exit_code == 0
    assert "removed old snapshot a-1" in kept.output and "removed old snapshot a-2" in kept.output
    listed = runner.invoke(app, ["es", "snapshots"], env=env)
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == ["a-3", "a-4"]
    assert all("SUCCESS" in line for line in listed.output.splitlines())
    again = runner.invoke(app, ["es", "snapshot", "a-4"], env=env)  # names are not reused...
    assert again.exit_code == 2 and "a-4" in again.output and "already exists" in again.output
    bad = runner.invoke(app, ["es", "snapshot", "Nightly 1"], env=env)  # ...and are what Elasticsearch accepts
    assert bad.exit_code == 2 and bad.output.strip() == ("yuqing: snapshot name 'Nightly 1': lower-case letters, "
                                                         "digits, '.', '_' and '-' only")
    listed_after = runner.invoke(app, ["es", "snapshots"], env=env)
    assert listed_after.output == listed.output  # the refused ones left nothing behind


def test_unknown_snapshot_is_refused_and_nothing_is_touched(snap_es: EsSettings, tmp_path: Path,
                                                            analyzer: Analyzer) -> None:
    runner, env = CliRunner(), env_of(snap_es, tmp_path / "data")
    store = open_store(snap_es, tmp_path)
    store.upsert(items([analyzer.analyze(mention(0, TEXTS[0]))] * len(TEXTS), range(0, 30)))
    store.close()
    assert runner.invoke(app, ["es", "snapshot", "real-one"], env=env).exit_code == 0
    result = runner.invoke(app, ["es", "restore", "no-such-snapshot", "--yes"], env=env)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "snapshot no-such-snapshot is not in repository" in lines[0]
    assert "Nothing was changed" in lines[0]
    store = open_store(snap_es, tmp_path)
    state = store.client.cat.indices(index=f"{snap_es.index_prefix}-*", expand_wildcards="all", format="json")
    assert [(row["index"], row["status"]) for row in state] == [(f"{snap_es.index_prefix}-2026.11", "open")]
    assert store.count(MentionQuery()) == 30 and len(copies_per_id(store)) == 30
    store.close()


def test_no_snapshot_location_configured(es_settings: EsSettings, tmp_path: Path) -> None:
    env = env_of(es_settings, tmp_path / "data")
    for command in (["es", "snapshot"], ["es", "snapshots"], ["es", "restore", "x", "--yes"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 2
        assert result.output.strip() == ("yuqing: no snapshot repository configured: set es.snapshot_location to a "
                                         "directory listed in path.repo on the Elasticsearch nodes")


def test_location_the_node_does_not_allow(snap_es: EsSettings, tmp_path: Path) -> None:
    elsewhere = snap_es.model_copy(update={"snapshot_location": str(tmp_path / "elsewhere")})
    env = env_of(elsewhere, tmp_path / "data")
    result = CliRunner().invoke(app, ["es", "snapshot"], env=env)
    assert result.exit_code == 2
    assert result.output.strip() == (f"yuqing: es.snapshot_location {tmp_path / 'elsewhere'} is not allowed by the "
                                     "Elasticsearch nodes: add it to path.repo in elasticsearch.yml on every node "
                                     "and restart them")
    from elasticsearch import Elasticsearch

    with Elasticsearch(snap_es.url) as client:  # nothing registered
        assert client.options(ignore_status=404).snapshot.get_repository(
            name=snap_es.snapshot_repository).meta.status == 404


def test_relative_location_is_refused_by_the_settings(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["es", "snapshot"], env={"YUQING_ES_URL": "http://127.0.0.1:9",
                                                              "YUQING_ES__SNAPSHOT_LOCATION": "snapshots",
                                                              "YUQING_STORAGE__DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2 and "es.snapshot_location" in result.output and "absolute path" in result.output
