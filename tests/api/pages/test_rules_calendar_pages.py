"""预警规则 and 运营日历 pages: the rules in force as the API answers them, edited by the roles
allowed to (an invalid file refused in Chinese with the rules unchanged), and planned operations
added, changed and deleted through the page, each checked against the API afterwards."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import httpx
import pytest

from tests.api.helpers import PASSWORD
from tests.api.pages.conftest import Service, _run, login, logout, screenshot
from tests.conftest import REPO
from yuqing.records import SHANGHAI

FIXTURES = REPO / "tests" / "fixtures"
ADMIN = "pageadmin"  # the rule and calendar editors' role; the shared fixture has no admin user
LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
# What Chromium logs for an answer the page expects (the API refusing an invalid entry), not a script error.
REFUSED = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"


@pytest.fixture(scope="module")
def admin(service: Service) -> str:
    _run("users", "add", ADMIN, "--role", "admin", "--password-stdin", config=service.config, stdin=PASSWORD + "\n")
    return ADMIN


@pytest.fixture
def console(page) -> list[str]:
    """Console errors of the page; each test says which (if any) it expects."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def _put(service: Service, user: str, text: str) -> httpx.Response:
    return httpx.put(f"{service.url}/api/alerts/rules", json={"text": text}, headers=service.headers(user), timeout=30)


def _ids(page, table: str) -> list[str]:
    return page.locator(f"{table} tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")


def _nav_shown(page, path: str) -> bool:
    return page.locator(f"#nav a[href='{path}']").get_attribute("hidden") is None


def test_the_rules_page_shows_the_rules_in_force_to_a_reader_who_cannot_edit(page, service: Service,
                                                                                console: list[str]) -> None:
    login(page, service, user="sup1", next_path="/rules")
    page.wait_for_selector("#rules-card[data-state=ready]")
    answer = service.api("/api/alerts/rules", user="sup1")
    rules, bursts = answer["spec"]["rules"], answer["spec"]["bursts"]
    assert rules and bursts
    assert _ids(page, "#rules") == [r["id"] for r in rules]
    assert _ids(page, "#bursts") == [b["id"] for b in bursts]
    for rule in rules:
        row = page.locator(f"#rules tr[data-id='{rule['id']}']").inner_text()
        assert rule["name"] in row and LEVEL_ZH[rule["level"]] in row
        when = rule["when"]
        for word in when.get("keywords_any", [])[:3]:
            assert word in row
        if when.get("min_followers") is not None:
            assert f"作者粉丝数不低于 {when['min_followers']:,}" in row
        if rule["lane"] == "life_safety":
            assert "直接派发紧急抢修工单" in row
    for burst in bursts:
        row = page.locator(f"#bursts tr[data-id='{burst['id']}']").inner_text()
        assert burst["name"] in row and f"{burst['window_minutes']} 分钟内至少 {burst['min_count']} 条" in row
    assert page.locator("#rules-problem").is_hidden() and answer["error"] is None
    # The rule file's ids are for those who edit the file, not part of what a reader is shown.
    shown = page.inner_text("#rules-card")
    assert page.locator("#rules-card .rule-id").count() == 0
    assert not [r["id"] for r in rules + bursts if r["id"] in shown]
    # A supervisor reads the rules but may not change them: no editor, and the API refuses anyway.
    assert page.locator("#rules-editor").is_hidden() and page.locator("#rules-save").count() == 1
    assert not page.locator("#rules-save").is_visible()
    refused = _put(service, "sup1", answer["text"].replace(rules[0]["name"], "改名", 1))
    assert refused.status_code == 403
    assert service.api("/api/alerts/rules", user="sup1")["text"] == answer["text"]
    assert _nav_shown(page, "/rules") and _nav_shown(page, "/calendar")
    screenshot(page, "rules-reader")
    assert not console


def test_an_admin_edits_a_rule_on_the_page_and_the_api_returns_it(page, service: Service, admin: str,
                                                                   console: list[str]) -> None:
    before = service.api("/api/alerts/rules", user="sup1")
    first = before["spec"]["rules"][0]
    renamed = f"{first['name']}（{page.viewport_name} 修改）"
    login(page, service, user=admin, next_path="/rules")
    page.wait_for_selector("#rules-card[data-state=ready]")
    assert page.input_value("#rules-text") == before["text"]
    try:
        page.fill("#rules-text", before["text"].replace(f"name: {first['name']}", f"name: {renamed}", 1))
        page.click("#rules-save")
        page.wait_for_selector("#rules-form[data-state=saved]")
        after = service.api("/api/alerts/rules", user="sup1")
        assert after["spec"]["rules"][0]["name"] == renamed
        assert [r["id"] for r in after["spec"]["rules"]] == [r["id"] for r in before["spec"]["rules"]]
        assert renamed in page.locator(f"#rules tr[data-id='{first['id']}']").inner_text()
        # the editor sees each rule's id, which the file names it by
        assert page.locator(f"#rules tr[data-id='{first['id']}'] .rule-id").inner_text() == first["id"]
        screenshot(page, "rules-saved")
    finally:
        assert _put(service, admin, before["text"]).status_code == 200
    assert not console


