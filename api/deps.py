"""Typed dependencies shared by the routers: the settings and the stages built from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from store.base import MentionStore
from yuqing.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> MentionStore:
    return request.app.state.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[MentionStore, Depends(get_store)]
