"""MentionQuery → Elasticsearch query DSL, with the same meaning as the SQLite backend's SQL."""

from __future__ import annotations

from typing import Any

from store.base import MentionQuery, Sort

HIGHLIGHT_CHARS = 120  # like store.highlight.SNIPPET_CHARS

_SORTS: dict[Sort, list[dict[str, str]]] = {
    Sort.newest: [{"published_at": "desc"}, {"id": "desc"}],
    Sort.oldest: [{"published_at": "asc"}, {"id": "asc"}],
    Sort.engagement: [{"engagement": "desc"}, {"published_at": "desc"}, {"id": "desc"}],
}


def _wildcard_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def search_terms(query: MentionQuery, tokenize) -> list[str]:
    """The index words of the query text (every one must match), as SQLite uses them."""
    if not query.text.strip():
        return []
    return list(dict.fromkeys(t for t in tokenize(query.text) if t.strip()))


def build_query(query: MentionQuery, terms: list[str]) -> dict[str, Any]:
    """The bool query: text words score (must), everything else filters."""
    filters: list[dict[str, Any]] = []
    if query.platforms:
        filters.append({"terms": {"platform": [p.value for p in query.platforms]}})
    if query.sentiments:
        filters.append({"terms": {"sentiment": [s.value for s in query.sentiments]}})
    if query.categories:
        filters.append({"terms": {"categories": [c.value for c in query.categories]}})
    if query.relevant is not None:
        filters.append({"term": {"analysis.relevant": query.relevant}})
    if query.since or query.until:
        bounds = {}
        if query.since:
            bounds["gte"] = query.since.isoformat()
        if query.until:
            bounds["lt"] = query.until.isoformat()
        filters.append({"range": {"published_at": bounds}})
    if query.place:
        pattern = f"*{_wildcard_escape(query.place)}*"
        filters.append({"bool": {"minimum_should_match": 1, "should": [
            {"wildcard": {"analysis.place": {"value": pattern}}},
            {"wildcard": {"region": {"value": pattern}}},
        ]}})
    if query.author:
        filters.append({"bool": {"minimum_should_match": 1, "should": [
            {"term": {"author.name": query.author}}, {"term": {"author.id": query.author}},
        ]}})
    if query.event_id:
        filters.append({"term": {"analysis.event_id": query.event_id}})
    if query.collapse_duplicates:
        filters.append({"term": {"analysis.duplicate_of": ""}})
    must_not = []
    if query.corrected is True:
        filters.append({"exists": {"field": "correction"}})
    elif query.corrected is False:
        must_not.append({"exists": {"field": "correction"}})
    must = [{"term": {"tokens": term}} for term in terms]
    if not must and not filters and not must_not:
        return {"match_all": {}}
    return {"bool": {"must": must, "filter": filters, "must_not": must_not}}


def sort_clause(query: MentionQuery, terms: list[str]) -> list[Any]:
    if query.sort == Sort.relevance and terms:
        return ["_score", {"published_at": "desc"}, {"id": "desc"}]
    return _SORTS.get(query.sort, _SORTS[Sort.newest])


def highlight_clause(terms: list[str]) -> dict[str, Any]:
    """Native highlighting of the original title and text: each query word as a phrase of the
    standard analyzer's tokens, so a Chinese word is marked whole (<em>停气</em>)."""

    def field(name: str) -> dict[str, Any]:
        return {
            "type": "unified",
            "fragment_size": HIGHLIGHT_CHARS,
            "number_of_fragments": 1,
            "no_match_size": 0,
            "highlight_query": {"bool": {"should": [{"match_phrase": {name: t}} for t in terms]}},
        }

    return {"encoder": "html", "pre_tags": ["<em>"], "post_tags": ["</em>"],
            "fields": {"title": field("title"), "text": field("text")}}


def highlight_of(hit: dict[str, Any]) -> str:
    found = hit.get("highlight") or {}
    return " ".join(found[name][0] for name in ("title", "text") if found.get(name))


def terms_agg(field: str, limit: int) -> dict[str, Any]:
    """Top values by count, ties by value, as SQLite orders them; empty strings left out."""
    return {"terms": {
        "field": field,
        "size": limit,
        "shard_size": max(limit * 5, 100),  # several monthly shards: ask each for more, for exact tops
        "order": [{"_count": "desc"}, {"_key": "asc"}],
        "exclude": [""],
    }}