def test_an_invalid_rule_file_is_refused_in_chinese_and_the_rules_stay(page, service: Service, admin: str,
                                                                       console: list[str]) -> None:
    before = service.api("/api/alerts/rules", user="sup1")
    login(page, service, user=admin, next_path="/rules")
    page.wait_for_selector("#rules-card[data-state=ready]")
    page.fill("#rules-text", (FIXTURES / "rules" / "bad_type.yaml").read_text(encoding="utf-8"))
    page.click("#rules-save")
    page.wait_for_selector("#rules-error:not([hidden])")
    error = page.inner_text("#rules-error")
    assert error.startswith("规则文件未保存：第 8 行：") and "min_followers" in error and "应为整数" in error
    assert "Input should" not in error
    assert service.api("/api/alerts/rules", user="sup1") == before
    assert _ids(page, "#rules") == [r["id"] for r in before["spec"]["rules"]]  # still the rules in force
    screenshot(page, "rules-refused")
    page.click("#rules-reset")
    assert page.input_value("#rules-text") == before["text"] and page.locator("#rules-error").is_hidden()
    assert console == [REFUSED]


def test_a_broken_rule_file_on_disk_is_reported_and_the_last_valid_rules_shown(page, service: Service) -> None:
    from yuqing.settings import load_settings
    from yuqing.wiring import rules_path

    path = rules_path(load_settings(service.config))
    before = service.api("/api/alerts/rules", user="sup1")
    path.write_text((FIXTURES / "rules" / "unknown_key.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stamp, whatever the clock's resolution
    try:
        broken = service.api("/api/alerts/rules", user="sup1")
        assert broken["error"] and "第 8 行" in broken["error"] and broken["spec"] == before["spec"]
        login(page, service, user="sup1", next_path="/rules")
        page.wait_for_selector("#rules-card[data-state=ready]")
        assert page.locator("#rules-problem").is_visible()
        assert page.inner_text("#rules-problem-text") == broken["error"]
        assert _ids(page, "#rules") == [r["id"] for r in before["spec"]["rules"]]  # the last valid rules
        screenshot(page, "rules-problem")
    finally:
        path.write_text(before["text"], encoding="utf-8")
    assert service.api("/api/alerts/rules", user="sup1")["error"] is None


def test_roles_see_only_the_pages_they_may_read(page, service: Service) -> None:
    login(page, service, user="boss", next_path="/calendar")  # the viewer reads the calendar, not the rules
    page.wait_for_selector("#cal-card[data-state=ready]")
    assert _nav_shown(page, "/calendar") and not _nav_shown(page, "/rules")
    assert page.locator("#cal-editor").is_hidden() and page.locator("#planned [data-action]").count() == 0
    page.goto(f"{service.url}/rules")
    page.wait_for_selector("#forbidden")
    assert "无权使用“预警规则”" in page.inner_text("#forbidden")
    assert httpx.get(f"{service.url}/api/alerts/rules", headers=service.headers("boss"), timeout=30).status_code == 403
    logout(page, service)
    login(page, service, user="kefu", next_path="/tickets")  # a handler reads neither
    page.wait_for_selector("#user-name:has-text('责任部门')")
    page.wait_for_selector("#nav a[href='/tickets']:not([hidden])", state="attached")
    assert not _nav_shown(page, "/rules") and not _nav_shown(page, "/calendar")


def _fill_times(page, day: str, start: str, end: str) -> None:
    page.fill("#cal-starts", f"{day}T{start}")
    page.fill("#cal-ends", f"{day}T{end}")


def _listed(service: Service, day: str) -> list[dict]:
    return service.api("/api/calendar", user="boss", since=day, until=day)


def test_an_admin_adds_changes_and_deletes_a_planned_operation(page, service: Service, admin: str,
                                                               console: list[str]) -> None:
    entry = json.loads((FIXTURES / "pages" / "calendar_entry.json").read_text(encoding="utf-8"))
    day = (datetime.now(SHANGHAI) + timedelta(days=2)).date().isoformat()
    title = f"{entry['title']}（{page.viewport_name}）"
    login(page, service, user=admin, next_path="/calendar")
    page.wait_for_selector("#cal-card[data-state=ready]")
    page.select_option("#cal-kind", entry["kind"])
    page.fill("#cal-title", title)
    page.fill("#cal-areas", "、".join(entry["areas"]))
    _fill_times(page, day, entry["start"], entry["end"])
    for category in entry["categories"]:
        page.check(f"#cal-categories input[value='{category}']")
    page.fill("#cal-notice", entry["notice"])
    page.fill("#cal-wording", entry["wording"])
    page.click("#cal-save")
    page.wait_for_selector(f"#planned tbody tr:has-text('{title}')")
    made = [e for e in _listed(service, day) if e["title"] == title]
    assert len(made) == 1
    event = made[0]
    assert (event["kind"], event["areas"], event["categories"]) == (entry["kind"], entry["areas"], entry["categories"])
    assert event["starts_at"] == f"{day}T{entry['start']}:00+08:00"
    assert event["ends_at"] == f"{day}T{entry['end']}:00+08:00"
    assert (event["notice"], event["wording"], event["created_by"]) == (entry["notice"], entry["wording"], admin)
    row = page.locator(f"#planned tr[data-id='{event['id']}']")
    assert "计划停气" in row.inner_text() and "天平街道、粥店街道" in row.inner_text()
    screenshot(page, "calendar-added")

    row.locator("[data-action=edit]").click()
    assert page.input_value("#cal-title") == title and page.input_value("#cal-starts") == f"{day}T{entry['start']}"
    page.fill("#cal-title", f"{title}（延长）")
    page.fill("#cal-ends", f"{day}T{entry['changed_end']}")
    page.click("#cal-save")
    page.wait_for_selector(f"#planned tbody tr:has-text('{title}（延长）')")
    changed = next(e for e in _listed(service, day) if e["id"] == event["id"])
    assert changed["title"] == f"{title}（延长）" and changed["ends_at"] == f"{day}T{entry['changed_end']}:00+08:00"
    assert changed["areas"] == entry["areas"] and changed["wording"] == entry["wording"]

    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.locator(f"#planned tr[data-id='{event['id']}'] [data-action=delete]").click()
    page.wait_for_selector(f"#planned tr[data-id='{event['id']}']", state="detached")
    assert dialogs and title in dialogs[0]
    assert all(e["id"] != event["id"] for e in _listed(service, day))
    assert not console


def test_a_dismissed_delete_keeps_the_entry(page, service: Service, admin: str) -> None:
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).date().isoformat()
    made = service.post("/api/calendar", admin, {"kind": "works", "title": f"岱宗大街施工（{page.viewport_name}）",
                                                 "starts_at": f"{day}T09:00", "ends_at": f"{day}T17:00"}).json()
    try:
        login(page, service, user=admin, next_path="/calendar")
        page.wait_for_selector(f"#planned tr[data-id='{made['id']}']")
        sent: list[str] = []
        page.on("request", lambda request: sent.append(request.method))
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.locator(f"#planned tr[data-id='{made['id']}'] [data-action=delete]").click()
        page.reload()  # whatever the click did has been sent by now
        page.wait_for_selector(f"#planned tr[data-id='{made['id']}']")
        assert "DELETE" not in sent
        assert any(e["id"] == made["id"] for e in _listed(service, day))
        assert page.locator(f"#planned tr[data-id='{made['id']}']").count() == 1
    finally:
        httpx.delete(f"{service.url}/api/calendar/{made['id']}", headers=service.headers(admin), timeout=30)


def test_invalid_planned_operations_are_refused_in_chinese_and_nothing_is_made(page, service: Service, admin: str,
                                                                               console: list[str]) -> None:
    day = (datetime.now(SHANGHAI) + timedelta(days=4)).date().isoformat()
    title = f"结束早于开始（{page.viewport_name}）"
    login(page, service, user=admin, next_path="/calendar")
    page.wait_for_selector("#cal-card[data-state=ready]")
    page.fill("#cal-title", title)
    _fill_times(page, day, "18:00", "08:00")
    page.click("#cal-save")
    page.wait_for_selector("#cal-error:not([hidden])")
    assert page.inner_text("#cal-error") == "结束时间必须晚于开始时间"
    page.fill("#cal-title", "   ")
    _fill_times(page, day, "08:00", "18:00")
    page.click("#cal-save")
    page.wait_for_selector("#cal-error:has-text('请填写计划名称')")
    # Areas of separators only would be read as the whole service area: refused before it is sent.
    page.fill("#cal-title", title)
    page.fill("#cal-areas", "、，\n")
    page.click("#cal-save")
    page.wait_for_selector("#cal-error:has-text('区域只填了分隔符')")
    assert all(e["title"] != title and e["title"].strip() for e in _listed(service, day))
    assert console == [REFUSED, REFUSED]


def test_a_viewer_reads_the_calendar_and_cannot_change_it(page, service: Service, admin: str) -> None:
    day = (datetime.now(SHANGHAI) + timedelta(days=5)).date().isoformat()
    made = service.post("/api/calendar", admin, {"kind": "tariff", "title": f"居民气价调整（{page.viewport_name}）",
                                                 "starts_at": f"{day}T00:00", "ends_at": f"{day}T23:00"}).json()
    try:
        login(page, service, user="boss", next_path="/calendar")
        row = page.wait_for_selector(f"#planned tr[data-id='{made['id']}']")
        assert "价格调整" in row.inner_text() and "全部供气区域" in row.inner_text()
        assert page.locator("#cal-editor").is_hidden() and page.locator("#planned [data-action]").count() == 0
        refused = service.post("/api/calendar", "boss", {"kind": "works", "title": "x", "starts_at": f"{day}T09:00",
                                                         "ends_at": f"{day}T10:00"})
        assert refused.status_code == 403
        assert [e["id"] for e in _listed(service, day) if e["title"] == "x"] == []
    finally:
        httpx.delete(f"{service.url}/api/calendar/{made['id']}", headers=service.headers(admin), timeout=30)
