"""Users, login tokens and API keys. Every function takes keyword arguments only."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from alerts.actor import Actor
from alerts.db import Database
from alerts.errors import Conflict, Forbidden, Invalid, NotFound
from alerts.users.models import ApiKey, AuthToken, User
from yuqing.records import Role
from yuqing.settings import Settings

API_KEY_PREFIX = "yqk_"
KEY_USE_RESOLUTION = timedelta(minutes=5)  # how precisely an API key's last use is kept
log = logging.getLogger("yuqing.users")
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,40}$")
NAME_RULE = "只能包含字母、数字、下划线、点和连字符，长度 2–40"  # what _USERNAME admits, as staff read it
# Enough to catch a slip (a missing @, a space, no domain): notices to this address would fail.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 0.1 s on a
# small server. Hashes made with other parameters are upgraded at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both answers take the same time."""
    return _hasher.hash("not-a-real-password")


class LoginFailed(Forbidden):
    status = 401


def hash_secret(value: str) -> str:
    """SHA-256 of a random token or API key (not for passwords)."""
    return hashlib.sha256(value.encode()).hexdigest()


def generate_password() -> str:
    """A random password people can type: 16 characters from a URL-safe alphabet."""
    return secrets.token_urlsafe(12)


def _check_password(password: str, settings: Settings) -> None:
    if len(password) < settings.auth.min_password_length:
        raise Invalid(f"密码至少需要 {settings.auth.min_password_length} 个字符")


def _check_role(role: Role, department: str, settings: Settings) -> str:
    if role == Role.handler:
        if not department:
            raise Invalid("责任部门用户（handler）必须指定所属部门")
        if department not in settings.departments:
            raise Invalid(f"未知部门：{department}（可选：{'、'.join(settings.departments)}）")
        return department
    if department and department not in settings.departments:
        raise Invalid(f"未知部门：{department}")
    return department


