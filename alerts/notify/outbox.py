"""Notices raised inside a transaction are sent only after it commits.

Service functions call `queue_notice(session, notice)`; the database's after-commit hook hands
the queued notices to the notifier, and a rollback discards them. A slow or failing channel
therefore never holds a transaction open and never undoes a ticket transition.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

KEY = "yuqing_notices"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # alert, life_safety, operations, assigned, reminder, escalated, recovered
    subject: str
    body: str
    ref: str = ""  # "alert:12", "ticket:5"
    level: str = ""  # alert level, for each channel's min_level
    department: str = ""  # ticket department, for each channel's departments


def queue_notice(session: Session, notice: Notice) -> None:
    """Send `notice` once the session's transaction commits (never if it rolls back)."""
    session.info.setdefault(KEY, []).append(notice)


def take_notices(session: Session) -> list[Notice]:
    return session.info.pop(KEY, [])
