"""The API over a store loaded with analysed mentions: filters, paging, readable 422s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.helpers import sign_in
from tests.builders import mention
from tests.conftest import make_settings
from yuqing.records import Platform

TEXTS = [
    "泰山港华燃气岱岳区停气三天，客服电话打不通",
    "感谢泰安港华燃气抢修师傅半夜上门",
    "泰安燃气费这个月多了两百，表走得快",
    "周末去泰山看日出",
    "有人冒充燃气公司上门推销报警器，泰安的朋友注意",
]


@pytest.fixture
def client(tmp_path, store, analyzer, sqlite_db) -> Iterator[TestClient]:
    items = []
    for i in range(25):  # 25 mentions over 5 days, cycling the texts
        m = mention(i, TEXTS[i % 5], platform=Platform.news if i % 5 == 1 else Platform.weibo,
                    hours_ago=i * 5)
        items.append((m, analyzer.analyze(m)))
    store.upsert(items)
    settings = make_settings(tmp_path / "data")
    app = create_app(settings, store=store, db=sqlite_db)
    with TestClient(app) as c:
        sign_in(c, sqlite_db, settings)
        yield c


def test_list_filters_and_paging(client: TestClient) -> None:
    body = client.get("/api/mentions", params={"size": 10}).json()
    assert body["total"] == 25 and len(body["items"]) == 10 and body["page"] == 1
    times = [i["mention"]["published_at"] for i in body["items"]]
    assert times == sorted(times, reverse=True)
    last = client.get("/api/mentions", params={"size": 10, "page": 3}).json()
    assert len(last["items"]) == 5
    seen = {i["mention"]["id"] for p in (1, 2, 3)
            for i in client.get("/api/mentions", params={"size": 10, "page": p}).json()["items"]}
    assert len(seen) == 25

    news = client.get("/api/mentions", params={"platform": "news"}).json()
    assert news["total"] == 5 and all(i["mention"]["platform"] == "news" for i in news["items"])
    scam = client.get("/api/mentions", params={"category": "scam"}).json()
    assert scam["total"] == 5 and all("scam" in i["categories"] for i in scam["items"])
    both = client.get("/api/mentions", params=[("category", "scam"), ("category", "billing")]).json()
    assert both["total"] == 10
    irrelevant = client.get("/api/mentions", params={"relevant": "false"}).json()
    assert irrelevant["total"] == 5 and "日出" in irrelevant["items"][0]["mention"]["text"]
    found = client.get("/api/mentions", params={"q": "停气"}).json()
    assert found["total"] == 5 and "<em>停气</em>" in found["items"][0]["highlight"]
    negative = client.get("/api/mentions", params={"sentiment": "negative"}).json()
    assert all(i["sentiment"] == "negative" for i in negative["items"])


def test_time_range_by_day_is_inclusive(client: TestClient) -> None:
    # BASE_TIME is 2026-11-20 12:00; mentions every 5 hours back from it.
    day = client.get("/api/mentions", params={"since": "2026-11-20", "until": "2026-11-20"}).json()
    assert day["total"] == 3  # 12:00, 07:00, 02:00
    window = client.get("/api/mentions", params={"since": "2026-11-20T06:00:00+08:00"}).json()
    assert window["total"] == 2


def test_one_mention_and_404(client: TestClient) -> None:
    body = client.get("/api/mentions/weibo:0").json()
    assert body["mention"]["text"] == TEXTS[0]
    assert body["analysis"]["relevant"] is True and "tokens" not in body["analysis"]
    missing = client.get("/api/mentions/weibo:999")
    assert missing.status_code == 404 and "weibo:999" in missing.json()["detail"]


def test_trend_and_keywords(client: TestClient) -> None:
    trend = client.get("/api/stats/trend").json()
    assert [b["day"] for b in trend] == ["2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18",
                                         "2026-11-19", "2026-11-20"]
    assert sum(b["negative"] + b["neutral"] + b["positive"] for b in trend) == 25
    words = client.get("/api/stats/keywords", params={"limit": 5}).json()
    assert len(words) == 5 and words[0]["count"] >= words[-1]["count"] >= 1
    platforms = client.get("/api/stats/facets/platform").json()
    assert {p["value"]: p["count"] for p in platforms} == {"weibo": 20, "news": 5}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"sentiment": "angry"}, "sentiment"),
        ({"platform": "facebook"}, "platform"),
        ({"category": "gas"}, "category"),
        ({"size": 0}, "size"),
        ({"size": 500}, "size：每页最多 200 条"),
        ({"page": 0}, "page"),
        ({"since": "yesterday"}, "since：不是有效的日期"),
        ({"since": "2026-11-20", "until": "2026-11-19"}, "开始日期不能晚于结束日期"),
        ({"relevant": "maybe"}, "relevant"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_parameters_get_422_with_a_reason(client: TestClient, params: dict, reason: str) -> None:
    response = client.get("/api/mentions", params=params)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_unknown_facet_is_422(client: TestClient) -> None:
    assert client.get("/api/stats/facets/colour").status_code == 422


def test_health_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/mentions", "/api/mentions/{mention_id}", "/api/stats/trend", "/api/stats/keywords"} <= set(paths)


def test_every_request_needs_a_valid_token(client: TestClient) -> None:
    token = client.headers.pop("Authorization")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dmlld2VyOng="}):
        response = client.get("/api/mentions", headers=headers)
        assert response.status_code == 401 and response.json()["detail"].startswith("请先登录")
    ok = client.get("/api/mentions", headers={"Authorization": token})
    assert ok.status_code == 200 and token.split()[1] not in ok.text


def test_remote_clients_are_treated_like_local_ones(tmp_path, store, sqlite_db) -> None:
    settings = make_settings(tmp_path / "data")
    app = create_app(settings, store=store, db=sqlite_db)
    with TestClient(app, client=("192.0.2.7", 50000)) as remote:
        assert remote.get("/api/mentions").status_code == 401
        sign_in(remote, sqlite_db, settings)
        assert remote.get("/api/mentions").status_code == 200


def test_pr_staff_correct_a_mention_from_the_list(client: TestClient, sqlite_db, tmp_path) -> None:
    from sqlalchemy import select

    from alerts.models import LabelledExample

    settings = make_settings(tmp_path / "data")
    viewer = dict(client.headers)
    pr = sign_in(client, sqlite_db, settings, "pr")
    praise = client.get("/api/mentions", params={"q": "抢修师傅", "size": 1}).json()["items"][0]
    mention_id = praise["mention"]["id"]
    answer = client.post(f"/api/mentions/{mention_id}/correct", json={"sentiment": "negative",
                                                                      "categories": ["maintenance"]}, headers=pr)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sentiment"] == "negative" and answer.json()["categories"] == ["maintenance"]
    assert client.get(f"/api/mentions/{mention_id}").json()["correction"]["by"] == "pr-all"
    with sqlite_db.read() as session:
        (example,) = session.scalars(select(LabelledExample)).all()
        assert (example.mention_id, example.alert_id, example.sentiment) == (mention_id, None, "negative")
    # bad requests change nothing: nothing to correct, an unknown code, an unknown mention, a viewer
    for body, path in (({}, mention_id), ({"categories": ["leak"]}, mention_id),
                       ({"sentiment": "positive"}, "weibo:nope")):
        refused = client.post(f"/api/mentions/{path}/correct", json=body, headers=pr)
        assert refused.status_code in (404, 422) and refused.json()["detail"].isascii() is False
    assert client.post(f"/api/mentions/{mention_id}/correct", json={"sentiment": "positive"},
                       headers=viewer).status_code == 403
    assert client.get(f"/api/mentions/{mention_id}").json()["sentiment"] == "negative"
    with sqlite_db.read() as session:
        assert len(session.scalars(select(LabelledExample)).all()) == 1
