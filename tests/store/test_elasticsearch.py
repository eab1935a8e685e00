"""What only the Elasticsearch backend has: the template/alias/monthly-index layout, one
index per mention id whatever its published_at becomes, rejected documents reported and
kept, and retention by whole months. All against the session's real node."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from elasticsearch import BadRequestError, Elasticsearch

from nlp.analyze import Analyzer
from store.base import MentionQuery, StoreError
from store.elasticsearch import ElasticsearchStore
from store.es_schema import to_document
from store.outbox import OutboxStatus
from tests.builders import BASE_TIME, mention
from yuqing.records import SHANGHAI, Category, Correction, SentimentLabel
from yuqing.settings import EsSettings, Settings
from yuqing.wiring import query_tokenizer


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def where(store: ElasticsearchStore, mention_id: str) -> list[str]:
    """Every index holding a copy of this id (there must be exactly one)."""
    store.client.indices.refresh(index=store.alias)
    hits = store.client.search(index=store.alias, query={"ids": {"values": [mention_id]}}, size=10)
    return sorted(h["_index"] for h in hits["hits"]["hits"])


def ingest(store, analyzer: Analyzer, *mentions):
    return store.upsert([(m, analyzer.analyze(m)) for m in mentions])


def test_template_alias_and_monthly_indices_by_shanghai_month(es_store: ElasticsearchStore,
                                                              analyzer: Analyzer) -> None:
    # 00:30 on 1 December in Shanghai is still 30 November in UTC: the month is Shanghai's.
    ingest(es_store, analyzer, mention(1, "泰安停气", published_at=at(2026, 12, 1, 0, 30)),
           mention(2, "泰安燃气费", published_at=at(2026, 10, 31, 23, 59)))
    prefix = es_store.prefix
    assert {f"{prefix}-2026.12", f"{prefix}-2026.10"} <= set(es_store.indices())
    assert where(es_store, "weibo:1") == [f"{prefix}-2026.12"]
    assert where(es_store, "weibo:2") == [f"{prefix}-2026.10"]
    aliases = es_store.client.indices.get_alias(name=es_store.alias)
    assert {f"{prefix}-2026.12", f"{prefix}-2026.10"} <= set(aliases)
    template = es_store.client.indices.get_index_template(name=prefix)["index_templates"][0]["index_template"]
    assert template["index_patterns"] == [f"{prefix}-*"]
    mapping = es_store.client.indices.get_mapping(index=f"{prefix}-2026.12")[f"{prefix}-2026.12"]["mappings"]
    props = mapping["properties"]
    assert mapping["dynamic"] == "strict"
    for field in ("platform", "kind", "sentiment", "categories", "region"):
        assert props[field]["type"] == "keyword", field
    assert props["author"]["properties"]["name"]["type"] == "keyword"
    assert props["analysis"]["properties"]["keywords"]["type"] == "keyword"
    assert props["analysis"]["properties"]["sentiment"]["properties"]["label"]["type"] == "keyword"
    assert props["tokens"] == {"type": "text", "analyzer": "whitespace"}
    assert props["published_at"]["type"] == "date" and props["likes"]["type"] == "long"
    # Strict: a field the code does not know is refused, never guessed.
    with pytest.raises(BadRequestError, match="strict_dynamic_mapping_exception"):
        es_store.client.index(index=f"{prefix}-2026.12", id="x", document={"surprise": 1})


def test_setup_is_idempotent_and_refuses_an_index_in_the_alias_place(es_settings, es_node, tmp_path) -> None:
    tokenize = query_tokenizer(Settings())
    with ElasticsearchStore.open(es_settings, tokenize=tokenize, outbox=None, now=BASE_TIME) as store:
        assert store.setup() == []  # everything is there already
        assert store.indices() == [f"{es_settings.index_prefix}-2026.11"]
    clash = EsSettings(url=es_node.url, index_prefix=f"{es_settings.index_prefix}x", replicas=0)
    with Elasticsearch(es_node.url) as client:
        client.indices.create(index=clash.index_prefix)  # an index where the alias should be
    try:
        with pytest.raises(StoreError, match="exists where yuqing needs its alias"):
            ElasticsearchStore.open(clash, tokenize=tokenize, outbox=None)
    finally:
        with Elasticsearch(es_node.url) as client:
            client.indices.delete(index=clash.index_prefix)
            assert not client.indices.exists_index_template(name=clash.index_prefix)  # nothing half-made


def test_a_redated_recrawl_stays_in_the_index_that_holds_the_id(es_store: ElasticsearchStore,
                                                                analyzer: Analyzer) -> None:
    prefix = es_store.prefix
    first = ingest(es_store, analyzer, mention(1, "泰安停气三天", published_at=at(2026, 10, 15), likes=1))
    assert first.new_ids == ["weibo:1"]
    es_store.correct("weibo:1", Correction(sentiment=SentimentLabel.positive, by="pr1"))
    moved = mention(1, "泰安停气三天", published_at=at(2026, 11, 3), likes=7,
                    fetched_at=BASE_TIME + timedelta(days=30))
    again = ingest(es_store, analyzer, moved)
    assert (again.inserted, again.updated, again.new_ids) == (0, 1, [])
    assert where(es_store, "weibo:1") == [f"{prefix}-2026.10"]
    stored = es_store.get("weibo:1")
    assert stored.mention.published_at == at(2026, 11, 3) and stored.mention.likes == 7
    assert stored.first_seen_at == BASE_TIME  # the first fetch, not the re-crawl's
    assert stored.sentiment == SentimentLabel.positive  # the correction came along
    assert es_store.count(MentionQuery(sentiments=[SentimentLabel.positive])) == 1


def test_one_id_twice_in_a_batch_and_across_bulk_requests(es_store: ElasticsearchStore,
                                                          analyzer: Analyzer) -> None:
    es_store.bulk_size = 2  # four mentions: two bulk requests with no refresh in between
    result = ingest(es_store, analyzer,
                    mention(1, "泰安停气", published_at=at(2026, 9, 1)), mention(2, "泰安燃气"),
                    mention(3, "泰安抢修"), mention(1, "泰安停气", published_at=at(2026, 11, 2), likes=5))
    assert (result.inserted, result.updated) == (3, 1)
    assert sorted(result.new_ids) == ["weibo:1", "weibo:2", "weibo:3"]
    assert where(es_store, "weibo:1") == [f"{es_store.prefix}-2026.09"]
    assert es_store.get("weibo:1").mention.likes == 5
    same_batch = ingest(es_store, analyzer, mention(9, "泰安停气", published_at=at(2026, 8, 1)),
                        mention(9, "泰安停气", published_at=at(2026, 12, 1), likes=3))
    assert (same_batch.inserted, same_batch.updated) == (1, 1)
    assert where(es_store, "weibo:9") == [f"{es_store.prefix}-2026.08"]
    assert es_store.count(MentionQuery()) == 4


def test_copies_left_in_two_indices_are_merged_into_one(es_store: ElasticsearchStore, analyzer: Analyzer) -> None:
    m = mention(1, "泰安停气", published_at=at(2026, 10, 5))
    # Two copies, as an older tool (or a writer on another machine) might have left them.
    doc = to_document(m, analyzer.analyze(m), correction=None, first_seen_at=BASE_TIME)
    for month in ("2026.11", "2026.10"):
        es_store.client.index(index=f"{es_store.prefix}-{month}", id="weibo:1", document=doc, refresh=True)
    assert len(where(es_store, "weibo:1")) == 2
    result = ingest(es_store, analyzer, m.model_copy(update={"likes": 3}))
    assert (result.inserted, result.updated) == (0, 1)
    assert where(es_store, "weibo:1") == [f"{es_store.prefix}-2026.10"]  # the oldest month's copy stays
    assert es_store.get("weibo:1").mention.likes == 3 and es_store.count(MentionQuery()) == 1


def test_rejected_documents_are_reported_kept_and_the_rest_stored(es_store: ElasticsearchStore,
                                                                  analyzer: Analyzer) -> None:
    good = mention(1, "泰安停气三天")
    overflow = mention(2, "泰安燃气费涨了", views=10**20)  # beyond Elasticsearch's long
    immense = mention(3, "泰安燃气", region="山" * 12_000)  # one keyword over 32 766 bytes
    huge = mention(4, "燃" * 3_600_000)  # over the 10 MB document limit
    result = ingest(es_store, analyzer, good, overflow, immense, huge)
    assert (result.inserted, result.new_ids) == (1, ["weibo:1"])
    reasons = dict(result.failed)
    assert set(reasons) == {"weibo:2", "weibo:3", "weibo:4"}
    assert "parsing_exception" in reasons["weibo:2"] and "views" in reasons["weibo:2"]
    assert "immense term" in reasons["weibo:3"] or "32766" in reasons["weibo:3"]
    assert "larger than" in reasons["weibo:4"]
    assert es_store.count(MentionQuery()) == 1 and es_store.get("weibo:2") is None
    kept = es_store.outbox.entries(OutboxStatus.rejected)
    assert [(e.mention_id, e.reason) for e in kept] == [(i, reasons[i]) for i in ("weibo:2", "weibo:3", "weibo:4")]
    assert kept[0].mention == overflow and kept[0].analysis.tokens  # whole, with its tokens
    assert not es_store.outbox.has_pending()
    # A later, valid version of the same post is stored and supersedes the rejected one.
    fixed = ingest(es_store, analyzer, overflow.model_copy(update={"views": 10}))
    assert fixed.new_ids == ["weibo:2"]
    assert [e.mention_id for e in es_store.outbox.entries(OutboxStatus.rejected)] == ["weibo:3", "weibo:4"]


def second_store(es_store: ElasticsearchStore) -> ElasticsearchStore:
    """Another process on the same index (say the API, while a crawl writes)."""
    return ElasticsearchStore(es_store.client.options(), tokenize=es_store.tokenize, prefix=es_store.prefix)


def test_correction_saved_after_the_writer_last_wrote_is_not_lost(es_store: ElasticsearchStore,
                                                                   analyzer: Analyzer) -> None:
    """The crawl's writer remembers the version it wrote; a reviewer then corrects in another
    process; the next re-crawl's conditional write fails, looks again and keeps the correction."""
    ingest(es_store, analyzer, mention(1, "泰安停气三天"))
    second_store(es_store).correct("weibo:1", Correction(categories=[Category.scam], by="pr1"))
    result = ingest(es_store, analyzer, mention(1, "泰安停气三天", likes=42))
    assert result.updated == 1
    stored = es_store.get("weibo:1")
    assert stored.mention.likes == 42 and stored.categories == ["scam"] and stored.correction.by == "pr1"


