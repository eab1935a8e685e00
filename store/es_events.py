"""Near-duplicates and events on Elasticsearch: the same answers as the SQLite backend,
from one search (fingerprint bands) and one aggregation (per event id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from store.base import EventSummary, TrendBucket, fill_days, fingerprint_bands, first_line
from store.es_query import terms_agg
from yuqing.records import SHANGHAI


def near_duplicates_body(fingerprint: str, since: datetime, until: datetime, limit: int) -> dict[str, Any] | None:
    bands = fingerprint_bands(fingerprint)
    if not bands:
        return None
    return {"query": {"bool": {"filter": [
        {"terms": {"fp_bands": bands}},
        {"range": {"published_at": {"gte": since.isoformat(), "lt": until.isoformat()}}},
    ]}}, "sort": [{"published_at": "asc"}, {"id": "asc"}], "size": limit}


def events_aggs(limit: int) -> dict[str, Any]:
    """Per event id: size, first/last seen, negatives, platforms, categories, place, keywords,
    daily volume by sentiment and the first mention's text."""
    return {"events": {
        "terms": {"field": "analysis.event_id", "size": limit, "shard_size": max(limit * 5, 100),
                  "exclude": [""], "order": [{"_count": "desc"}, {"last": "desc"}]},
        "aggs": {
            "first": {"min": {"field": "published_at"}},
            "last": {"max": {"field": "published_at"}},
            "negative": {"filter": {"term": {"sentiment": "negative"}}},
            "platforms": terms_agg("platform", 20),
            "categories": terms_agg("categories", 5),
            "place": terms_agg("analysis.place", 1),
            "keywords": terms_agg("analysis.keywords", 5),
            "volume": {"date_histogram": {"field": "published_at", "calendar_interval": "day",
                                          "time_zone": "Asia/Shanghai", "min_doc_count": 1},
                       "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": 3}}}},
            "opening": {"top_hits": {"size": 1, "sort": [{"published_at": "asc"}, {"id": "asc"}],
                                     "_source": {"includes": ["title", "text"]}}},
        },
    }}


def _keys(agg: dict[str, Any]) -> list[str]:
    return [str(b["key"]) for b in agg.get("buckets", [])]


def _moment(millis: float) -> datetime:
    return datetime.fromtimestamp(millis / 1000, SHANGHAI)


def events_from(aggregations: dict[str, Any]) -> list[EventSummary]:
    out = []
    for bucket in aggregations.get("events", {}).get("buckets", []):
        days: dict = {}
        for day in bucket["volume"]["buckets"]:
            key = _moment(day["key"]).date()
            days[key] = TrendBucket(day=key, **{s["key"]: s["doc_count"] for s in day["sentiment"]["buckets"]})
        opening = bucket["opening"]["hits"]["hits"][0]["_source"]
        places = _keys(bucket["place"])
        out.append(EventSummary(
            event_id=str(bucket["key"]), summary=first_line(opening.get("text", ""), opening.get("title", "")),
            first_seen_at=_moment(bucket["first"]["value"]), last_seen_at=_moment(bucket["last"]["value"]),
            mentions=bucket["doc_count"], platforms=_keys(bucket["platforms"]),
            categories=_keys(bucket["categories"]), place=places[0] if places else "",
            negative=bucket["negative"]["doc_count"], keywords=_keys(bucket["keywords"]),
            volume=fill_days(days, None, None),
        ))
    return out


def duplicate_counts_aggs(ids: list[str]) -> dict[str, Any]:
    return {"copies": {"terms": {"field": "analysis.duplicate_of", "include": ids, "size": len(ids)}}}
