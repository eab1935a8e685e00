"""Typed dependencies shared by the routers: the settings and the stages built from them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from alerts.db import Database
from alerts.notify.service import Notifier
from alerts.rules.loader import RuleBook
from api.cache import ResponseCache
from store.base import MentionStore
from yuqing.settings import Settings

log = logging.getLogger("yuqing.api")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> MentionStore:
    return request.app.state.store


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_rules(request: Request) -> RuleBook:
    return request.app.state.rules


def get_notifier(request: Request) -> Notifier | None:
    return request.app.state.notifier


def get_cache(request: Request) -> ResponseCache:
    return request.app.state.cache


def _end(session: Session) -> None:
    """Roll back and close, even when the database went away meanwhile: the answer may be on
    its way already, and the pool replaces the dead connection on the next checkout."""
    try:
        session.rollback()
        session.close()
    except DBAPIError as exc:
        log.warning("database: a session ended on a lost connection: %s",
                    (str(exc.orig or exc).strip().splitlines() or [""])[0][:200])
        session.invalidate()


def read_session(request: Request) -> Iterator[Session]:
    """A session for reading; never commits."""
    session = request.app.state.db.session()
    try:
        yield session
    finally:
        _end(session)


def write_session(request: Request) -> Iterator[Session]:
    """A session for changing things. The route commits explicitly before it answers, so a
    failed commit becomes an error response; anything not committed is rolled back."""
    session = request.app.state.db.session(write=True)
    request.state.write_session = session  # the database error handler asks it whether it committed
    try:
        yield session
    finally:
        _end(session)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[MentionStore, Depends(get_store)]
DbDep = Annotated[Database, Depends(get_db)]
RulesDep = Annotated[RuleBook, Depends(get_rules)]
ReadSession = Annotated[Session, Depends(read_session)]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
WriteSession = Annotated[Session, Depends(write_session)]
