"""系统管理 page: administrators manage users and API keys in the browser, and the IT team checks
the sources' health and the notification log there. Every check is against the real API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from alerts.db import open_database
from alerts.notify.outbox import Notice
from alerts.notify.service import Notifier
from crawlers.gaps import GapBook
from crawlers.health import HealthBook, SourceState
from crawlers.state import CrawlState
from tests.alerts.robots import MailServer, RobotServer
from tests.api.pages.conftest import Service, login, screenshot
from yuqing.records import SHANGHAI
from yuqing.settings import load_settings
from yuqing.settings_ops import ChannelSettings, NotifySettings, SmtpSettings

ADMIN = "it1"
ROBOT_KEY = "ROBOT-KEY-admin-page-0123456789"
MAIL_TO = "duty-officer@example.cn"
SELF_LOCKOUT = "不能停用自己的账号或取消自己的管理员角色"


@pytest.fixture(scope="module")
def deliveries(service: Service) -> Iterator[None]:
    """Real deliveries in the service's database: a notice sent through a robot that answers, one
    that is down and an SMTP server on loopback, by the real notifier."""
    robots, mail = RobotServer().start(), MailServer().start()
    settings = load_settings(service.config)
    settings = settings.model_copy(update={"notify": NotifySettings(
        channels={"it-robot": ChannelSettings(kind="wecom", url=SecretStr(f"{robots.base}/ok?key={ROBOT_KEY}")),
                  "it-robot-down": ChannelSettings(kind="wecom", url=SecretStr(f"{robots.base}/down?key={ROBOT_KEY}")),
                  "it-mail": ChannelSettings(kind="email", to=[MAIL_TO])},
        attempts=2, backoff_seconds=0.01, timeout_seconds=5,
        smtp=SmtpSettings(host="127.0.0.1", port=mail.port, sender="yuqing@example.cn"))})
    db = open_database(settings)
    notifier = Notifier(db, settings)
    try:
        notifier.publish([Notice(kind="operations", subject="【运行告警】采集源 微博 被封锁", body="请更新 Cookie",
                                 ref="alert:1", level="red")])
        assert notifier.drain(30)
        yield
    finally:
        notifier.close()
        db.close()
        robots.stop()
        mail.stop()


@pytest.fixture(scope="module")
def crawl_health(service: Service) -> None:
    """Runs as the crawler records them in the service's crawl state: one source read 90 minutes
    ago and then refused (a gap opens), one blocked, one with broken pages."""
    state = CrawlState(load_settings(service.config).storage.crawl_state_db)
    now = datetime.now(SHANGHAI)
    try:
        health, gaps = HealthBook(state.conn), GapBook(state.conn)
        health.record("weibo", SourceState.ok, "", items=7, problems={}, now=now - timedelta(minutes=90))
        gaps.crawled("weibo", "泰安 停气", complete=True, oldest=None, started_at=now - timedelta(hours=5),
                     now=now - timedelta(minutes=90))
        health.record("weibo", SourceState.blocked, "http_418", items=0, problems={"http_418": 3}, now=now)
        gaps.failed("weibo", "泰安 停气", reason="http_418", now=now)
        health.record("douyin", SourceState.blocked, "needs_signer", items=0, problems={"needs_signer": 1}, now=now)
        health.record("baidu_news", SourceState.degraded, "malformed", items=2, problems={"malformed": 1}, now=now)
    finally:
        state.close()


@pytest.fixture
def console(page) -> Iterator[list[str]]:
    """Console errors of the page, except the browser's own line for an answer the page expected
    to be refused (bad input gets 4xx by design)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and "the server responded with a status of 4" not in m.text else None)
    yield errors
    assert not errors, f"console errors: {errors}"


def short(page) -> str:
    return page.viewport_name.split("-")[0]


