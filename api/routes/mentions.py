"""Mentions: the filtered, paged list and one mention in full."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from api.deps import SettingsDep, StoreDep
from api.query import FiltersDep, shown
from store.base import Sort
from yuqing.records import StoredMention

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
