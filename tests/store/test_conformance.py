"""The store contract. Every backend runs these same assertions (see `backend` fixture)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from nlp.analyze import Analyzer
from store.base import Facet, MentionQuery, MentionStore, Sort
from tests.builders import BASE_TIME, mention
from yuqing.records import (
    SHANGHAI,
    Category,
    Correction,
    Mention,
    Platform,
    SentimentLabel,
)

TEXTS = [
    # (n, text, platform, hours before BASE_TIME)
    (1, "泰山港华燃气岱岳区停气三天，客服电话打不通", Platform.weibo, 1),
    (2, "感谢泰安港华燃气抢修师傅半夜上门，服务太好了", Platform.weibo, 5),
    (3, "泰安燃气费这个月多了两百，表走得快", Platform.wechat, 26),
    (4, "新泰市青云街道平阳小区气压低，壁挂炉打不着火", Platform.weibo, 30),
    (5, "周末去泰山看日出，风景真好", Platform.weibo, 50),
    (6, "泰山港华燃气发布计划停气通知，财源街道明天暂停供气", Platform.news, 52),
    (7, "有人冒充燃气公司上门推销报警器，泰安的朋友注意", Platform.weibo, 75),
    (8, "济南港华燃气开展安全进社区活动", Platform.news, 80),
]


@pytest.fixture
def loaded(backend: MentionStore, analyzer: Analyzer) -> MentionStore:
    items = []
    for n, text, platform, hours in TEXTS:
        m = mention(n, text, platform=platform, hours_ago=hours, likes=n * 10, region="山东")
        items.append((m, analyzer.analyze(m)))
    result = backend.upsert(items)
    assert (result.inserted, result.updated) == (len(TEXTS), 0)
    return backend


def ids(page) -> list[str]:
    return [item.mention.id for item in page.items]


def test_reingest_updates_metrics_and_never_duplicates(loaded: MentionStore, analyzer: Analyzer) -> None:
    first = loaded.get("weibo:1")
    again = mention(1, TEXTS[0][1], hours_ago=1, likes=999, fetched_at=BASE_TIME + timedelta(hours=3))
    result = loaded.upsert([(again, analyzer.analyze(again))])
    assert (result.inserted, result.updated) == (0, 1)
    assert loaded.count(MentionQuery()) == len(TEXTS)
    stored = loaded.get("weibo:1")
    assert stored.mention.likes == 999
    assert stored.mention.fetched_at == BASE_TIME + timedelta(hours=3)
    assert stored.first_seen_at == first.first_seen_at


def test_get_unknown_is_none(loaded: MentionStore) -> None:
    assert loaded.get("weibo:404") is None


def test_round_trip_keeps_the_record(loaded: MentionStore) -> None:
    stored = loaded.get("weibo:4")
    assert stored.mention.text == TEXTS[3][1]
    assert stored.mention.published_at == BASE_TIME - timedelta(hours=30)
    assert stored.mention.published_at.tzinfo is not None
    assert stored.mention.author.name == "作者4" and stored.mention.region == "山东"
    assert stored.analysis.place.startswith("新泰市")
    assert "outage" in stored.categories


def test_full_text_search_with_highlight(loaded: MentionStore) -> None:
    page = loaded.search(MentionQuery(text="停气"))
    assert set(ids(page)) == {"weibo:1", "news:6"} and page.total == 2
    assert all("<em>停气</em>" in item.highlight for item in page.items)
    # A short name finds the long word it is part of.
    assert {"weibo:1", "news:6"} <= set(ids(loaded.search(MentionQuery(text="港华"))))
    # Several words must all match.
    assert ids(loaded.search(MentionQuery(text="停气 客服"))) == ["weibo:1"]
    assert loaded.search(MentionQuery(text="不存在的词语组合")).total == 0


def test_filters(loaded: MentionStore) -> None:
    assert set(ids(loaded.search(MentionQuery(platforms=[Platform.news])))) == {"news:6", "news:8"}
    assert set(ids(loaded.search(MentionQuery(categories=[Category.scam])))) == {"weibo:7"}
    relevant = set(ids(loaded.search(MentionQuery(relevant=True, limit=100))))
    assert "weibo:5" not in relevant and "news:8" not in relevant and "weibo:1" in relevant
    window = MentionQuery(since=BASE_TIME - timedelta(hours=30), until=BASE_TIME - timedelta(hours=2))
    assert set(ids(loaded.search(window))) == {"weibo:2", "wechat:3", "weibo:4"}
    assert ids(loaded.search(MentionQuery(place="青云街道"))) == ["weibo:4"]
    assert set(ids(loaded.search(MentionQuery(author="作者1")))) == {"weibo:1", "news:6"}
    assert loaded.count(MentionQuery(platforms=[Platform.douyin])) == 0


def test_sentiment_filter_matches_labels(loaded: MentionStore) -> None:
    for label in SentimentLabel:
        page = loaded.search(MentionQuery(sentiments=[label], limit=100))
        assert all(item.sentiment == label for item in page.items)
    total = sum(loaded.count(MentionQuery(sentiments=[label])) for label in SentimentLabel)
    assert total == len(TEXTS)


def test_paging_and_sorting(loaded: MentionStore) -> None:
    newest = loaded.search(MentionQuery(limit=3))
    assert newest.total == len(TEXTS) and ids(newest) == ["weibo:1", "weibo:2", "wechat:3"]
    assert ids(loaded.search(MentionQuery(limit=3, offset=3))) == ["weibo:4", "weibo:5", "news:6"]
    assert ids(loaded.search(MentionQuery(limit=2, sort=Sort.oldest))) == ["news:8", "weibo:7"]
    assert ids(loaded.search(MentionQuery(limit=1, sort=Sort.engagement))) == ["news:8"]
    assert loaded.search(MentionQuery(limit=0)).items == []


def test_trend_counts_shanghai_days_with_zero_days(loaded: MentionStore) -> None:
    buckets = loaded.trend(MentionQuery())
    days = [b.day for b in buckets]
    assert days == sorted(days) and len(days) == len(set(days))
    assert days[0] == (BASE_TIME - timedelta(hours=80)).date() and days[-1] == BASE_TIME.date()
    assert sum(b.total for b in buckets) == len(TEXTS)
    by_day = {b.day: b for b in buckets}
    assert by_day[BASE_TIME.date()].total == 2
    ranged = loaded.trend(MentionQuery(since=datetime(2026, 11, 10, tzinfo=SHANGHAI),
                                       until=datetime(2026, 11, 21, tzinfo=SHANGHAI)))
    assert len(ranged) == 11 and ranged[0].total == 0 and ranged[-1].day == date(2026, 11, 20)


def test_day_boundary_is_shanghai_midnight(backend: MentionStore, analyzer: Analyzer) -> None:
    late = mention(50, "泰安停气", published_at=datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI))
    backend.upsert([(late, analyzer.analyze(late))])
    assert [b.day for b in backend.trend(MentionQuery())] == [date(2026, 11, 20)]


def test_facets(loaded: MentionStore) -> None:
    platforms = {c.value: c.count for c in loaded.facet(MentionQuery(), Facet.platform)}
    assert platforms == {"weibo": 5, "news": 2, "wechat": 1}
    categories = {c.value: c.count for c in loaded.facet(MentionQuery(), Facet.category)}
    assert categories["outage"] >= 3 and categories.get("scam") == 1
    authors = loaded.facet(MentionQuery(), Facet.author, limit=1)
    assert len(authors) == 1 and authors[0].count == 2


def test_keywords_cloud(loaded: MentionStore) -> None:
    words = {c.value: c.count for c in loaded.keywords(MentionQuery(), limit=100)}
    assert words.get("停气", 0) >= 1
    only_news = {c.value for c in loaded.keywords(MentionQuery(platforms=[Platform.news]), limit=100)}
    assert "壁挂炉" not in only_news and "供气" in only_news


def test_correction_wins_and_survives_recrawl(loaded: MentionStore, analyzer: Analyzer) -> None:
    loaded.correct("weibo:5", Correction(sentiment=SentimentLabel.negative,
                                         categories=[Category.service], by="pr1"))
    recrawled: Mention = mention(5, TEXTS[4][1], hours_ago=50, likes=1234)
    loaded.upsert([(recrawled, analyzer.analyze(recrawled))])
    stored = loaded.get("weibo:5")
    assert stored.mention.likes == 1234
    assert stored.sentiment == SentimentLabel.negative and stored.categories == ["service"]
    assert stored.correction.by == "pr1"
    assert "weibo:5" in ids(loaded.search(MentionQuery(categories=[Category.service], limit=100)))
    assert "weibo:5" in ids(loaded.search(MentionQuery(sentiments=[SentimentLabel.negative], limit=100)))
    # A later review of the sentiment alone keeps the earlier category correction.
    loaded.correct("weibo:5", Correction(sentiment=SentimentLabel.neutral, by="pr2"))
    stored = loaded.get("weibo:5")
    assert stored.sentiment == SentimentLabel.neutral and stored.categories == ["service"]


def test_correcting_an_unknown_mention_raises(loaded: MentionStore) -> None:
    with pytest.raises(KeyError):
        loaded.correct("weibo:404", Correction(sentiment=SentimentLabel.negative))
