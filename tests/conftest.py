"""Shared fixtures: settings in a temporary data directory, one analyzer per session
(loading jieba and the sentiment model takes a second or two), a fresh SQLite store, a real
Elasticsearch node for the whole session with fresh indices for every test, and the
relational database on SQLite and on a throwaway PostgreSQL server.

The Elasticsearch and PostgreSQL tests are skipped, with the reason printed, when Java and
Maven or the PostgreSQL binaries are missing; with YUQING_REQUIRE_ES=1 / YUQING_REQUIRE_PG=1
(CI) that is a failure instead.
"""

from __future__ import annotations

import itertools
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from alerts.db import Database
from nlp.analyze import Analyzer
from store.sqlite import SQLiteStore
from tools.pg_server import PostgresServer, PostgresUnavailable, start_server
from yuqing.settings import EsSettings, Settings, StorageSettings
from yuqing.wiring import query_tokenizer

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("YUQING_SHARED", REPO.parent / "shared"))
REQUIRE_ES = os.environ.get("YUQING_REQUIRE_ES") == "1"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `tools.es_node`, however pytest was started
from tools import es_node as es_node_tool  # noqa: E402


def pytest_report_header(config: pytest.Config) -> str:
    reason = es_node_tool.unavailable_reason()
    if reason is None:
        return "elasticsearch test node: available (started on first use)"
    verdict = "FAIL (YUQING_REQUIRE_ES=1)" if REQUIRE_ES else "tests skipped"
    return f"elasticsearch test node: unavailable, {verdict}: {reason}"


def make_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(storage=StorageSettings(data_dir=data_dir), **overrides)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer(Settings())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "mentions.sqlite", query_tokenizer(Settings())) as s:
        yield s


@pytest.fixture(scope="session")
def es_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[es_node_tool.EsNode]:
    """One real Elasticsearch node for the whole test session."""
    reason = es_node_tool.unavailable_reason()
    if reason:
        if REQUIRE_ES:
            pytest.fail(f"YUQING_REQUIRE_ES=1 but the Elasticsearch test node cannot run: {reason}", pytrace=False)
        print(f"skipping Elasticsearch tests: {reason}")
        pytest.skip(f"Elasticsearch test node unavailable: {reason}")
    es_node_tool.build()  # outside the start timeout: a cold build downloads the jars
    node = es_node_tool.EsNode(tmp_path_factory.mktemp("es-node"))
    node.start(timeout=120)
    yield node
    node.stop()


def drop_prefix(url: str, prefix: str) -> None:
    """Remove a test's indices and template, so the session's node stays small."""
    from elasticsearch import Elasticsearch

    with Elasticsearch(url, request_timeout=30) as client:
        client.options(ignore_status=404).indices.delete(index=f"{prefix}-*", expand_wildcards="all")
        client.options(ignore_status=404).indices.delete_index_template(name=prefix)


@pytest.fixture
def es_settings(es_node: es_node_tool.EsNode) -> Iterator[EsSettings]:
    """Settings for the session's node with a prefix (indices, alias, template) of this test only."""
    prefix = f"t{uuid.uuid4().hex[:12]}-mentions"
    yield EsSettings(url=es_node.url, index_prefix=prefix, replicas=0, retry_seconds=0)
    if es_node.running:
        drop_prefix(es_node.url, prefix)


@pytest.fixture
def es_store(es_settings: EsSettings, tmp_path: Path):
    from store.elasticsearch import ElasticsearchStore
    from store.outbox import Outbox

    store = ElasticsearchStore.open(es_settings, tokenize=query_tokenizer(Settings()),
                                    outbox=Outbox(tmp_path / "es_outbox.sqlite"))
    yield store
    store.close()
# -- the relational database (alerts, tickets, users) on SQLite and on PostgreSQL ------------
_pg_databases = itertools.count(1)
PG_TEMPLATE = "yuqing_template"


def start_pg_or_skip() -> PostgresServer:
    """A throwaway PostgreSQL server; skip the test without one, fail under YUQING_REQUIRE_PG=1."""
    try:
        return start_server()
    except PostgresUnavailable as exc:
        if os.environ.get("YUQING_REQUIRE_PG") == "1":
            pytest.fail(f"YUQING_REQUIRE_PG=1 but PostgreSQL cannot start: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server (Debian's binaries), with a migrated template database."""
    server = start_pg_or_skip()
    try:
        admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {PG_TEMPLATE}")
        admin.dispose()
        template = Database(server.url_for(PG_TEMPLATE), pool_size=1)
        template.migrate()
        template.close()
        yield server
    finally:
        server.stop()


def fresh_pg_database(server: PostgresServer) -> Database:
    """A new database copied from the migrated template (a fraction of a second)."""
    name = f"test_{next(_pg_databases)}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}")
    admin.dispose()
    return Database(server.url_for(name))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The relational database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'yuqing.sqlite'}")
        database.migrate()
    else:
        database = fresh_pg_database(request.getfixturevalue("pg_server"))
    yield database
    database.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """The relational database on SQLite only (for tests about something else than storage)."""
    database = Database(f"sqlite:///{tmp_path / 'yuqing.sqlite'}")
    database.migrate()
    yield database
    database.close()
