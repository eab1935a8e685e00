"""End-to-end page tests: the real service (`yuqing run` on a free loopback port) over the demo
data loaded through the real spider and pipeline (`yuqing demo`), own-site results from checks
of the local test site, one briefing; driven in Debian's headless Chromium by Playwright.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tools.site_server import SiteServer
from yuqing.records import SHANGHAI

CHROMIUM = Path(os.environ.get("YUQING_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"
TOKEN = "e2e-0123456789abcdef"
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

    def api(self, path: str, **params) -> object:
        response = httpx.get(f"{self.url}{path}", params=params, headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=30)
        response.raise_for_status()
        return response.json()


def _write_config(path: Path, data: Path, site: SiteServer) -> None:
    loopback = '["127.0.0.1/32"]'
    path.write_text(f"""
[storage]
data_dir = "{data}"
[api]
token = "{TOKEN}"
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


def _run(*args: str, config: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "yuqing", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return done.stdout


def _prepare(config: Path) -> None:
    """Demo data through the real pipeline, three rounds of site checks, one weekly report."""
    from crawlers.sitecheck.service import run_site_checks
    from yuqing.reports.model import ReportKind
    from yuqing.reports.service import generate_report
    from yuqing.settings import load_settings

    _run("init", config=config)
    _run("demo", config=config)
    settings = load_settings(config)
    now = datetime.now(SHANGHAI)
    for minutes in (20, 10, 0):
        run_site_checks(settings, now=now - timedelta(minutes=minutes))
    generate_report(settings, kind=ReportKind.weekly, day=(now - timedelta(days=1)).date(), now=now)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    _need_browser()
    work = tmp_path_factory.mktemp("e2e")
    with SiteServer() as site:
        config, data = work / "yuqing.toml", work / "data"
        _write_config(config, data, site)
        _prepare(config)
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
            yield Service(url=url, config=config, data=data, site=site)
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
    """A fresh browser context (no saved token) at desktop or phone size; page errors fail the test."""
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
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, service: Service, token: str = TOKEN, next_path: str = "/") -> None:
    """Log in through the login page. With users (issue 6) this fills user name and password instead."""
    page.goto(f"{service.url}/login?next={next_path}")
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
