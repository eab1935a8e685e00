"""Statistics for trend views: volume per day by sentiment, keywords, facets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import StoreDep
from api.query import FiltersDep
from store.base import Count, Facet, TrendBucket

router = APIRouter(prefix="/api/stats", tags=["statistics"])


@router.get("/trend", response_model=list[TrendBucket],
            summary="Mentions per Asia/Shanghai day by sentiment")
def trend(filters: FiltersDep, store: StoreDep) -> list[TrendBucket]:
    return store.trend(filters)


@router.get("/keywords", response_model=list[Count], summary="Top keywords (word cloud)")
def keywords(filters: FiltersDep, store: StoreDep,
             limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[Count]:
    return store.keywords(filters, limit)


@router.get("/facets/{facet}", response_model=list[Count],
            summary="Most frequent platforms, categories, sentiments, regions, places or authors")
def facet(facet: Facet, filters: FiltersDep, store: StoreDep,
          limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[Count]:
    return store.facet(filters, facet, limit)
