from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tests.builders import mention
from yuqing.records import SHANGHAI, Correction, SentimentLabel, canonical_url, mention_id


def test_mention_id_is_stable_and_platform_scoped() -> None:
    assert mention_id("weibo", "4645748019299849") == "weibo:4645748019299849"
    assert mention_id("weibo", "1") != mention_id("douyin", "1")


def test_url_ids_ignore_fragments_tracking_and_host_case() -> None:
    a = mention_id("news", url="https://News.Example.cn/a/1.html?utm_source=x#top")
    b = mention_id("news", url="https://news.example.cn/a/1.html")
    assert a == b and a.startswith("news:u")
    assert canonical_url("HTTPS://X.cn/p?id=3&utm_medium=y") == "https://x.cn/p?id=3"


def test_a_mention_needs_an_id_source() -> None:
    with pytest.raises(ValueError):
        mention_id("news")


def test_times_are_kept_in_shanghai() -> None:
    utc = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    m = mention(1, "x", published_at=utc)
    assert m.published_at.utcoffset().total_seconds() == 8 * 3600
    assert m.published_at.date().isoformat() == "2026-11-21"  # past midnight in Shanghai
    naive = mention(2, "x", published_at=datetime(2026, 11, 20, 9, 0))
    assert naive.published_at.tzinfo is not None and naive.published_at.hour == 9


def test_counts_cannot_be_negative() -> None:
    with pytest.raises(ValidationError):
        mention(1, "x", likes=-1)


def test_correction_outranks_the_model_in_a_stored_mention(analyzer) -> None:
    from yuqing.records import StoredMention

    m = mention(1, "泰山港华燃气服务很好")
    analysis = analyzer.analyze(m)
    stored = StoredMention(mention=m, analysis=analysis, first_seen_at=datetime.now(SHANGHAI),
                           correction=Correction(sentiment=SentimentLabel.negative, categories=[]))
    assert stored.sentiment == SentimentLabel.negative
    assert stored.categories == []
    assert stored.model_dump()["sentiment"] == SentimentLabel.negative
