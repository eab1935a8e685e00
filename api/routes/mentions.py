"""Mentions: the filtered, paged list, one mention in full, and PR staff's corrections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from alerts import service
from alerts.actor import Actor
from alerts.db import now_shanghai
from api.deps import SettingsDep, StoreDep, WriteSession
from api.query import FiltersDep, shown
from api.security import require_role
from store.base import Sort
from yuqing.records import Category, Role, SentimentLabel, StoredMention

router = APIRouter(prefix="/api/mentions", tags=["mentions"])


class MentionPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[StoredMention]


@router.get("", response_model=MentionPage, summary="Search and filter mentions")
def list_mentions(
    filters: FiltersDep,
    store: StoreDep,
    settings: SettingsDep,
    sort: Sort = Sort.newest,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 20,
    collapse: Annotated[bool, Query(description="merge near-duplicates into their original, with a count")] = False,
) -> MentionPage:
    if size > settings.api.page_size_max:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"size：每页最多 {settings.api.page_size_max} 条")
    query = filters.model_copy(update={"sort": sort, "limit": size, "offset": (page - 1) * size,
                                       "collapse_duplicates": collapse})
    result = store.search(query)
    return MentionPage(total=result.total, page=page, size=size, items=result.items)


@router.get("/{mention_id}", response_model=StoredMention, summary="One mention with its analysis",
            responses={404: {"description": "no mention with this id"}})
def get_mention(mention_id: str, store: StoreDep) -> StoredMention:
    stored = store.get(mention_id)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"未找到信息：{shown(mention_id)}")
    return stored


class MentionCorrectionIn(BaseModel):
    sentiment: SentimentLabel | None = None
    categories: list[Category] | None = None


@router.post("/{mention_id}/correct", response_model=StoredMention,
             summary="Correct a mention's sentiment or categories from the list (kept across re-crawls and for "
                     "retraining); on an alert, POST /api/alerts/{id}/correct also checks the alert again",
             responses={404: {"description": "no mention with this id"}})
def correct_mention(mention_id: str, body: MentionCorrectionIn, session: WriteSession, store: StoreDep,
                    actor: Annotated[Actor, require_role(Role.pr)]) -> StoredMention:
    service.correct_listed_mention(session, store=store, mention_id=mention_id, actor=actor, now=now_shanghai(),
                                   sentiment=body.sentiment, categories=body.categories)
    session.commit()
    stored = store.get(mention_id)
    assert stored is not None
    return stored
