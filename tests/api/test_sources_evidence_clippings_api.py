"""GET /api/sources (health and gaps), GET /api/mentions/{id}/evidence, POST /api/clippings:
authenticated, readable errors, limits on uploads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from crawlers.gaps import GapBook
from crawlers.health import HealthBook, SourceState
from crawlers.state import CrawlState
from store.evidence import Evidence, EvidenceStore
from tests.api.helpers import add_user, login
from tests.builders import BASE_TIME, mention
from tests.conftest import FIXTURES, make_settings
from yuqing.records import SHANGHAI, Role
from yuqing.settings import ClippingSettings


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data", clippings=ClippingSettings(max_upload_mb=0.01))


@pytest.fixture
def client(settings, store, analyzer, sqlite_db) -> Iterator[TestClient]:
    complaint = mention(1, "泰山港华燃气岱岳区停气三天，客服电话打不通")
    store.upsert([(complaint, analyzer.analyze(complaint))])
    with EvidenceStore(settings.storage.evidence_dir) as evidence:
        evidence.put(complaint.id, Evidence(url="https://m.weibo.cn/api/container/getIndex?page=1",
                                            fetched_at=BASE_TIME, body="{\"text\": \"停气三天\"}".encode(),
                                            content_type="application/json; charset=utf-8"))
    state = CrawlState(settings.storage.crawl_state_db)
    now = datetime.now(SHANGHAI)
    HealthBook(state.conn).record("weibo", SourceState.ok, "", items=12, problems={}, now=now - timedelta(hours=1))
    HealthBook(state.conn).record("douyin", SourceState.blocked, "needs_signer", items=0,
                                  problems={"needs_signer": 1}, now=now)
    gaps = GapBook(state.conn)
    gaps.crawled("weibo", "泰安 停气", complete=True, oldest=None, started_at=now - timedelta(hours=30), now=now)
    gaps.failed("weibo", "泰安 停气", reason="http_418", now=now - timedelta(hours=2))
    state.close()
    with TestClient(create_app(settings, store=store, db=sqlite_db)) as c:
        add_user(sqlite_db, settings, "pr1", Role.pr)
        c.pr = login(c, "pr1")  # PR staff may import clippings; requests without it are anonymous
        yield c


def test_every_route_needs_a_login(client: TestClient) -> None:
    for path in ("/api/sources", "/api/sources/gaps", "/api/mentions/weibo:1/evidence"):
        assert client.get(path).status_code == 401
    assert client.post("/api/clippings", files={"file": ("a.csv", b"x", "text/csv")}).status_code == 401


def test_sources_show_state_reason_and_time_since_success(client: TestClient) -> None:
    rows = {r["source"]: r for r in client.get("/api/sources", headers=client.pr).json()}
    assert set(rows) >= {"weibo", "wechat", "toutiao", "douyin", "baidu_news", "news_feeds", "people_board", "board"}
    assert rows["weibo"]["state"] == "ok" and rows["weibo"]["minutes_since_success"] == 60
    assert rows["weibo"]["open_gaps"] == 1 and rows["weibo"]["missing_hours"] == 28
    assert rows["douyin"]["state"] == "blocked" and "needs signer/cookie" in rows["douyin"]["reason_zh"]
    assert rows["douyin"]["minutes_since_success"] is None
    assert rows["wechat"]["state"] == "unknown" and rows["board"]["enabled"] is False
    assert [rows[s]["state_zh"] for s in ("weibo", "douyin", "wechat")] == ["正常", "被封锁", "尚未抓取"]
    assert (rows["weibo"]["name_zh"], rows["people_board"]["name_zh"]) == ("微博", "人民网领导留言板")
    (gap,) = client.get("/api/sources/gaps", headers=client.pr).json()
    assert gap["key"] == "泰安 停气" and gap["reason"] == "http_418" and gap["hours"] == 28
    assert (gap["reason_zh"], gap["name_zh"]) == ("HTTP 418 被平台限流", "微博")


def test_evidence_returns_the_kept_response(client: TestClient) -> None:
    body = client.get("/api/mentions/weibo:1/evidence", headers=client.pr).json()
    (item,) = body["items"]
    assert item["url"].startswith("https://m.weibo.cn/") and item["body"] == "{\"text\": \"停气三天\"}"
    assert item["fetched_at"].startswith("2026-11-20T12:00:00+08:00")
    assert item["size"] == len("{\"text\": \"停气三天\"}".encode())
    raw = client.get(f"/api/mentions/weibo:1/evidence/{item['sha256']}", headers=client.pr)
    assert raw.content == "{\"text\": \"停气三天\"}".encode() and raw.headers["content-security-policy"] == "sandbox"
    assert "attachment" in raw.headers["content-disposition"]
    missing = client.get("/api/mentions/weibo:404/evidence", headers=client.pr)
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]


def test_clipping_upload_reports_rows_and_limits_size_and_type(client: TestClient) -> None:
    data = (FIXTURES / "clippings" / "bad-rows.csv").read_bytes()
    report = client.post("/api/clippings", headers=client.pr, files={"file": ("bad-rows.csv", data, "text/csv")}).json()
    assert report["accepted"] == 2 and [r["row"] for r in report["rejected"]] == [3, 4, 5, 6]
    found = client.get("/api/mentions", headers=client.pr, params={"platform": "clipping"}).json()
    assert found["total"] == 2
    wrong = client.post("/api/clippings", headers=client.pr, files={"file": ("x.pdf", b"%PDF", "application/pdf")})
    assert wrong.status_code == 415 and wrong.json()["detail"] == "只支持 CSV 或 XLSX 文件"
    big = client.post("/api/clippings", headers=client.pr, files={"file": ("big.csv", b"x" * 20_000, "text/csv")})
    assert big.status_code == 413
    broken = client.post("/api/clippings", headers=client.pr,
                         files={"file": ("m.csv", (FIXTURES / "clippings" / "missing-columns.csv").read_bytes(),
                                         "text/csv")})
    assert broken.status_code == 422 and "缺少列" in broken.json()["detail"]
    assert client.get("/api/mentions", headers=client.pr, params={"platform": "clipping"}).json()["total"] == 2


def test_the_template_downloads_and_old_excel_files_are_told_what_to_do(client: TestClient, sqlite_db,
                                                                        settings) -> None:
    template = client.get("/api/clippings/template", headers=client.pr)
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert "attachment" in template.headers["content-disposition"]
    assert template.content.decode("utf-8-sig").splitlines() == ["媒体,日期,标题,摘要,链接,媒体类型"]
    add_user(sqlite_db, settings, "boss", Role.viewer)
    assert client.get("/api/clippings/template", headers=login(client, "boss")).status_code == 403
    assert client.get("/api/clippings/template").status_code == 401
    old = client.post("/api/clippings", headers=client.pr,
                      files={"file": ("剪报.xls", b"\xd0\xcf\x11\xe0", "application/vnd.ms-excel")})
    assert old.status_code == 415 and "另存为” .xlsx 或 CSV" in old.json()["detail"]
    filled = template.content + "泰山晚报,2026-11-21,燃气入户安检开始,,,报纸\r\n".encode()
    # Some systems call a CSV text/x-csv: the file is read by its content, not refused for the label.
    answer = client.post("/api/clippings", headers=client.pr, files={"file": ("t.csv", filled, "text/x-csv")})
    assert answer.status_code == 200 and answer.json()["stored_new"] == 1
