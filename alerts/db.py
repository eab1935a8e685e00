"""Relational storage for alerts, tickets, users and the delivery log: SQLAlchemy 2.

SQLite in the data directory by default; PostgreSQL when `alerts.database_url` is set. The
schema is created and upgraded only by Alembic migrations (`alerts/migrations/`), never by
`create_all`, so a database always says which revision it is at.

Writes go through `Database.write()`: on SQLite it begins with BEGIN IMMEDIATE, so two
writers queue behind the busy timeout instead of failing on a lock upgrade; on PostgreSQL
service functions lock the rows they change (`SELECT ... FOR UPDATE`), and every commit is
synchronous (acknowledged means durable, whatever the server's default).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from alerts.notify.outbox import Notice, take_notices
from yuqing.records import SHANGHAI
from yuqing.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Moment(TypeDecorator[datetime]):
    """A point in time: stored as naive UTC (same on SQLite and PostgreSQL), read as Asia/Shanghai."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(SHANGHAI)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: Moment, dict[str, Any]: JSON, list[str]: JSON}


def database_url(settings: Settings) -> str:
    """The configured URL, or the SQLite file in the data directory."""
    if settings.alerts.database_url is not None:
        return settings.alerts.database_url.get_secret_value()
    return f"sqlite:///{settings.storage.alerts_db}"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("yuqing_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def committed(session: Session | None) -> bool:
    """True once a write session has committed (what it changed is saved, whatever fails next)."""
    return bool(session is not None and session.info.get("yuqing_committed"))


def commit_uncertain(exc: BaseException) -> bool:
    """True when the connection was lost while COMMIT was on its way: the change may or may not
    have been made (the server may have committed before it went away)."""
    return bool(getattr(exc, "yuqing_commit_uncertain", False))


def _mark_uncertain_commits(engine: Engine) -> None:
    committing: weakref.WeakSet[Any] = weakref.WeakSet()

    @event.listens_for(engine, "commit")
    def _commit(connection: Any) -> None:
        committing.add(connection)

    @event.listens_for(engine, "rollback")
    def _rollback(connection: Any) -> None:
        committing.discard(connection)

    @event.listens_for(engine, "handle_error")
    def _error(context: Any) -> None:
        if context.connection is not None and context.connection in committing:
            committing.discard(context.connection)
            if context.is_disconnect and context.sqlalchemy_exception is not None:
                context.sqlalchemy_exception.yuqing_commit_uncertain = True


class Database:
    """One engine and two session factories: `read()` and `write()`."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15},
                                        pool_size=pool_size, max_overflow=20)
            _sqlite_setup(self.engine)
        else:
            # synchronous_commit on for our sessions, whatever the server's default: a change
            # answered 200 must survive a crash of the server (a server tuned with it off
            # loses the last commits' WAL still in memory).
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True,
                                        connect_args={"options": "-c synchronous_commit=on"})
            _mark_uncertain_commits(self.engine)
        writer = self.engine.execution_options(yuqing_write=True)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False, info={"yuqing_write": True})
        # Where notices queued in a committed transaction go (the notifier, when wired).
        self.on_notices: Callable[[list[Notice]], None] | None = None
        # Bumped by every committed write in this process (read caches compare it).
        self.generation = 0
        self._listeners = [(factory, name, fn) for factory in (self._read, self._write)
                           for name, fn in (("after_commit", self._after_commit), ("after_rollback", take_notices))]
        for factory, name, fn in self._listeners:
            event.listen(factory, name, fn)

    def _after_commit(self, session: Session) -> None:
        if session.info.get("yuqing_write"):
            self.generation += 1
            session.info["yuqing_committed"] = True  # an error from now on does not undo the change
            # What the session reads after its commit (an answer built from the new state)
            # needs no write lock: on SQLite a second BEGIN IMMEDIATE would hold every other
            # writer until the request ends.
            session.bind = self.engine
        notices = take_notices(session)
        if notices and self.on_notices is not None:
            self.on_notices(notices)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits when the block ends and rolls back on an exception."""
        with self._write() as session, session.begin():
            yield session

    def session(self, *, write: bool = False) -> Session:
        """An unmanaged session (the API closes it after the request)."""
        return (self._write if write else self._read)()

    def migrate(self) -> str:
        """Upgrade the schema to the newest revision; returns that revision."""
        from alerts.migrate import upgrade

        return upgrade(self.engine)

    def close(self) -> None:
        # SQLAlchemy's event registry keeps session-class listeners (and through them this
        # object and its engine) for the life of the process: a Database opened for one job
        # and closed leaked 45-70 kB until they were removed here.
        for factory, name, fn in self._listeners:
            if event.contains(factory, name, fn):
                event.remove(factory, name, fn)
        self.engine.dispose()


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """The configured database, migrated to the newest schema."""
    db = Database(database_url(settings))
    if migrate:
        db.migrate()
    return db


def now_shanghai() -> datetime:
    return datetime.now(SHANGHAI)
