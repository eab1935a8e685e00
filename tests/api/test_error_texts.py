"""What staff read when something is wrong: invalid input as one Chinese line naming the field
and the rule (never echoing what was sent), Chinese not-found texts, a Chinese 404 page for
browsers (JSON for /api), and changing one's own password with clear refusals."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.helpers import PASSWORD, login, sign_in
from tests.conftest import make_settings
from yuqing.records import Role

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # as Chromium asks


@pytest.fixture
def app_parts(tmp_path, store, sqlite_db):
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings, store=store, db=sqlite_db)) as c:
        yield c, sqlite_db, settings


@pytest.fixture
def client(app_parts) -> TestClient:
    c, db, settings = app_parts
    sign_in(c, db, settings, Role.viewer)
    return c


def has_latin_words(text: str) -> bool:
    """English prose ("should", "not found"), as opposed to field names and numbers."""
    return bool(re.search(r"\b(should|must|not|found|at most|before|valid|input|field|required)\b", text, re.I))


@pytest.mark.parametrize(("params", "detail"), [
    ({"size": 0}, "size：不能小于 1"),
    ({"page": "x"}, "page：应为整数"),
    ({"relevant": "maybe"}, "relevant：应为 true 或 false"),
    ({"q": "燃" * 201}, "q：长度不能超过 200 个字符"),
    ({"since": "2026-11-28", "until": "2026-11-01"}, "开始日期不能晚于结束日期"),
])
def test_invalid_parameters_are_one_chinese_line(client: TestClient, params: dict, detail: str) -> None:
    answer = client.get("/api/mentions", params=params)
    assert answer.status_code == 422 and answer.json()["detail"] == detail
    assert not has_latin_words(answer.json()["detail"])


def test_an_enum_names_the_allowed_values(client: TestClient) -> None:
    detail = client.get("/api/mentions", params={"sentiment": "angry"}).json()["detail"]
    assert detail.startswith("sentiment：取值无效（可选：") and "negative" in detail and "angry" not in detail


def test_a_huge_field_is_never_echoed(app_parts) -> None:
    c, db, settings = app_parts
    sign_in(c, db, settings, Role.pr)
    huge = "泄漏" + "x" * 300_000  # below the body limit (1 MB), far above the field's
    answer = c.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": huge})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "新密码（new_password）：长度不能超过 200 个字符"
    assert len(answer.content) < 2000 and "xxxxxxxx" not in answer.text and "泄漏" not in answer.text
    assert answer.json()["errors"] == [{"field": "new_password", "type": "string_too_long",
                                        "message": "长度不能超过 200 个字符"}]


def test_missing_and_malformed_bodies(client: TestClient) -> None:
    missing = client.post("/api/auth/password", json={"current_password": PASSWORD})
    assert missing.status_code == 422 and missing.json()["detail"] == "新密码（new_password）：必填"
    several = client.post("/api/auth/password", json={})
    assert several.json()["detail"] == "当前密码（current_password）：必填（另有 1 处问题）"
    not_object = client.post("/api/auth/password", json=["a"])
    assert not_object.status_code == 422 and not_object.json()["detail"] == "请求内容：应为 JSON 对象"


def test_not_found_texts_are_chinese(client: TestClient) -> None:
    mention = client.get("/api/mentions/weibo:404")
    assert mention.status_code == 404 and mention.json()["detail"] == "未找到信息：weibo:404"
    event = client.get("/api/events/evt-nope")
    assert event.status_code == 404 and event.json()["detail"] == "未找到事件：evt-nope"
    long_id = "z" * 5000
    assert len(client.get(f"/api/mentions/{long_id}").json()["detail"]) < 80  # cut, not echoed
    too_big = client.get("/api/mentions", params={"size": 500})
    assert too_big.json()["detail"] == "size：每页最多 200 条"


@pytest.mark.parametrize("path", ["/users", "/sources", "/settings", "/mentions/abc"])
def test_unknown_pages_get_a_chinese_404_page(app_parts, path: str) -> None:
    c, _, _ = app_parts  # nobody logged in: the page is the same for everyone
    page = c.get(path, headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<title>页面不存在" in page.text and "返回舆情总览" in page.text and 'href="/"' in page.text
    assert 'href="/tickets"' in page.text  # the site navigation
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "Not Found" not in page.text


def test_the_api_and_programs_keep_json_404s(app_parts) -> None:
    c, _, _ = app_parts
    api = c.get("/api/nothing-here", headers=HTML)
    assert api.status_code == 404 and api.json() == {"detail": "接口不存在"}
    program = c.get("/users", headers={"Accept": "application/json"})
    assert program.status_code == 404 and program.json() == {"detail": "接口不存在"}
    assert c.get("/static/js/nope.js", headers=HTML).headers["content-type"].startswith("application/json")


def test_changing_ones_own_password(app_parts) -> None:
    c, db, settings = app_parts
    headers = sign_in(c, db, settings, Role.handler, "customer")
    user = "handler-customer"
    wrong = c.post("/api/auth/password", json={"current_password": "not-it-at-all", "new_password": "a-new-one-123"})
    assert wrong.status_code == 422 and wrong.json()["detail"] == "当前密码不正确"  # not 401: still logged in
    assert c.get("/api/auth/me").status_code == 200
    short = c.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and short.json()["detail"] == "密码至少需要 10 个字符"
    login(c, user)  # nothing of that changed the password
    done = c.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "a-new-one-123"},
                  headers=headers)
    assert done.status_code == 204
    assert c.get("/api/auth/me", headers=headers).status_code == 401  # every token of the user ended
    assert c.post("/api/auth/login", json={"username": user, "password": PASSWORD}).status_code == 401
    login(c, user, "a-new-one-123")


def test_wrong_current_passwords_count_towards_the_lockout(app_parts) -> None:
    c, db, settings = app_parts
    sign_in(c, db, settings, Role.pr)
    for _ in range(settings.auth.max_failed_logins):
        c.post("/api/auth/password", json={"current_password": "guess-guess", "new_password": "a-new-one-123"})
    locked = c.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "a-new-one-123"})
    assert locked.status_code == 422 and "锁定" in locked.json()["detail"]


def test_a_form_field_is_named_as_the_page_labels_it(app_parts) -> None:
    c, db, settings = app_parts
    sign_in(c, db, settings, Role.admin)
    entry = {"kind": "planned_outage", "title": "计划停气", "starts_at": "20261-12-01T08:00",
             "ends_at": "2026-12-01T18:00"}
    answer = c.post("/api/calendar", json=entry)
    assert answer.status_code == 422 and answer.json()["detail"] == "开始时间（starts_at）：应为 ISO 日期时间"
    too_many = c.post("/api/calendar", json={**entry, "starts_at": "2026-12-01T08:00", "areas": ["天平街道"] * 51})
    assert too_many.status_code == 422 and too_many.json()["detail"] == "区域（areas）：最多 50 项"
    assert c.get("/api/calendar").json() == []  # nothing stored
