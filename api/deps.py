"""Typed dependencies shared by the routers: the settings and the stages built from them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from alerts.db import Database
from alerts.notify.service import Notifier
from alerts.rules.loader import RuleBook
from api.cache import ResponseCache
from store.base import MentionStore
from yuqing.settings import Settings


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


def read_session(request: Request) -> Iterator[Session]:
    """A session for reading; never commits."""
    with request.app.state.db.session() as session:
        yield session


def write_session(request: Request) -> Iterator[Session]:
    """A session for changing things. The route commits explicitly before it answers, so a
    failed commit becomes an error response; anything not committed is rolled back."""
    session = request.app.state.db.session(write=True)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[MentionStore, Depends(get_store)]
DbDep = Annotated[Database, Depends(get_db)]
RulesDep = Annotated[RuleBook, Depends(get_rules)]
ReadSession = Annotated[Session, Depends(read_session)]
CacheDep = Annotated[ResponseCache, Depends(get_cache)]
WriteSession = Annotated[Session, Depends(write_session)]