def test_correction_saved_between_lookup_and_write_is_not_lost(es_store: ElasticsearchStore,
                                                               analyzer: Analyzer) -> None:
    """A re-crawl that looked the document up just before a reviewer saved a correction must
    not overwrite it: the write is conditional on the sequence number it read."""
    ingest(es_store, analyzer, mention(1, "泰安停气三天"))
    crawler = second_store(es_store)  # a fresh writer: it has to look the id up
    original_lookup = crawler.writer._lookup

    def lookup_then_review(ids):
        found = original_lookup(ids)
        crawler.writer._lookup = original_lookup
        es_store.correct("weibo:1", Correction(categories=[Category.scam], by="pr1"))  # right after the lookup
        return found

    crawler.writer._lookup = lookup_then_review
    result = ingest(crawler, analyzer, mention(1, "泰安停气三天", likes=42))
    assert result.updated == 1 and crawler.writer._lookup is original_lookup
    stored = crawler.get("weibo:1")  # a process reads its own writes at once (others within a second)
    assert stored.mention.likes == 42 and stored.categories == ["scam"] and stored.correction.by == "pr1"


def test_retention_drops_whole_months_older_than_the_age(es_store: ElasticsearchStore, analyzer: Analyzer) -> None:
    months = [(2025, 9), (2025, 10), (2025, 11), (2026, 3), (2026, 11)]
    ingest(es_store, analyzer, *(mention(n, "泰安燃气", published_at=at(y, m, 10)) for n, (y, m) in enumerate(months)))
    prefix, now = es_store.prefix, at(2026, 11, 20)
    expected = [f"{prefix}-2025.09", f"{prefix}-2025.10"]  # 2025.11 still has days within 12 months
    assert es_store.drop_expired(months=12, now=now, dry_run=True) == expected
    assert len(es_store.indices()) == len(months)
    assert es_store.drop_expired(months=12, now=now) == expected
    assert es_store.indices() == [f"{prefix}-{y}.{m:02d}" for y, m in months[2:]]
    assert es_store.count(MentionQuery()) == 3
    assert es_store.drop_expired(months=12, now=now) == []
    assert es_store.drop_expired(months=0, now=now) == []  # 0 keeps everything