def open_admin(page, service: Service, tab: str, user: str = ADMIN) -> None:
    login(page, service, user=user, next_path="/admin")
    page.wait_for_url(f"{service.url}/admin*")
    page.click(f"#admin-tabs button[data-tab={tab}]")
    page.wait_for_selector(f"#tab-{tab}[data-state=ready]")


def api_login(service: Service, user: str, password: str) -> httpx.Response:
    return httpx.post(f"{service.url}/api/auth/login", json={"username": user, "password": password}, timeout=30)


def user_row(page, username: str):
    return page.locator(f"#users tbody tr[data-username='{username}']")


def test_an_admin_adds_edits_resets_and_disables_a_user(page, service: Service, console) -> None:
    name = f"new-{short(page)}"
    open_admin(page, service, "users")
    assert page.locator("#nav a[href='/admin']").get_attribute("hidden") is None
    assert "密码至少 10 个字符" in page.inner_text("#user-rules")
    page.fill("#u-username", name)
    page.fill("#u-display", "新同事")
    page.select_option("#u-role", "pr")
    page.fill("#u-email", f"{name}@example.cn")
    page.fill("#u-password", "first-password-1")
    page.click("#user-form button[type=submit]")
    row = user_row(page, name)
    row.wait_for()
    assert row.locator("td.role").inner_text() == "舆情专员" and row.locator("td.status").inner_text() == "启用"
    me = httpx.get(f"{service.url}/api/auth/me", timeout=30, headers={
        "Authorization": f"Bearer {api_login(service, name, 'first-password-1').json()['access_token']}"}).json()
    assert (me["username"], me["role"], me["display_name"]) == (name, "pr", "新同事")

    row.locator("button.edit").click()
    page.select_option("#e-role", "handler")
    page.select_option("#e-department", "customer")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector(f"#users tbody tr[data-username='{name}'] td.role:has-text('责任部门')")
    stored = {u["username"]: u for u in service.api("/api/users", user=ADMIN)}[name]
    assert (stored["role"], stored["department"], stored["email"]) == ("handler", "customer", f"{name}@example.cn")

    user_row(page, name).locator("button.edit").click()
    page.fill("#e-password", "second-password-2")
    page.click("#reset-form button[type=submit]")
    page.wait_for_selector("#toast:has-text('已重置')")
    assert api_login(service, name, "second-password-2").status_code == 200

    user_row(page, name).locator("button.toggle").click()
    page.wait_for_selector(f"#users tbody tr[data-username='{name}'] td.status:has-text('停用')")
    refused = api_login(service, name, "second-password-2")
    assert refused.status_code == 401 and refused.json()["detail"] == "用户名或密码错误"
    assert {u["username"]: u for u in service.api("/api/users", user=ADMIN)}[name]["active"] is False
    screenshot(page, "admin-users")


def test_bad_input_shows_the_apis_message_and_creates_nothing(page, service: Service, console) -> None:
    open_admin(page, service, "users")
    before = service.api("/api/users", user=ADMIN)
    cases = [({"username": "pr1", "password": "long-enough-password"}, "用户名 pr1 已存在"),
             ({"username": f"short-{short(page)}", "password": "short"}, "密码至少需要 10 个字符"),
             ({"username": "", "password": "long-enough-password"}, "用户名只能包含")]
    for values, expected in cases:
        direct = service.post("/api/users", ADMIN, {**values, "role": "viewer", "department": "",
                                                    "display_name": "", "email": ""})
        assert direct.status_code in (409, 422) and expected in direct.json()["detail"]
        page.fill("#u-username", values["username"])
        page.fill("#u-password", values["password"])
        page.click("#user-form button[type=submit]")
        page.wait_for_selector(f"#user-error:not([hidden]):has-text('{expected}')")
        assert page.inner_text("#user-error") == direct.json()["detail"]
    assert service.api("/api/users", user=ADMIN) == before
    # The service forbids locking oneself out; the page says so and nothing changes.
    user_row(page, ADMIN).locator("button.toggle").click()
    page.wait_for_selector(f"#toast:has-text('{SELF_LOCKOUT}')")
    assert {u["username"]: u for u in service.api("/api/users", user=ADMIN)}[ADMIN]["active"] is True


