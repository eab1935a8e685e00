"""The Elasticsearch layout of the mention index: monthly indices `<prefix>-YYYY.MM` behind
the alias `<prefix>`, one composable template with an explicit, strict mapping, and the
conversion between records and documents.

The mapping uses only what every Elasticsearch 8/9 server has without extra modules (the
test node runs the bare server): keyword facets, the `whitespace` analyzer over the
jieba-segmented words (`tokens`), the `standard` analyzer over the original text (one token
per Chinese character, enough for phrase search and highlighting in Kibana).

Effective values (a reviewer's correction if any, else the model's) are written into
`sentiment` and `categories` by the client, since the cluster may have no scripting.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from store.base import Facet, fingerprint_bands
from yuqing.records import SHANGHAI, Analysis, Correction, Mention, StoredMention

MAPPING_VERSION = 2  # 2: near-duplicate and event links, fingerprint bands
MAX_RESULT_WINDOW = 50_000  # from + size of one search; deeper pages are refused (QueryTooDeep)

_KEYWORD = {"type": "keyword"}
_LONG = {"type": "long"}
_DATE = {"type": "date"}
_FLOAT = {"type": "float"}
_BOOL = {"type": "boolean"}
_STORED_ONLY = {"type": "keyword", "index": False, "doc_values": False}  # shown, never searched

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",  # a field the code does not know is an error, never a guessed type
    "_meta": {"yuqing_mapping": MAPPING_VERSION},
    "properties": {
        "id": _KEYWORD,
        "platform": _KEYWORD,
        "kind": _KEYWORD,
        "url": {"type": "keyword", "ignore_above": 2048},
        "title": {"type": "text"},
        "text": {"type": "text"},
        "tokens": {"type": "text", "analyzer": "whitespace"},  # jieba search-mode words
        "author": {"properties": {
            "name": _KEYWORD, "id": _KEYWORD, "followers": _LONG, "verified": _BOOL,
            "verified_reason": _KEYWORD,
        }},
        "published_at": _DATE,
        "fetched_at": _DATE,
        "first_seen_at": _DATE,
        "reposts": _LONG,
        "comments": _LONG,
        "likes": _LONG,
        "views": _LONG,
        "engagement": _LONG,
        "region": _KEYWORD,
        "parent_id": _KEYWORD,
        "query": _KEYWORD,
        "analysis": {"properties": {
            "relevant": _BOOL,
            "relevance_score": _FLOAT,
            "relevance_reasons": _STORED_ONLY,
            "sentiment": {"properties": {"label": _KEYWORD, "score": _FLOAT, "model": _KEYWORD}},
            "categories": {"properties": {"code": _KEYWORD, "confidence": _FLOAT, "evidence": _STORED_ONLY}},
            "keywords": _KEYWORD,  # word cloud: a terms aggregation over this array
            "place": _KEYWORD,
            "fingerprint": _KEYWORD,
            "duplicate_of": _KEYWORD,  # "" for an original
            "event_id": _KEYWORD,
        }},
        "fp_bands": _KEYWORD,  # store.base.fingerprint_bands: near-duplicate candidates
        "sentiment": _KEYWORD,  # effective: the reviewer's, else the model's
        "categories": _KEYWORD,  # effective complaint category codes
        "correction": {"properties": {
            "sentiment": _KEYWORD, "categories": _KEYWORD, "by": _KEYWORD, "at": _DATE,
        }},
    },
}

FACET_FIELDS = {
    Facet.platform: "platform",
    Facet.category: "categories",
    Facet.sentiment: "sentiment",
    Facet.region: "region",
    Facet.place: "analysis.place",
    Facet.author: "author.name",
}
KEYWORDS_FIELD = "analysis.keywords"


def template_body(prefix: str, *, shards: int, replicas: int) -> dict[str, Any]:
    """The composable index template every monthly index is created from."""
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 200,
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "max_result_window": MAX_RESULT_WINDOW,
            },
            "mappings": MAPPINGS,
            "aliases": {prefix: {}},
        },
        "meta": {"yuqing_mapping": MAPPING_VERSION, "managed_by": "yuqing"},  # the client's name for _meta
    }


def index_name(prefix: str, published_at: datetime) -> str:
    """The monthly index of a mention: the Asia/Shanghai month it was published in."""
    return f"{prefix}-{published_at.astimezone(SHANGHAI):%Y.%m}"


def index_month(prefix: str, index: str) -> tuple[int, int] | None:
    """(year, month) of one of our monthly indices, None for any other name."""
    found = re.fullmatch(re.escape(prefix) + r"-(\d{4})\.(\d{2})", index)
    if not found or not 1 <= int(found.group(2)) <= 12:
        return None
    return int(found.group(1)), int(found.group(2))


def effective(analysis: Analysis, correction: Correction | None) -> tuple[str, list[str]]:
    """(sentiment, categories) after the reviewer's correction, as SQLite computes them."""
    sentiment = correction.sentiment if correction and correction.sentiment else analysis.sentiment.label
    categories = [c.value for c in correction.categories] \
        if correction and correction.categories is not None else analysis.category_codes
    return sentiment.value, categories


def to_document(mention: Mention, analysis: Analysis, *, correction: Correction | None,
                first_seen_at: datetime) -> dict[str, Any]:
    sentiment, categories = effective(analysis, correction)
    doc = mention.model_dump(mode="json")
    doc.update({
        "engagement": mention.engagement,
        "first_seen_at": first_seen_at.isoformat(),
        "analysis": analysis.model_dump(mode="json"),  # tokens are excluded by the model
        "tokens": " ".join(t for t in analysis.tokens if t.strip()),
        "fp_bands": fingerprint_bands(analysis.fingerprint),
        "sentiment": sentiment,
        "categories": categories,
        "correction": correction.model_dump(mode="json") if correction else None,
    })
    return doc


def correction_of(source: dict[str, Any]) -> Correction | None:
    value = source.get("correction")
    return Correction.model_validate(value) if value else None


def from_source(source: dict[str, Any], highlight: str = "", duplicates: int = 0) -> StoredMention:
    fields = {k: v for k, v in source.items() if k in Mention.model_fields}
    return StoredMention(
        mention=Mention.model_validate(fields),
        analysis=Analysis.model_validate(source["analysis"]),
        correction=correction_of(source),
        first_seen_at=datetime.fromisoformat(source["first_seen_at"]),
        highlight=highlight,
        duplicates=duplicates,
    )
