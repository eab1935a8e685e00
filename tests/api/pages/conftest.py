"""End-to-end page tests: the real service (`yuqing run` on a free loopback port) over the demo
data loaded through the real spider and pipeline (`yuqing demo`, whose mentions open alerts),
own-site results from checks of the local test site, one briefing, a ticket left overdue for
days and escalated by the SLA sweep, and one user per role (`yuqing users add`); driven in
Debian's headless Chromium by Playwright. The service is shared by the package's modules.

Without /usr/bin/chromium the tests are skipped with the reason, unless
YUQING_REQUIRE_BROWSER=1 (as in .ci/run), where they fail instead. Playwright never downloads
a browser of its own here: it launches the system's Chromium by path.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import PASSWORD
from tests.conftest import REPO
from tools.site_server import SiteServer
from yuqing.records import SHANGHAI

CHROMIUM = Path(os.environ.get("YUQING_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"
# One user per role: (name, role, department).
USERS = (("pr1", "pr", ""), ("kefu", "handler", "customer"), ("sup1", "supervisor", ""), ("boss", "viewer", ""),
         ("it1", "admin", ""))
OVERDUE_DAYS = 4  # the prepared ticket was opened this long ago (its deadlines have passed)
# The machine has no internet: without these Chromium floods refused background connections.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--mute-audio"]
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _need_browser() -> None:
    required = os.environ.get("YUQING_REQUIRE_BROWSER") == "1"
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e '.[dev]')"
    if problem:
        if required:
            pytest.fail(f"YUQING_REQUIRE_BROWSER=1 but {problem}")
        print(f"skipping browser tests: {problem}")
        pytest.skip(problem)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Service:
    url: str
    config: Path
    data: Path
    site: SiteServer
    overdue_ticket: int
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str) -> dict[str, str]:
        """Authorization of `user`, logged in through the real route (once per user)."""
        if user not in self.tokens:
            answer = httpx.post(f"{self.url}/api/auth/login", json={"username": user, "password": PASSWORD},
                                timeout=30)
            answer.raise_for_status()
            self.tokens[user] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def api(self, path: str, user: str = "boss", **params) -> object:
        """GET as `user` (default the viewer, who reads everything and changes nothing)."""
        response = httpx.get(f"{self.url}{path}", params=params, headers=self.headers(user), timeout=30)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, user: str, body: dict) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=self.headers(user), timeout=30)


def _write_config(path: Path, data: Path, site: SiteServer) -> None:
    loopback = '["127.0.0.1/32"]'
    path.write_text(f"""
[storage]
data_dir = "{data}"
[crawl]
log_level = "WARNING"
[[sites.targets]]
name = "官网首页"
url = "{site.url('/index.html')}"
allow_addresses = {loopback}
[[sites.targets]]
name = "联系我们"
url = "{site.url('/contact.html')}"
allow_addresses = {loopback}
[[sites.targets]]
name = "缴费查询"
kind = "service"
url = "{site.url('/status/502')}"
allow_addresses = {loopback}
""", encoding="utf-8")


def _run(*args: str, config: Path, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "yuqing", *args, "--config", str(config)], input=stdin,
                          capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={**os.environ, **env} if env else None)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return done.stdout


def _overdue_ticket(settings, now: datetime) -> int:
    """A pending alert confirmed OVERDUE_DAYS ago for the dispatch centre and never accepted,
    then the SLA sweep as the scheduler runs it: the ticket is overdue and escalated (督办)."""
    from sqlalchemy import select

    from alerts import service as alerts
    from alerts.actor import Actor
    from alerts.db import open_database
    from alerts.models import Alert, AlertStatus
    from alerts.tickets.scheduled import sla_sweep
    from yuqing.records import Role

    db = open_database(settings)
    try:
        with db.write() as session:
            alert = session.scalars(select(Alert).where(Alert.status == AlertStatus.pending.value,
                                                        Alert.category == "outage").order_by(Alert.id)).first()
            _, ticket = alerts.confirm(session, alert_id=alert.id, actor=Actor(name="pr1", role=Role.pr),
                                       settings=settings, now=now - timedelta(days=OVERDUE_DAYS),
                                       department="dispatch")
            ticket_id = ticket.id
        assert sla_sweep(db, settings=settings, now=now).escalated >= 1
    finally:
        db.close()
    return ticket_id


def _prepare(config: Path) -> int:
    """Demo data through the real pipeline, users, three rounds of site checks, one weekly
    report, an overdue ticket; returns that ticket's id."""
    from crawlers.sitecheck.service import run_site_checks
    from yuqing.reports.model import ReportKind
    from yuqing.reports.service import generate_report
    from yuqing.settings import load_settings

    _run("init", config=config)
    # The demo's posts span a month; posts older than alerts.max_post_age_hours open no alert, so
    # the pages are tested on the whole month's alerts as if each post had been found when written.
    _run("demo", config=config, env={"YUQING_ALERTS__MAX_POST_AGE_HOURS": str(24 * 365)})
    for name, role, department in USERS:
        _run("users", "add", name, "--role", role, "--department", department, "--password-stdin",
             config=config, stdin=PASSWORD + "\n")
    settings = load_settings(config)
    now = datetime.now(SHANGHAI)
    for minutes in (20, 10, 0):
        run_site_checks(settings, now=now - timedelta(minutes=minutes))
    generate_report(settings, kind=ReportKind.weekly, day=(now - timedelta(days=1)).date(), now=now)
    return _overdue_ticket(settings, now)


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    _need_browser()
    work = tmp_path_factory.mktemp("e2e")
    with SiteServer() as site:
        config, data = work / "yuqing.toml", work / "data"
        _write_config(config, data, site)
        overdue = _prepare(config)
        port = free_port()
        log = (work / "service.log").open("w")
        process = subprocess.Popen([sys.executable, "-m", "yuqing", "run", "--no-scheduler", "--host", "127.0.0.1",
                                    "--port", str(port), "--config", str(config)], stdout=log, stderr=log, cwd=REPO)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, (work / "service.log").read_text()[-2000:]
                time.sleep(0.2)
            else:
                pytest.fail("the service did not start within 60 s")
            yield Service(url=url, config=config, data=data, site=site, overdue_ticket=overdue)
        finally:
            process.terminate()
            process.wait(timeout=20)
            log.close()


@pytest.fixture(scope="module")
def browser(service: Service):
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is open,
    which must be gone before other tests call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser):
    """A fresh browser context (nobody logged in) at desktop or phone size; page errors fail the test."""
    size = VIEWPORTS[request.param]
    context = browser.new_context(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True, is_mobile=request.param == "phone",
                                  has_touch=request.param == "phone")
    page = context.new_page()
    page.viewport_name = f"{request.param}-{size['width']}x{size['height']}"
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.viewport_name}.png"
    page.evaluate("window.scrollTo(0, 0); document.querySelectorAll('.detail').forEach(d => { d.scrollTop = 0; })")
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, service: Service, user: str = "pr1", password: str = PASSWORD, next_path: str = "/") -> None:
    """Log in through the login page as `user` (the page then goes to `next_path`)."""
    page.goto(f"{service.url}/login?next={next_path}")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")


def logout(page, service: Service) -> None:
    """The header's 退出: the token is ended and the login page shown."""
    page.click("#logout")
    page.wait_for_url(f"{service.url}/login")
