"""Shared fixtures: settings in a temporary data directory, one analyzer per session
(loading jieba and the sentiment model takes a second or two), a fresh SQLite store, and the
relational database on SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from alerts.db import Database
from nlp.analyze import Analyzer
from store.sqlite import SQLiteStore
from tools.pg_server import PostgresServer, PostgresUnavailable, start_server
from yuqing.settings import Settings, StorageSettings
from yuqing.wiring import query_tokenizer

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("YUQING_SHARED", REPO.parent / "shared"))


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


# -- the relational database (alerts, tickets, users) on SQLite and on PostgreSQL ------------
_pg_databases = itertools.count(1)
PG_TEMPLATE = "yuqing_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server (Debian's binaries), with a migrated template database."""
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        if os.environ.get("YUQING_REQUIRE_PG") == "1":
            pytest.fail(f"YUQING_REQUIRE_PG=1 but PostgreSQL cannot start: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
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