def test_an_api_key_is_shown_once_works_and_stops_working_when_revoked(page, service: Service, console) -> None:
    name = f"monitor-{short(page)}"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url)
    open_admin(page, service, "keys")
    page.fill("#k-name", name)
    page.select_option("#k-role", "viewer")
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#key-created:not([hidden])")
    assert "只显示这一次" in page.inner_text("#key-created")
    key = page.inner_text("#key-value")
    assert key.startswith("yqk_")
    listed = {k["name"]: k for k in service.api("/api/api-keys", user=ADMIN)}[name]
    assert key.startswith(listed["prefix"]) and "key" not in listed
    page.click("#key-copy")
    page.wait_for_selector("#toast:has-text('已复制密钥')")
    assert page.evaluate("navigator.clipboard.readText()") == key
    kept = page.evaluate("JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage}) + location.href")
    assert key not in kept
    assert page.inner_text(f"#keys tbody tr[data-name='{name}'] td.last-used") == "从未使用"
    works = httpx.get(f"{service.url}/api/sources", headers={"X-API-Key": key}, timeout=30)
    assert works.status_code == 200
    used = {k["name"]: k for k in service.api("/api/api-keys", user=ADMIN)}[name]["last_used_at"]
    assert used is not None  # IT can tell a key in use from a forgotten one
    page.click("#key-done")
    assert page.locator("#key-created").is_hidden() and key not in page.content()
    screenshot(page, "admin-keys")

    row = page.locator(f"#keys tbody tr[data-name='{name}']")
    row.locator("button.revoke").click()
    assert {k["name"]: k for k in service.api("/api/api-keys", user=ADMIN)}[name]["revoked_at"] is None
    row.locator("button.confirm-revoke").click()
    page.wait_for_selector(f"#keys tbody tr[data-name='{name}'] td.status:has-text('已吊销')")
    refused = httpx.get(f"{service.url}/api/sources", headers={"X-API-Key": key}, timeout=30)
    assert refused.status_code == 401
    page.reload()
    page.wait_for_selector("#tab-keys[data-state=ready]")
    assert key not in page.content()
    shanghai = datetime.fromisoformat(used).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert page.inner_text(f"#keys tbody tr[data-name='{name}'] td.last-used") == shanghai