def test_search_beyond_the_result_window_is_a_clear_error(es_store: ElasticsearchStore) -> None:
    from store.base import QueryTooDeep

    with pytest.raises(QueryTooDeep, match="narrow the filters"):
        es_store.search(MentionQuery(offset=60_000, limit=20))


def test_writes_to_a_closed_index_wait_in_the_outbox(es_store: ElasticsearchStore, analyzer: Analyzer) -> None:
    """`yuqing es restore` closes the indices it replaces: a mention arriving meanwhile waits in
    the outbox (it is not refused for its content) and is stored once the index is open again."""
    ingest(es_store, analyzer, mention(1, "泰山港华燃气岱岳区停气"))
    month = f"{es_store.prefix}-2026.11"
    es_store.client.indices.close(index=month)
    late = mention(2, "泰安港华燃气抢修很及时")
    result = ingest(es_store, analyzer, late)
    assert result.queued == [late.id] and not result.failed
    assert es_store.outbox.counts()[OutboxStatus.pending] == 1
    assert es_store.outbox.counts()[OutboxStatus.rejected] == 0
    es_store.client.indices.open(index=month, wait_for_active_shards="1")
    assert es_store.replay_outbox() == {"stored": 1, "rejected": 0, "waiting": 0}
    assert where(es_store, late.id) == [month] and es_store.get(late.id).mention.text == late.text
