"""`yuqing sites check | status | crawl` against the local test site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from crawlers.sitecheck.store import SiteStore
from tests.conftest import REPO
from tools.site_server import SiteServer
from yuqing.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def site():
    with SiteServer() as server:
        yield server


def config(tmp_path: Path, site: SiteServer, *, payment: str = "/api/payment", extra: str = "") -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(f"""
[storage]
data_dir = "{tmp_path / 'data'}"
[crawl]
log_level = "WARNING"
[sites.crawl]
start_urls = ["{site.url('/')}"]
allow_addresses = ["127.0.0.1/32"]
[[sites.targets]]
name = "官网首页"
url = "{site.url('/')}"
must_contain = ["泰山港华燃气"]
allow_addresses = ["127.0.0.1/32"]
[[sites.targets]]
name = "缴费查询"
kind = "service"
url = "{site.url(payment)}"
json_field = "code"
json_equals = 0
allow_addresses = ["127.0.0.1/32"]
{extra}
""", encoding="utf-8")
    return path


def test_check_fails_with_exit_code_1_and_a_readable_table(tmp_path, site) -> None:
    result = runner.invoke(app, ["sites", "check", "-c", str(config(tmp_path, site))])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["目标", "Target", "类型", "Kind", "结果", "Result", "HTTP", "耗时", "ms",
                                "证书剩余天", "TLS", "days", "原因", "Reason"]
    home = next(line for line in lines if line.startswith("官网首页"))
    payment = next(line for line in lines if line.startswith("缴费查询"))
    assert "正常 OK" in home and "失败 FAIL" in payment
    assert "查询结果不符 (query_answer): 字段 code 为 1，应为 0" in payment
    assert lines.index(payment) - lines.index(home) == 1 and home.index("正常") == payment.index("失败")  # aligned
    assert "共检查 2 项，失败 1 项 (2 checked, 1 failed)" in result.output
    with SiteStore(tmp_path / "data" / "sites.sqlite") as store:
        assert not store.latest()["缴费查询"].ok


def test_check_passes_with_exit_code_0(tmp_path, site) -> None:
    path = config(tmp_path, site, payment="/api/progress")
    result = runner.invoke(app, ["sites", "check", "-c", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in json.loads(result.output)] == ["ok", "ok"]
    one = runner.invoke(app, ["sites", "check", "-c", str(path), "-t", "官网首页", "--no-save"])
    assert one.exit_code == 0 and "缴费查询" not in one.output


def test_two_failures_open_an_incident_and_status_shows_it(tmp_path, site) -> None:
    path = config(tmp_path, site)
    runner.invoke(app, ["sites", "check", "-c", str(path)])
    second = runner.invoke(app, ["sites", "check", "-c", str(path)])
    assert "已开启告警 incident opened: 缴费查询" in second.output
    status = runner.invoke(app, ["sites", "status", "-c", str(path)])
    assert status.exit_code == 0
    home = next(line for line in status.output.splitlines() if line.startswith("官网首页"))
    payment = next(line for line in status.output.splitlines() if line.startswith("缴费查询"))
    assert home.count("100.0%") == 3 and payment.count("0.0%") == 3 and "自 " in payment


def test_user_errors_are_one_line_and_exit_2(tmp_path, site) -> None:
    path = config(tmp_path, site)
    unknown = runner.invoke(app, ["sites", "check", "-c", str(path), "-t", "微信菜单"])
    assert unknown.exit_code == 2 and "未配置的检查目标: 微信菜单" in unknown.output
    empty = tmp_path / "empty.toml"
    empty.write_text(f'[storage]\ndata_dir = "{tmp_path / "d2"}"\n', encoding="utf-8")
    none = runner.invoke(app, ["sites", "check", "-c", str(empty)])
    assert none.exit_code == 2 and "no site targets configured" in none.output
    assert runner.invoke(app, ["sites", "crawl", "-c", str(empty)]).exit_code == 2
    for bad, key in [('url = "ftp://x/"', "sites.targets.2.url"), ('url = "http://x/"\nmax_redirects = -1',
                                                                    "sites.targets.2.max_redirects"),
                     ('url = "http://x/"\nallow_addresses = ["intranet"]', "sites.targets.2.allow_addresses"),
                     ('url = "http://x/"\njson_equals = 1', "sites.targets.2")]:
        broken = config(tmp_path, site, extra=f'[[sites.targets]]\nname = "坏的"\n{bad}\n')
        result = runner.invoke(app, ["sites", "check", "-c", str(broken)])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
        assert key in result.output
    dup = config(tmp_path, site, extra='[[sites.targets]]\nname = "官网首页"\nurl = "http://x/"\n')
    result = runner.invoke(app, ["sites", "check", "-c", str(dup)])
    assert result.exit_code == 2 and "two targets are named '官网首页'" in result.output
    good = config(tmp_path, site)
    bad_start = runner.invoke(app, ["sites", "crawl", "-c", str(good), "--start-url", "www.no-scheme.cn"])
    assert bad_start.exit_code == 2 and "'www.no-scheme.cn' is not an http(s) URL" in bad_start.output


def test_bad_input_leaves_stored_results_intact(tmp_path, site) -> None:
    path = config(tmp_path, site)
    runner.invoke(app, ["sites", "check", "-c", str(path)])
    db = tmp_path / "data" / "sites.sqlite"
    with SiteStore(db) as store:
        before = {name: store.recent(name) for name in ("官网首页", "缴费查询")}
    broken = config(tmp_path, site, extra='[[sites.targets]]\nname = "坏的"\nurl = "gopher://x/"\n')
    assert runner.invoke(app, ["sites", "check", "-c", str(broken)]).exit_code == 2
    assert runner.invoke(app, ["sites", "check", "-c", str(path), "-t", "没有这个"]).exit_code == 2
    with SiteStore(db) as store:
        assert {name: store.recent(name) for name in before} == before
        assert len(before["官网首页"]) == 1


def crawl(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("YUQING_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "yuqing", "sites", "crawl", "-c", str(path), "--json", *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


def short(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") if url else ""


@pytest.mark.slow
def test_crawl_reports_broken_links_with_the_pages_linking_to_them(tmp_path, site) -> None:
    path = config(tmp_path, site)
    done = crawl(path)
    assert done.returncode == 1, done.stderr[-2000:]
    report = json.loads(done.stdout)
    found = {(short(p["page"]), short(p["url"]), p["resource"], p["http_status"], p["reason"])
             for p in report["problems"]}
    for page in ("/", "/index.html"):  # the home page is linked as both
        assert (page, "/img/banner-missing.jpg", "image", 404, "http_status") in found
        assert (page, "/js/missing.js", "script", 404, "http_status") in found
        assert (page, "/news/missing.html", "page", 404, "http_status") in found
        assert (page, "/redirect/to?url=http://foreign.invalid/", "page", 302, "foreign_redirect") in found
    assert ("/about.html", "/news/missing.html", "page", 404, "http_status") in found
    assert ("/about.html", "/error200.html", "page", 200, "error_text") in found
    assert len(found) == 10 == len(report["problems"])
    assert report["pages"] == 8 and report["resources"] == 6 and report["skipped"] == 2
    heads = {h.path for h in site.hits if h.method == "HEAD"}
    assert "/img/logo.png" in heads and "/files/%E7%94%A8%E6%B0%94%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf" in heads
    with SiteStore(tmp_path / "data" / "sites.sqlite") as store:
        assert len(store.latest_crawl().problems) == 10


@pytest.mark.slow
def test_crawl_limits_and_the_address_guard(tmp_path, site) -> None:
    deeper = json.loads(crawl(config(tmp_path, site), "--max-depth", "4", "--no-save").stdout)
    found = {(short(p["page"]), short(p["url"])) for p in deeper["problems"]}
    assert ("/news/deeper.html", "/news/beyond-limit.html") in found and deeper["skipped"] == 1
    few = json.loads(crawl(config(tmp_path, site), "--max-pages", "2", "--no-save").stdout)
    assert few["pages"] == 2 and few["skipped"] > 0
    unguarded = config(tmp_path, site).read_text(encoding="utf-8").replace(
        'start_urls = ["' + site.url("/") + '"]\nallow_addresses = ["127.0.0.1/32"]',
        'start_urls = ["' + site.url("/") + '"]')
    (tmp_path / "refused.toml").write_text(unguarded, encoding="utf-8")
    before = len(site.hits)
    refused = json.loads(crawl(tmp_path / "refused.toml", "--no-save").stdout)
    assert len(site.hits) == before  # nothing reached the server
    assert [(p["page"], p["reason"]) for p in refused["problems"]] == [("", "address_refused")]
    assert "127.0.0.1" in refused["problems"][0]["detail"] and refused["pages"] == 1