def create_user(session: Session, *, username: str, password: str, role: Role, settings: Settings,
                now: datetime, department: str = "", display_name: str = "", email: str = "") -> User:
    """A new user; Invalid for a bad name, weak password or missing department, Conflict if taken."""
    if not _USERNAME.match(username):
        raise Invalid(f"用户名{NAME_RULE}")
    _check_password(password, settings)
    _check_email(email)
    department = _check_role(Role(role), department, settings)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在")
    user = User(username=username, display_name=display_name or username, role=Role(role).value,
                department=department, email=email, password_hash=_hasher.hash(password),
                created_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    return user


def _check_email(email: str) -> None:
    if email and not _EMAIL.match(email):
        raise Invalid("邮箱格式不正确（例如 name@example.com）")


def count_users(session: Session) -> int:
    """How many users exist (zero on a fresh installation)."""
    return session.scalar(select(func.count()).select_from(User)) or 0


def get_user(session: Session, *, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def update_user(session: Session, *, username: str, settings: Settings, role: Role | None = None,
                department: str | None = None, active: bool | None = None,
                display_name: str | None = None, email: str | None = None) -> User:
    """Change role, department, active flag or names; deactivating ends the user's sessions."""
    user = get_user(session, username=username)
    if email is not None:
        _check_email(email)
    new_role = Role(role) if role is not None else Role(user.role)
    new_department = department if department is not None else user.department
    if new_role != Role.handler and department is None:
        new_department = "" if role is not None else user.department
    user.role, user.department = new_role.value, _check_role(new_role, new_department, settings)
    if display_name is not None:
        user.display_name = display_name
    if email is not None:
        user.email = email
    if active is not None:
        user.active = active
    if active is False or role is not None or department is not None:
        session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    session.flush()
    return user


def set_password(session: Session, *, username: str, password: str, settings: Settings,
                 now: datetime) -> User:
    """Replace the password, unlock the account and end every session of the user."""
    _check_password(password, settings)
    user = get_user(session, username=username)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at, user.failed_logins, user.locked_until = now, 0, None
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    session.flush()
    return user


def _login_facts(session: Session, *, username: str) -> tuple[str, datetime | None] | None:
    """(password hash, locked until) of an active user, or None."""
    row = session.execute(select(User.password_hash, User.locked_until)
                          .where(User.username == username, User.active.is_(True))).first()
    return (row[0], row[1]) if row else None


def _password_ok(facts: tuple[str, datetime | None] | None, password: str, now: datetime) -> bool:
    """The slow part (Argon2, ~0.1 s): run it outside any write transaction. An unknown user
    costs the same; a locked account is not checked at all."""
    if facts is None:
        _verify(_dummy_hash(), password)
        return False
    if facts[1] is not None and facts[1] > now:
        return False
    return _verify(facts[0], password)


def settle_login(session: Session, *, username: str, password: str, password_ok: bool, settings: Settings,
                 now: datetime) -> tuple[User | None, str]:
    """Record a checked login attempt (a short write, the user's row locked): the user, or None
    and why; a wrong password counts towards the lockout."""
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None or not user.active:
        return None, "用户名或密码错误"
    if user.locked_until is not None and user.locked_until > now:
        return None, "登录失败次数过多，账号已临时锁定，请稍后再试"
    if not password_ok:
        user.failed_logins += 1
        if user.failed_logins >= settings.auth.max_failed_logins:
            user.locked_until = now + timedelta(minutes=settings.auth.lockout_minutes)
            user.failed_logins = 0
        session.flush()
        return None, "用户名或密码错误"
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user, ""


def authenticate(session: Session, *, username: str, password: str, settings: Settings,
                 now: datetime) -> User:
    """The user if the password is right; LoginFailed otherwise (same answer for unknown names)."""
    password_ok = _password_ok(_login_facts(session, username=username), password, now)
    user, why = settle_login(session, username=username, password=password, password_ok=password_ok,
                             settings=settings, now=now)
    if user is None:
        raise LoginFailed(why)
    return user


def log_in(db: Database, *, username: str, password: str, settings: Settings,
           now: datetime) -> tuple[User, str, datetime]:
    """Check the password and issue a token: (user, token, expires at). The password is checked
    between a read and a short write, so a login never holds the write lock for Argon2's 0.1 s
    (SQLite has one writer). LoginFailed, with the failure recorded, when it is wrong."""
    with db.read() as session:
        facts = _login_facts(session, username=username)
    password_ok = _password_ok(facts, password, now)
    with db.write() as session:
        user, why = settle_login(session, username=username, password=password, password_ok=password_ok,
                                 settings=settings, now=now)
        if user is not None:
            token, expires = issue_token(session, user=user, settings=settings, now=now)
    if user is None:
        raise LoginFailed(why)
    return user, token, expires


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(session: Session, *, user: User, settings: Settings, now: datetime) -> tuple[str, datetime]:
    """A new login token for the user and when it expires; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.auth.token_hours)
    session.add(AuthToken(token_hash=hash_secret(token), user_id=user.id, created_at=now, expires_at=expires))
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires_at <= now))
    session.flush()
    return token, expires


def revoke_token(session: Session, *, token: str) -> None:
    """Log out: the token stops working at once."""
    session.execute(delete(AuthToken).where(AuthToken.token_hash == hash_secret(token)))


def actor_for_token(session: Session, *, token: str, now: datetime) -> Actor | None:
    """Who a bearer token (login token or API key) belongs to, or None if it is not valid now."""
    digest = hash_secret(token)
    if token.startswith(API_KEY_PREFIX):
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)))
        if key is None:
            return None
        if key.last_used_at is None or now - key.last_used_at >= KEY_USE_RESOLUTION:
            _note_key_use(session, key, now)
        return Actor(name=f"apikey:{key.name}", role=Role(key.role), department=key.department, via="api_key",
                     display_name=key.name)
    row = session.execute(
        select(User).join(AuthToken, AuthToken.user_id == User.id)
        .where(AuthToken.token_hash == digest, AuthToken.expires_at > now, User.active.is_(True))
    ).scalar_one_or_none()
    if row is None:
        return None
    return actor_for_user(row)


def actor_for_user(user: User) -> Actor:
    return Actor(name=user.username, role=Role(user.role), department=user.department, via="user",
                 display_name=user.display_name)


def _note_key_use(session: Session, key: ApiKey, now: datetime) -> None:
    """Record when a key was used, best effort: integrations call many times a minute, so this
    writes once per KEY_USE_RESOLUTION, and a busy database costs the record, never the call."""
    try:
        key.last_used_at = now
        session.commit()
    except OperationalError:
        session.rollback()
        log.debug("last use of API key %s not recorded (database busy)", key.name)


def create_api_key(session: Session, *, name: str, role: Role, settings: Settings, created_by: str,
                   now: datetime, department: str = "") -> tuple[ApiKey, str]:
    """A new API key; the key itself is returned once and never stored."""
    if not _USERNAME.match(name):
        raise Invalid(f"密钥名称{NAME_RULE}")
    department = _check_role(Role(role), department, settings)
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise Conflict(f"密钥名称 {name} 已存在")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, prefix=key[:10], key_hash=hash_secret(key), role=Role(role).value,
                 department=department, created_by=created_by, created_at=now)
    session.add(row)
    session.flush()
    return row, key


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(session: Session, *, name: str, now: datetime) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFound(f"密钥 {name} 不存在")
    key.revoked_at = key.revoked_at or now
    session.flush()
    return key
