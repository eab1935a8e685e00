"""The one ingest path: analyse, upsert, tell listeners what is new."""

from nlp.analyze import Analyzer
from store.base import MentionQuery
from tests.builders import mention
from yuqing.ingest import Ingested, Ingestor


def test_ingest_analyses_stores_and_notifies(store, analyzer: Analyzer) -> None:
    ingestor = Ingestor(analyzer, store)
    seen: list[Ingested] = []
    ingestor.listen(seen.append)
    first = ingestor.ingest([mention(1, "泰山港华燃气岱岳区停气三天"), mention(2, "周末去泰山看日出")])
    assert first.result.inserted == 2 and sorted(first.result.new_ids) == ["weibo:1", "weibo:2"]
    assert [(m.id, new) for m, _, new in first.items] == [("weibo:1", True), ("weibo:2", True)]
    assert first.items[0][1].relevant and not first.items[1][1].relevant
    again = ingestor.ingest([mention(1, "泰山港华燃气岱岳区停气三天", likes=50)])
    assert [(m.id, new) for m, _, new in again.items] == [("weibo:1", False)]
    assert seen == [first, again]
    assert store.count(MentionQuery()) == 2 and store.get("weibo:1").mention.likes == 50


def test_nothing_to_ingest_notifies_nobody(store, analyzer: Analyzer) -> None:
    ingestor = Ingestor(analyzer, store)
    calls = []
    ingestor.listen(calls.append)
    assert ingestor.ingest([]).items == [] and calls == []


def test_mentions_queued_for_a_down_index_are_not_announced_as_stored(tmp_path, analyzer: Analyzer) -> None:
    import socket

    from store.elasticsearch import ElasticsearchStore
    from store.es_client import make_client
    from store.outbox import Outbox, OutboxStatus
    from yuqing.settings import EsSettings, Settings
    from yuqing.wiring import query_tokenizer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"  # nobody listens there once closed
    es = EsSettings(url=url, request_timeout=3)
    store = ElasticsearchStore(make_client(es), tokenize=query_tokenizer(Settings()), hosts=es.hosts,
                               outbox=Outbox(tmp_path / "outbox.sqlite"))
    ingestor = Ingestor(analyzer, store)
    seen: list[Ingested] = []
    ingestor.listen(seen.append)
    done = ingestor.ingest([mention(1, "泰山港华燃气岱岳区停气三天"), mention(2, "泰安燃气费贵")])
    assert done.result.queued == ["weibo:1", "weibo:2"] and done.result.inserted == 0
    assert done.items == [] and seen == [done]
    waiting = store.outbox.entries(OutboxStatus.pending)
    assert [e.mention_id for e in waiting] == ["weibo:1", "weibo:2"] and "ConnectionError" in waiting[0].reason
    store.close()


def test_the_wired_ingestor_evaluates_new_mentions_into_alerts(tmp_path) -> None:
    from sqlalchemy import select

    from alerts.db import open_database
    from alerts.models import Alert
    from alerts.tickets.models import Ticket
    from tests.conftest import make_settings
    from yuqing.wiring import build_ingestor

    settings = make_settings(tmp_path / "data")
    ingestor = build_ingestor(settings)
    from alerts.db import now_shanghai

    leak = mention(1, "泰安港华燃气，岱岳区幸福家园小区楼道里燃气味很重，快来人", published_at=now_shanghai())
    ingestor.ingest([leak, mention(2, "周末去泰山看日出")])
    ingestor.ingest([leak])  # a re-crawl of the same post: not new, not evaluated again
    ingestor.close()
    db = open_database(settings)
    with db.read() as session:
        alerts = session.scalars(select(Alert)).all()
        tickets = session.scalars(select(Ticket)).all()
    db.close()
    assert [(a.kind, a.level, a.mention_count) for a in alerts] == [("life_safety", "red", 1)]
    assert [(t.department, t.emergency) for t in tickets] == [("repair", True)]
    assert (tmp_path / "data" / "alert_rules.yaml").is_file()


def test_a_comment_joins_its_posts_event(store, analyzer: Analyzer) -> None:
    from yuqing.records import Kind

    ingestor = Ingestor(analyzer, store)
    reply = "@泰山港华燃气 出来给个说法"
    ingestor.ingest([mention(1, "泰山港华燃气岱岳区停气三天，客服电话打不通", hours_ago=3),
                     mention(2, "泰安港华燃气费这个月多收了两百，表走得快", hours_ago=2)])
    ingestor.ingest([mention(n, reply, kind=Kind.comment, parent_id=f"weibo:{parent}", hours_ago=1)
                     for n, parent in ((11, 1), (12, 2), (13, 1))])
    events = {n: store.get(f"weibo:{n}").analysis for n in (1, 2, 11, 12, 13)}
    assert events[11].event_id == events[13].event_id == events[1].event_id != events[2].event_id
    assert events[12].event_id == events[2].event_id
    assert not any(events[n].duplicate_of for n in (11, 12, 13))  # replies, not copies of each other
    orphan = ingestor.ingest([mention(14, reply, kind=Kind.comment, parent_id="weibo:404")]).items[0][1]
    assert orphan.relevant and orphan.event_id  # no post to join: linked as any mention is