def test_sources_and_deliveries_show_what_the_api_reports(page, service: Service, crawl_health, deliveries,
                                                          console) -> None:
    open_admin(page, service, "sources")
    sources = service.api("/api/sources", user=ADMIN)
    rows = page.locator("#sources tbody tr")
    assert rows.count() == len(sources) > 0
    assert {s["state"] for s in sources} >= {"blocked", "degraded", "unknown"}
    for source in sources:
        row = page.locator(f"#sources tbody tr[data-source='{source['source']}']")
        assert row.locator("td.name").inner_text().startswith(source["name_zh"])
        assert row.locator("td.state").inner_text() == source["state_zh"]
        assert row.locator("td.reason").inner_text() == (source["reason_zh"] if source["reason"] else "—")
        since = row.locator("td.since").inner_text()
        minutes = source["minutes_since_success"]
        assert (since == "从未成功") == (minutes is None), (source["source"], since)
        assert minutes is None or since == "刚刚" or since.endswith("前"), since
    weibo = page.locator("#sources tbody tr[data-source='weibo']")
    # read 90 minutes ago (a minute more if the module's earlier tests were slow), refused since
    assert re.fullmatch(r"1 小时 3[01] 分钟前", weibo.locator("td.since").inner_text())
    gaps = service.api("/api/sources/gaps", user=ADMIN)
    assert page.locator("#gaps tbody tr[data-source]").count() == len(gaps) >= 1
    for gap in gaps:
        row = page.locator(f"#gaps tbody tr[data-source='{gap['source']}'][data-key='{gap['key']}']")
        assert row.locator("td.reason").inner_text() == gap["reason_zh"] and gap["reason_zh"] != gap["reason"]
    screenshot(page, "admin-sources")

    page.click("#admin-tabs button[data-tab=notifications]")
    page.wait_for_selector("#tab-notifications[data-state=ready]")
    log = service.api("/api/notifications", user=ADMIN, limit=200)
    assert {d["channel"] for d in log} >= {"it-robot", "it-robot-down", "it-mail"}
    shown = page.locator("#deliveries tbody tr[data-id]")
    assert shown.count() == len(log)
    labels = {"sent": "已发送", "failed": "发送失败", "pending": "待发送"}
    for delivery in log:
        row = page.locator(f"#deliveries tbody tr[data-id='{delivery['id']}']")
        assert row.locator("td.channel").inner_text() == delivery["channel_zh"]
        assert row.locator("td.status").inner_text() == labels[delivery["status"]]
        assert row.locator("td.error-text").inner_text() == (delivery["last_error"] or "—")
    # what a notice was about is a link to it, never the stored code ("alert:1")
    (about,) = [d for d in log if d["ref"] == "alert:1"][:1]
    link = page.locator(f"#deliveries tbody tr[data-id='{about['id']}'] a.ref")
    assert (link.inner_text(), link.get_attribute("href")) == ("预警 #1", "/alerts#id=1")
    assert "alert:" not in page.inner_text("#deliveries") and "ticket:" not in page.inner_text("#deliveries")
    page.select_option("#n-status", "failed")
    page.wait_for_selector("#tab-notifications[data-state=ready]")
    failed = service.api("/api/notifications", user=ADMIN, status="failed", limit=200)
    assert len(failed) >= 1 and page.locator("#deliveries tbody tr[data-id]").count() == len(failed)
    assert {page.locator(f"#deliveries tbody tr[data-id='{d['id']}'] td.channel").inner_text()
            for d in failed} == {d["channel_zh"] for d in failed}
    content = page.content()
    assert ROBOT_KEY not in content and MAIL_TO not in content and "127.0.0.1" not in page.inner_text("main")
    screenshot(page, "admin-notifications")


def test_a_supervisor_sees_only_the_sections_their_role_may_use(page, service: Service, console) -> None:
    open_admin(page, service, "notifications", user="sup1")
    tabs = page.locator("#admin-tabs button").all_inner_texts()
    assert tabs == ["采集源", "通知记录"]
    assert page.locator("#tab-users").count() == 0 and page.locator("#tab-keys").count() == 0
    page.evaluate("location.hash = 'tab=sources'")  # a #tab= link followed on the page
    page.wait_for_selector("#tab-sources:not([hidden])")
    assert page.locator("#tab-notifications").is_hidden()
    page.click("#admin-tabs button[data-tab=notifications]")
    page.evaluate("location.hash = 'tab=users'")  # not theirs: the first of their own instead
    page.wait_for_selector("#admin-tabs button.active:has-text('采集源')")


@pytest.mark.parametrize("user", ["pr1", "boss", "kefu"])
def test_other_roles_neither_see_nor_use_the_page(page, service: Service, user: str, console) -> None:
    login(page, service, user=user)
    page.wait_for_url(f"{service.url}/")
    page.wait_for_selector("#user-name:not(:empty)")
    assert page.locator("#nav a[href='/admin']").get_attribute("hidden") is not None
    shown = page.evaluate("[...document.querySelectorAll('#nav a:not([hidden])')].map(a => a.textContent.trim())")
    assert "舆情总览" in shown and "系统管理" not in shown
    page.goto(f"{service.url}/admin")
    page.wait_for_selector("#forbidden")
    assert "无权使用“系统管理”" in page.inner_text("#forbidden")
    assert page.locator("#users").count() == 0
