"""Users, tokens and API keys on SQLite and PostgreSQL: hashes only, expiry, revocation,
lockout, and sessions ending when a user's role or password changes."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from alerts.db import Database
from alerts.errors import Conflict, Invalid
from alerts.users.models import ApiKey, AuthToken, User
from alerts.users.service import (
    LoginFailed,
    actor_for_token,
    authenticate,
    create_api_key,
    create_user,
    issue_token,
    revoke_api_key,
    revoke_token,
    set_password,
    update_user,
)
from tests.conftest import make_settings
from yuqing.records import SHANGHAI, Role

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
PASSWORD = "correct-horse-battery"


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


def new_user(db: Database, settings, name: str = "kefu", role: Role = Role.handler, department: str = "customer"):
    with db.write() as session:
        return create_user(session, username=name, password=PASSWORD, role=role, department=department,
                           settings=settings, now=NOW)


def token_for(db: Database, settings, name: str, now: datetime = NOW) -> str:
    with db.write() as session:
        user = authenticate(session, username=name, password=PASSWORD, settings=settings, now=now)
        return issue_token(session, user=user, settings=settings, now=now)[0]


def who(db: Database, token: str, now: datetime):
    with db.read() as session:
        return actor_for_token(session, token=token, now=now)


def test_only_hashes_are_stored_and_tokens_expire(db: Database, settings) -> None:
    new_user(db, settings)
    token = token_for(db, settings, "kefu")
    with db.read() as session:
        user = session.scalar(select(User))
        stored = session.scalar(select(AuthToken))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert stored.token_hash != token and len(stored.token_hash) == 64
    actor = who(db, token, NOW + timedelta(hours=11))
    assert (actor.name, actor.role, actor.department) == ("kefu", Role.handler, "customer")
    assert who(db, token, NOW + timedelta(hours=settings.auth.token_hours, seconds=1)) is None
    assert who(db, "forged-token", NOW) is None


def test_logout_disable_role_change_and_new_password_end_sessions(db: Database, settings) -> None:
    new_user(db, settings)
    first, second = token_for(db, settings, "kefu"), token_for(db, settings, "kefu")
    with db.write() as session:
        revoke_token(session, token=first)
    assert who(db, first, NOW) is None and who(db, second, NOW) is not None
    with db.write() as session:
        update_user(session, username="kefu", settings=settings, department="dispatch")
    assert who(db, second, NOW) is None  # a department change ends the old scope's sessions
    third = token_for(db, settings, "kefu")
    assert who(db, third, NOW).department == "dispatch"
    with db.write() as session:
        set_password(session, username="kefu", password="a-new-long-password", settings=settings, now=NOW)
    assert who(db, third, NOW) is None
    with db.write() as session:
        update_user(session, username="kefu", settings=settings, active=False)
    with pytest.raises(LoginFailed), db.write() as session:
        authenticate(session, username="kefu", password="a-new-long-password", settings=settings, now=NOW)


def test_failed_logins_lock_the_account_for_a_while(db: Database, settings) -> None:
    new_user(db, settings)
    for _ in range(settings.auth.max_failed_logins):  # each failure is committed, as the login route does
        with db.write() as session, pytest.raises(LoginFailed, match="用户名或密码错误"):
            authenticate(session, username="kefu", password="wrong", settings=settings, now=NOW)
    with pytest.raises(LoginFailed, match="锁定"), db.write() as session:
        authenticate(session, username="kefu", password=PASSWORD, settings=settings, now=NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=settings.auth.lockout_minutes + 1)
    assert token_for(db, settings, "kefu", now=later)


def test_user_validation(db: Database, settings) -> None:
    new_user(db, settings)
    with pytest.raises(Conflict), db.write() as session:
        create_user(session, username="kefu", password=PASSWORD, role=Role.pr, settings=settings, now=NOW)
    with pytest.raises(Invalid, match="必须指定所属部门"), db.write() as session:
        update_user(session, username="kefu", settings=settings, role=Role.handler, department="")
    with db.write() as session:  # a handler promoted to supervisor loses the department
        assert update_user(session, username="kefu", settings=settings, role=Role.supervisor).department == ""
    for bad in ("not-an-email", "kefu@localhost", "ke fu@example.com"):  # notices to it would fail
        with pytest.raises(Invalid, match="邮箱格式不正确"), db.write() as session:
            create_user(session, username="kefu2", password=PASSWORD, role=Role.pr, settings=settings, now=NOW,
                        email=bad)
        with pytest.raises(Invalid, match="邮箱格式不正确"), db.write() as session:
            update_user(session, username="kefu", settings=settings, email=bad, role=Role.pr)
    with db.read() as session:  # nothing of the refused changes was kept
        kept = session.scalar(select(User).where(User.username == "kefu"))
        assert (kept.email, kept.role) == ("", "supervisor")
        assert session.scalar(select(User).where(User.username == "kefu2")) is None
    with db.write() as session:
        assert update_user(session, username="kefu", settings=settings, email="kefu@example.com").email \
            == "kefu@example.com"


def test_api_keys_are_hashed_and_can_be_revoked(db: Database, settings) -> None:
    with db.write() as session:
        row, key = create_api_key(session, name="site-monitor", role=Role.handler, department="it",
                                  settings=settings, created_by="admin", now=NOW)
    with db.read() as session:
        assert session.scalar(select(ApiKey.key_hash)) != key and key.startswith("yqk_")
    assert row.prefix == key[:10] and row.role == "handler"
    actor = who(db, key, NOW + timedelta(days=400))  # keys do not expire; they are revoked
    assert (actor.role, actor.department, actor.via) == (Role.handler, "it", "api_key")
    with db.write() as session:
        revoke_api_key(session, name="site-monitor", now=NOW)
    assert who(db, key, NOW) is None


def test_an_api_keys_last_use_is_kept_without_a_write_per_call(db: Database, settings) -> None:
    with db.write() as session:
        _, key = create_api_key(session, name="kibana-sync", role=Role.viewer, settings=settings,
                                created_by="admin", now=NOW)

    def last_used() -> datetime | None:
        with db.read() as session:
            return session.scalar(select(ApiKey.last_used_at))

    assert last_used() is None
    assert who(db, key, NOW) is not None and last_used() == NOW
    assert who(db, key, NOW + timedelta(minutes=4)) is not None and last_used() == NOW  # no write per call
    later = NOW + timedelta(minutes=6)
    assert who(db, key, later) is not None and last_used() == later


def test_a_busy_database_costs_the_last_use_record_never_the_call(sqlite_db: Database, settings) -> None:
    with sqlite_db.write() as session:
        _, key = create_api_key(session, name="site-monitor", role=Role.handler, department="it",
                                settings=settings, created_by="admin", now=NOW)
    blocker = sqlite3.connect(sqlite_db.url.removeprefix("sqlite:///"))
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        with sqlite_db.read() as session:
            session.execute(text("PRAGMA busy_timeout = 50"))
            try:
                actor = actor_for_token(session, token=key, now=NOW)
            finally:
                session.execute(text("PRAGMA busy_timeout = 15000"))
    finally:
        blocker.rollback()
        blocker.close()
    assert actor is not None and actor.role == Role.handler
    with sqlite_db.read() as session:
        assert session.scalar(select(ApiKey.last_used_at)) is None
        assert session.scalar(select(ApiKey.name)) == "site-monitor"
