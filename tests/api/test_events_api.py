"""Events and collapsed duplicates through the API."""

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.helpers import sign_in
from tests.builders import mention
from tests.conftest import make_settings
from yuqing.ingest import Ingestor
from yuqing.records import Platform

REPORT = "泰山港华燃气岱岳区粥店街道幸福家园从昨天下午停气到现在，打客服电话一直占线，老人孩子吃不上热饭"


def test_events_and_collapse(tmp_path, store, analyzer, sqlite_db) -> None:
    ingestor = Ingestor(analyzer, store)
    ingestor.ingest([mention(1, REPORT, hours_ago=10), mention(2, "转发：" + REPORT, hours_ago=9),
                     mention(3, "岱岳区粥店街道幸福家园停气第二天了，燃气公司说在抢修", platform=Platform.news,
                             hours_ago=5),
                     mention(4, "周末去泰山看日出", hours_ago=3)])
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings, store=store, db=sqlite_db)) as client:
        sign_in(client, sqlite_db, settings)
        events = client.get("/api/events").json()
        assert events[0]["event_id"] == "weibo:1" and events[0]["mentions"] == 3
        assert sorted(events[0]["platforms"]) == ["news", "weibo"]
        detail = client.get("/api/events/weibo:1").json()
        assert [m["mention"]["id"] for m in detail["mentions"]] == ["weibo:1", "weibo:2", "news:3"]
        assert client.get("/api/events/weibo:404").status_code == 404
        collapsed = client.get("/api/mentions", params={"collapse": "true"}).json()
        ids = {i["mention"]["id"]: i["duplicates"] for i in collapsed["items"]}
        assert "weibo:2" not in ids and ids["weibo:1"] == 1 and collapsed["total"] == 3
        assert client.get("/api/mentions").json()["total"] == 4
        assert client.get("/api/events", params={"limit": 0}).status_code == 422
