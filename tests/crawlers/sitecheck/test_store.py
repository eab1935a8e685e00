"""The results store: runs, latest results, uptime and latency percentiles per window, pruning."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.records import CheckResult, CheckStatus, CrawlProblem, CrawlReport
from crawlers.sitecheck.store import SiteStore, percentile
from yuqing.records import SHANGHAI
from yuqing.settings_sites import TargetKind

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=SHANGHAI)


def result(target: str, at: datetime, ok: bool = True, latency: float | None = 100.0,
           http_status: int | None = 200) -> CheckResult:
    return CheckResult(target=target, kind=TargetKind.page, url=f"https://example.invalid/{target}",
                       status=CheckStatus.ok if ok else CheckStatus.failed,
                       reason=Reason.ok if ok else Reason.http_status, detail="" if ok else "HTTP 500，应为 200",
                       http_status=http_status, latency_ms=latency, checked_at=at)


@pytest.fixture
def store(tmp_path) -> SiteStore:
    with SiteStore(tmp_path / "sites.sqlite") as s:
        yield s


def save(store: SiteStore, *results: CheckResult, keep_days: int | None = None) -> int:
    at = max(r.checked_at for r in results)
    return store.save_run(list(results), started_at=at, finished_at=at, keep_days=keep_days)


def test_results_come_back_as_stored_newest_first(store: SiteStore) -> None:
    first = result("home", NOW - timedelta(minutes=20))
    second = result("home", NOW - timedelta(minutes=10), ok=False, http_status=500)
    save(store, first)
    save(store, second, result("form", NOW - timedelta(minutes=10)))
    assert store.recent("home") == [second, first]
    latest = store.latest()
    assert latest["home"] == second and latest["form"].ok and set(latest) == {"home", "form"}
    assert latest["home"].checked_at.tzinfo is not None and latest["home"].checked_at == second.checked_at


def test_uptime_and_percentiles_per_window(store: SiteStore) -> None:
    # 24 h: 10 checks, 1 failed, latencies 10..100; 7 d adds 10 older, slower, all failed;
    # 30 d adds 5 more; one check 40 days ago is outside every window.
    for i in range(10):
        save(store, result("home", NOW - timedelta(hours=i + 1), ok=i != 0, latency=10.0 * (i + 1)))
    for i in range(10):
        save(store, result("home", NOW - timedelta(days=2 + i * 0.4), ok=False, latency=1000.0))
    for i in range(5):
        save(store, result("home", NOW - timedelta(days=10 + i), latency=50.0))
    save(store, result("home", NOW - timedelta(days=40), latency=99999.0))
    save(store, result("refused", NOW - timedelta(hours=1), ok=False, latency=3.0, http_status=None))
    stats = store.stats(now=NOW, targets=["home", "refused", "never-checked"])
    day, week, month = stats["home"]
    assert (day.window, day.checks, day.ok, day.uptime) == ("24h", 10, 9, 90.0)
    assert (day.p50_ms, day.p95_ms, day.p99_ms) == (50.0, 100.0, 100.0)
    assert (week.checks, week.ok, week.uptime) == (20, 9, 45.0)
    assert week.p50_ms == 100.0 and week.p95_ms == 1000.0
    assert (month.checks, month.ok, month.uptime) == (25, 14, 56.0)
    # a refusal has no answer, so no latency to count; a target never checked has no figures
    refused = stats["refused"][0]
    assert refused.checks == 1 and refused.uptime == 0.0 and refused.p50_ms is None
    assert stats["never-checked"][0].checks == 0 and stats["never-checked"][0].uptime is None


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 99) == 7.0 and percentile([], 50) is None


def test_old_results_are_pruned(store: SiteStore) -> None:
    save(store, result("home", NOW - timedelta(days=100)))
    save(store, result("home", NOW - timedelta(days=5)))
    save(store, result("home", NOW), keep_days=90)
    assert [r.checked_at for r in store.recent("home")] == [NOW, NOW - timedelta(days=5)]


def test_crawl_reports_round_trip(store: SiteStore) -> None:
    assert store.latest_crawl() is None
    report = CrawlReport(start_urls=["https://example.invalid/"], started_at=NOW,
                         finished_at=NOW + timedelta(seconds=3),
                         pages=12, resources=30, skipped=2,
                         problems=[CrawlProblem(page="https://example.invalid/", url="https://example.invalid/x.png",
                                                resource="image", http_status=404, reason=Reason.http_status)])
    store.save_crawl(report)
    assert store.latest_crawl() == report and report.seconds == 3
