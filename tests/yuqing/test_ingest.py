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
