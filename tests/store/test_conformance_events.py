"""Near-duplicates, events, collapsed copies and the corrected filter, on every backend
(mentions enter through the one ingest path, which links them)."""

from datetime import timedelta

from nlp.analyze import Analyzer
from store.base import MentionQuery
from tests.builders import mention
from yuqing.ingest import Ingestor
from yuqing.records import Correction, Platform, SentimentLabel

REPORT = "泰山港华燃气岱岳区粥店街道幸福家园从昨天下午停气到现在，打客服电话一直占线，老人孩子吃不上热饭"


def test_copies_and_reports_of_one_outage_form_one_event(backend, analyzer: Analyzer) -> None:
    ingestor = Ingestor(analyzer, backend)
    ingestor.ingest([mention(1, REPORT, hours_ago=10)])
    ingestor.ingest([mention(2, "转发微博：" + REPORT + " #泰安#", hours_ago=9)])
    ingestor.ingest([mention(3, "岱岳区粥店街道幸福家园停气第二天了，燃气公司说在抢修", platform=Platform.news,
                             hours_ago=5)])
    ingestor.ingest([mention(4, "泰安燃气费这个月怎么多了两百，估抄的吧", hours_ago=4)])
    ingestor.ingest([mention(5, REPORT, hours_ago=24 * 10)])  # same text, ten days earlier: another event
    copy, report, bill, old = (backend.get(i).analysis for i in ("weibo:2", "news:3", "weibo:4", "weibo:5"))
    assert copy.duplicate_of == "weibo:1" and copy.event_id == "weibo:1"
    assert report.duplicate_of == "" and report.event_id == "weibo:1"
    assert bill.event_id == "weibo:4" and old.event_id == "weibo:5"

    (event, *_) = backend.events(MentionQuery())
    assert event.event_id == "weibo:1" and event.mentions == 3
    assert set(event.platforms) == {"weibo", "news"} and "outage" in event.categories
    assert event.place.endswith("幸福家园") and event.summary.startswith("泰山港华燃气岱岳区")
    assert event.first_seen_at == mention(1, "", hours_ago=10).published_at
    assert sum(b.total for b in event.volume) == 3

    collapsed = backend.search(MentionQuery(collapse_duplicates=True, limit=50))
    assert "weibo:2" not in [i.mention.id for i in collapsed.items]
    assert next(i for i in collapsed.items if i.mention.id == "weibo:1").duplicates == 1
    assert collapsed.total == backend.count(MentionQuery()) - 1


def test_links_survive_a_recrawl(backend, analyzer: Analyzer) -> None:
    ingestor = Ingestor(analyzer, backend)
    ingestor.ingest([mention(1, REPORT, hours_ago=10), mention(2, "转发：" + REPORT, hours_ago=9)])
    ingestor.ingest([mention(2, "转发：" + REPORT, hours_ago=9, likes=99)])
    again = backend.get("weibo:2")
    assert again.analysis.duplicate_of == "weibo:1" and again.mention.likes == 99


def test_near_duplicate_lookup_respects_the_window(backend, analyzer: Analyzer) -> None:
    Ingestor(analyzer, backend).ingest([mention(1, REPORT, hours_ago=10)])
    fp = backend.get("weibo:1").analysis.fingerprint
    at = mention(9, "", hours_ago=10).published_at
    assert [s.mention.id for s in backend.near_duplicates(fp, at - timedelta(hours=1), at + timedelta(hours=1))] \
        == ["weibo:1"]
    assert backend.near_duplicates(fp, at + timedelta(hours=1), at + timedelta(hours=2)) == []


def test_corrected_filter(backend, analyzer: Analyzer) -> None:
    Ingestor(analyzer, backend).ingest([mention(1, REPORT, hours_ago=3), mention(2, "周末去泰山看日出", hours_ago=2)])
    backend.correct("weibo:2", Correction(sentiment=SentimentLabel.positive, by="pr1"))
    assert [s.mention.id for s in backend.search(MentionQuery(corrected=True)).items] == ["weibo:2"]
    assert [s.mention.id for s in backend.search(MentionQuery(corrected=False)).items] == ["weibo:1"]
