"""Shared reads of a real Elasticsearch store for the store and snapshot tests."""

from __future__ import annotations

from store.elasticsearch import ElasticsearchStore


def copies_per_id(store: ElasticsearchStore) -> dict[str, int]:
    """Documents per mention id over the whole alias (a composite aggregation walks them all)."""
    store.client.indices.refresh(index=store.alias)
    counts: dict[str, int] = {}
    after = None
    while True:
        composite = {"size": 2000, "sources": [{"id": {"terms": {"field": "id"}}}]}
        if after:
            composite["after"] = after
        resp = store.client.search(index=store.alias, size=0, aggs={"ids": {"composite": composite}})
        buckets = resp["aggregations"]["ids"]["buckets"]
        if not buckets:
            return counts
        counts.update({b["key"]["id"]: b["doc_count"] for b in buckets})
        after = resp["aggregations"]["ids"]["after_key"]
