"""Users with a role (a handler belongs to a department), login tokens and API keys.

Only hashes are stored: argon2id for passwords; SHA-256 for tokens and API keys, which are
random 256-bit strings (a slow hash adds nothing there and would slow every request).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from alerts.db import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class AuthToken(Base):
    """A login session: the SHA-256 of the bearer token, valid until `expires_at`."""

    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_auth_tokens_user", "user_id"), Index("ix_auth_tokens_expires", "expires_at"))


class ApiKey(Base):
    """A key for an integration: acts with its own role (and department), never a user's password."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, so people can tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(40), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Written at most once per `KEY_USE_RESOLUTION` (alerts/users/service.py), not on every call.
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
