"""A real Elasticsearch 8.x node (tools/es_node.py) driven through the official Python client.

These tests pin down what the embedded node actually supports for yuqing's mention indices:
templates + aliases, bulk ingest with per-item errors, highlighting, aggregations, partial
updates, index deletion, and surviving a stop/restart with the same data and URL.

Skipped when Java/Maven are missing, unless YUQING_REQUIRE_ES=1 (then that is a failure).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # so `tools.es_node` imports however pytest was invoked

from tools import es_node  # noqa: E402

REQUIRE = os.environ.get("YUQING_REQUIRE_ES") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"YUQING_REQUIRE_ES=1 but the Elasticsearch test node cannot run: {reason}", pytrace=False)
    print(f"skipping {__name__}: {reason}")
    pytest.skip(reason, allow_module_level=True)


_reason = es_node.unavailable_reason()
if _reason:
    _unavailable(_reason)
try:
    import elasticsearch
    from elasticsearch import Elasticsearch, NotFoundError, helpers
except ImportError:
    _unavailable("the `elasticsearch` Python client (8.x) is not installed")
# A 9.x client sends `compatible-with=9`, which an 8.x server rejects on every request.
if elasticsearch.__versionstr__.split(".")[0] != "8":
    pytest.fail(f"need the 8.x `elasticsearch` client, found {elasticsearch.__versionstr__}", pytrace=False)


INDEX = "yuqing-mentions-2026.11"
ALIAS = "yuqing-mentions"
PLATFORMS = ["weibo", "wechat", "douyin", "news", "forum"]
N_DOCS = 3000
SHANGHAI = timezone(timedelta(hours=8))  # Asia/Shanghai has had no DST since 1991: a fixed offset is exact
# 2026-11-01 00:00 in Shanghai; docs every 13 minutes stay within November (Shanghai time).
START = datetime(2026, 11, 1, tzinfo=SHANGHAI).astimezone(UTC)

TEMPLATE_MAPPINGS = {
    "dynamic": "strict",  # a typo in a field name must fail loudly, not create a field
    "properties": {
        "mention_id": {"type": "keyword"},
        "platform": {"type": "keyword"},
        "author": {"type": "keyword"},
        "title": {"type": "text", "analyzer": "whitespace"},
        "content": {"type": "text", "analyzer": "whitespace"},
        "published_at": {"type": "date"},
        "likes": {"type": "long"},
        "is_negative": {"type": "boolean"},
        "keywords": {"type": "keyword"},  # arrays need no special mapping
    },
}


def make_doc(i: int) -> dict:
    """Deterministic mention number i; the expectations below are derived from the same rules."""
    brand = "BrandA" if i % 3 else "BrandB"
    recall = i % 50 == 0
    return {
        "mention_id": f"m-{i:05d}",
        "platform": PLATFORMS[i % len(PLATFORMS)],
        "author": f"user{i % 97}",
        # Whitespace-separated tokens: the whitespace analyzer splits on spaces only and keeps case.
        "title": f"{brand} {'Recall' if recall else 'Launch'} 新品 #{i}",
        "content": f"{brand} 用户 评论 {'质量 问题' if i % 7 == 0 else '好评'}",
        "published_at": (START + timedelta(minutes=13 * i)).isoformat().replace("+00:00", "Z"),
        "likes": i % 1000,
        "is_negative": i % 7 == 0,
        "keywords": [brand.lower(), "recall" if recall else "launch"] + (["quality"] if i % 7 == 0 else []),
    }


DOCS = [make_doc(i) for i in range(N_DOCS)]
BAD_ID = "m-bad"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    es_node.build()  # outside start()'s timeout; a no-op when already built
    n = es_node.EsNode(tmp_path_factory.mktemp("es-node"))
    n.start(timeout=60)
    yield n
    n.stop()


@pytest.fixture(scope="module")
def es(node):
    client = Elasticsearch(node.url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture(scope="module")
def ingested(es):
    """Template + monthly index + bulk ingest; returns the per-item bulk results."""
    es.indices.put_index_template(
        name="yuqing-mentions",
        index_patterns=["yuqing-mentions-*"],
        priority=100,
        template={
            # One node: replicas could never be assigned, so keep the index green.
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": TEMPLATE_MAPPINGS,
            "aliases": {ALIAS: {}},
        },
    )
    es.indices.create(index=INDEX)

    def actions():
        for i, doc in enumerate(DOCS):
            yield {"_index": INDEX, "_id": doc["mention_id"], "_source": doc}
            if i == N_DOCS // 2:  # one bad doc in the middle of the stream
                yield {"_index": INDEX, "_id": BAD_ID, "_source": {**make_doc(0), "likes": "a lot"}}

    results = list(helpers.streaming_bulk(es, actions(), chunk_size=500, raise_on_error=False))
    es.indices.refresh(index=ALIAS)
    return results


def test_ping_and_info(es):
    assert es.ping() is True  # HEAD /, served by the launcher's RootInfoPlugin
    info = es.info()
    assert info["version"]["number"].startswith("8.")
    assert info["cluster_name"] == "yuqing-test"
    assert info["tagline"] == "You Know, for Search"
    assert es.cluster.health()["status"] in ("green", "yellow")


def test_template_and_alias(es, ingested):
    assert ALIAS in es.indices.get_alias(index=INDEX)[INDEX]["aliases"]
    props = es.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    assert props["title"] == {"type": "text", "analyzer": "whitespace"}
    assert props["keywords"] == {"type": "keyword"}
    tokens = es.indices.analyze(index=INDEX, field="title", text="BrandA Recall 新品")["tokens"]
    assert [t["token"] for t in tokens] == ["BrandA", "Recall", "新品"]  # split on spaces, case kept


def test_bulk_reports_the_one_rejected_doc(es, ingested):
    failed = [item for ok, item in ingested if not ok]
    assert len(ingested) == N_DOCS + 1
    assert len(failed) == 1
    error = failed[0]["index"]
    assert error["_id"] == BAD_ID
    assert error["status"] == 400
    assert error["error"]["type"] in ("document_parsing_exception", "mapper_parsing_exception")
    assert es.count(index=ALIAS)["count"] == N_DOCS
    assert not es.exists(index=INDEX, id=BAD_ID)


def test_search_through_alias_with_highlight(es, ingested):
    expected = sum(1 for d in DOCS if "Recall" in d["title"])
    resp = es.search(index=ALIAS, query={"match": {"title": "Recall"}}, highlight={"fields": {"title": {}}},
                     size=expected, track_total_hits=True)
    assert resp["hits"]["total"]["value"] == expected
    for hit in resp["hits"]["hits"]:
        assert hit["_index"] == INDEX
        assert "<em>Recall</em>" in hit["highlight"]["title"][0]
    # The whitespace analyzer does not lowercase, so the lowercase term matches nothing.
    assert es.count(index=ALIAS, query={"match": {"title": "recall"}})["count"] == 0


def test_terms_and_date_histogram_aggregations(es, ingested):
    resp = es.search(
        index=ALIAS,
        size=0,
        aggs={
            "by_platform": {"terms": {"field": "platform", "size": 10}},
            "by_keyword": {"terms": {"field": "keywords", "size": 10}},
            "per_day": {
                "date_histogram": {"field": "published_at", "calendar_interval": "day",
                                   "time_zone": "Asia/Shanghai", "min_doc_count": 1},
                "aggs": {"platforms": {"terms": {"field": "platform", "size": 10}}},
            },
        },
    )
    aggs = resp["aggregations"]
    assert {b["key"]: b["doc_count"] for b in aggs["by_platform"]["buckets"]} == Counter(d["platform"] for d in DOCS)
    assert {b["key"]: b["doc_count"] for b in aggs["by_keyword"]["buckets"]} == Counter(
        k for d in DOCS for k in d["keywords"])

    def shanghai_day(d):
        ts = datetime.fromisoformat(d["published_at"].replace("Z", "+00:00")).astimezone(SHANGHAI)
        return ts.strftime("%Y-%m-%dT00:00:00.000+08:00")

    per_day = Counter(shanghai_day(d) for d in DOCS)
    per_day_platform = Counter((shanghai_day(d), d["platform"]) for d in DOCS)
    buckets = aggs["per_day"]["buckets"]
    assert buckets[0]["key_as_string"] == "2026-11-01T00:00:00.000+08:00"  # day boundaries are Shanghai's
    assert {b["key_as_string"]: b["doc_count"] for b in buckets} == per_day
    for b in buckets:
        for sub in b["platforms"]["buckets"]:
            assert sub["doc_count"] == per_day_platform[(b["key_as_string"], sub["key"])]


def test_partial_update_with_doc(es, ingested):
    doc_id = "m-00042"
    resp = es.update(index=INDEX, id=doc_id, doc={"likes": 99999, "keywords": ["escalated"]}, refresh=True)
    assert resp["result"] == "updated"
    source = es.get(index=ALIAS, id=doc_id)["_source"]
    assert source["likes"] == 99999 and source["keywords"] == ["escalated"]
    assert source["title"] == DOCS[42]["title"]  # untouched fields are kept
    # Same values again: Elasticsearch detects the no-op instead of writing a new version.
    assert es.update(index=INDEX, id=doc_id, doc={"likes": 99999})["result"] == "noop"


def test_delete_index_by_name(es, ingested):
    scratch = "yuqing-mentions-2026.10"
    es.index(index=scratch, id="x", document=make_doc(1), refresh=True)
    assert ALIAS in es.indices.get_alias(index=scratch)[scratch]["aliases"]  # the template applied
    assert es.count(index=ALIAS)["count"] == N_DOCS + 1
    assert es.indices.delete(index=scratch)["acknowledged"] is True
    assert not es.indices.exists(index=scratch)
    assert es.count(index=ALIAS)["count"] == N_DOCS
    with pytest.raises(NotFoundError):
        es.indices.delete(index=scratch)


def test_restart_keeps_data_and_url(es, node, ingested):
    # Runs last in this module: it takes the node down and back up.
    before = es.count(index=ALIAS)["count"]
    # Not refreshed before the stop: it must survive through the translog.
    es.update(index=INDEX, id="m-00007", doc={"likes": 12345})
    url = node.url
    node.stop()
    assert not node.running
    assert es.options(request_timeout=2, max_retries=0).ping() is False  # really down
    assert node.start(timeout=60) == url
    assert es.ping() is True  # the same client object reconnects to the same URL
    assert es.count(index=ALIAS)["count"] == before
    assert es.get(index=ALIAS, id="m-00007")["_source"]["likes"] == 12345
    es.index(index=INDEX, id="after-restart", document=make_doc(7), refresh=True)  # still writable
    assert es.count(index=ALIAS)["count"] == before + 1
    es.delete(index=INDEX, id="after-restart", refresh=True)  # leave the count as other tests expect
