"""Statistics for trend views: volume per day by sentiment, keywords, facets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import StoreDep
from api.query import FiltersDep
from store.base import DISTRICT_SCAN, Count, Facet, TrendBucket
from yuqing.records import Category, SentimentLabel
from yuqing.reports.build import district_counts

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


class Overview(BaseModel):
    """Everything the 舆情总览 page draws, from one request over one set of filters."""

    total: int
    sentiment: dict[SentimentLabel, int]
    trend: list[TrendBucket]
    platform: list[Count]
    category: list[Count]
    district: list[Count]  # first part of the place (区/县/市), summed
    place: list[Count]
    region: list[Count]
    author: list[Count]
    keywords: list[Count]


@router.get("/overview", response_model=Overview,
            summary="Totals, daily trend by sentiment, the main facets and keywords in one call")
def overview(filters: FiltersDep, store: StoreDep,
             limit: Annotated[int, Query(ge=1, le=50, description="values per facet")] = 10,
             keywords_limit: Annotated[int, Query(ge=1, le=200)] = 60) -> Overview:
    shares = {c.value: c.count for c in store.facet(filters, Facet.sentiment, limit=3)}
    return Overview(
        total=store.count(filters),
        sentiment={label: shares.get(label.value, 0) for label in SentimentLabel},
        trend=store.trend(filters),
        platform=store.facet(filters, Facet.platform, limit),
        category=store.facet(filters, Facet.category, limit=len(Category)),
        district=district_counts(store.facet(filters, Facet.place, DISTRICT_SCAN))[:limit],
        place=store.facet(filters, Facet.place, limit),
        region=store.facet(filters, Facet.region, limit),
        author=store.facet(filters, Facet.author, limit),
        keywords=store.keywords(filters, keywords_limit),
    )
