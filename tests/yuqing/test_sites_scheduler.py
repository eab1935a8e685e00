"""Site checks are scheduled per target interval and really run from the scheduler."""

from __future__ import annotations

import threading
from datetime import datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from crawlers.sitecheck.store import SiteStore
from tests.conftest import make_settings
from tools.site_server import SiteServer
from yuqing.records import SHANGHAI
from yuqing.scheduler import build_scheduler, site_check_job
from yuqing.settings_sites import SiteCrawlSettings, SitesSettings

T0 = datetime(2026, 11, 20, tzinfo=SHANGHAI)


def targets(url: str) -> list[dict]:
    return [{"name": "首页", "url": url, "allow_addresses": ["127.0.0.1"]},
            {"name": "进度查询", "url": url + "api/progress", "interval_minutes": 5, "allow_addresses": ["127.0.0.1"]},
            {"name": "缴费查询", "url": url + "api/payment", "interval_minutes": 5, "allow_addresses": ["127.0.0.1"]},
            {"name": "申请表", "url": url + "files/tiny.pdf", "interval_minutes": 60, "allow_addresses": ["127.0.0.1"]}]


def test_one_job_per_interval_with_its_targets(tmp_path) -> None:
    sites = SitesSettings(interval_minutes=15, targets=targets("https://www.example.invalid/"),
                          crawl=SiteCrawlSettings(start_urls=["https://www.example.invalid/"], interval_minutes=720))
    scheduler = build_scheduler(make_settings(tmp_path, sites=sites), runner=lambda s: 0, now=T0,
                                site_runner=lambda names: None, site_crawler=lambda: 0)
    jobs = {job.id: job for job in scheduler.get_jobs() if job.id.startswith("sites:")}
    assert set(jobs) == {"sites:check:5m", "sites:check:15m", "sites:check:60m", "sites:crawl"}
    assert jobs["sites:check:5m"].args[0] == ["进度查询", "缴费查询"]
    assert jobs["sites:check:15m"].args[0] == ["首页"]
    assert jobs["sites:check:60m"].trigger.interval.total_seconds() == 3600
    assert jobs["sites:crawl"].trigger.interval.total_seconds() == 720 * 60
    off = make_settings(tmp_path, sites=sites.model_copy(update={"enabled": False}))
    assert not [j.id for j in build_scheduler(off, runner=lambda s: 0).get_jobs() if j.id.startswith("sites:")]
    no_crawl = make_settings(tmp_path, sites=SitesSettings(targets=targets("https://www.example.invalid/")))
    assert "sites:crawl" not in {j.id for j in build_scheduler(no_crawl, runner=lambda s: 0).get_jobs()}


def test_the_scheduled_job_checks_and_stores(tmp_path) -> None:
    done = threading.Event()
    with SiteServer() as site:
        settings = make_settings(tmp_path / "data", sites=SitesSettings(targets=targets(site.url("/"))[:1]))
        scheduler = build_scheduler(settings, runner=lambda s: 0, site_crawler=lambda: 0)
        scheduler.remove_job("crawl:weibo")

        def finished(event) -> None:
            if event.job_id == "sites:check:10m":
                done.set()

        scheduler.add_listener(finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        scheduler.start()
        try:
            assert done.wait(20)
        finally:
            scheduler.shutdown(wait=True)
    with SiteStore(settings.storage.sites_db) as store:
        latest = store.latest()
    assert latest["首页"].ok and latest["首页"].http_status == 200


def test_a_failing_site_job_is_logged(caplog) -> None:
    site_check_job(["首页"], lambda names: 1 / 0)
    assert "site checks 首页: failed; will retry" in caplog.text and "ZeroDivisionError" in caplog.text
