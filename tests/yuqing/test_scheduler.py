"""The scheduler runs each enabled source on its interval and survives failing jobs."""

from __future__ import annotations

import logging
import sys
import threading
from datetime import datetime

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.triggers.interval import IntervalTrigger

from tests.conftest import make_settings
from yuqing.records import SHANGHAI
from yuqing.scheduler import build_scheduler, crawl_in_child, crawl_job
from yuqing.settings import SourcesSettings


def weibo_only(**weibo) -> SourcesSettings:
    """Every other source disabled, Weibo as given."""
    base = SourcesSettings()
    updates = {name: config.model_copy(update={"enabled": False}) for name, config in base if name != "weibo"}
    return base.model_copy(update={**updates, "weibo": base.weibo.model_copy(update=weibo)})


def crawl_jobs(scheduler) -> list:
    return [job for job in scheduler.get_jobs() if job.id.startswith("crawl:")]


def test_one_job_per_enabled_source_on_its_interval(tmp_path) -> None:
    settings = make_settings(tmp_path, sources=weibo_only(interval_minutes=7))
    scheduler = build_scheduler(settings, runner=lambda source: 0, now=datetime(2026, 11, 20, tzinfo=SHANGHAI))
    (job,) = crawl_jobs(scheduler)
    assert job.id == "crawl:weibo" and job.trigger.interval.total_seconds() == 7 * 60
    assert "source-health" in {j.id for j in scheduler.get_jobs()}
    disabled = make_settings(tmp_path, sources=weibo_only(enabled=False))
    assert crawl_jobs(build_scheduler(disabled, runner=lambda source: 0)) == []
    every = build_scheduler(make_settings(tmp_path), runner=lambda source: 0)
    assert {j.id for j in crawl_jobs(every)} == {f"crawl:{n}" for n, c in SourcesSettings() if c.enabled}


def test_a_failing_job_is_logged_and_runs_again(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    executed: list[int] = []
    two_runs = threading.Event()

    def runner(source: str) -> int:
        calls.append(source)
        raise RuntimeError("platform exploded")

    def finished(event) -> None:
        if event.job_id == "crawl:weibo":
            executed.append(event.code)
            if len(executed) >= 2:
                two_runs.set()

    scheduler = build_scheduler(make_settings(tmp_path, sources=weibo_only()), runner=runner)
    # The same job on a fifth-of-a-second tick, so "the next tick" comes without waiting.
    scheduler.reschedule_job("crawl:weibo", trigger=IntervalTrigger(seconds=0.2, timezone=SHANGHAI))
    scheduler.add_listener(finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        assert two_runs.wait(10)
        assert scheduler.running and calls[:2] == ["weibo", "weibo"]
        assert executed[:2] == [EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]  # the job itself never errored out
    finally:
        scheduler.shutdown(wait=True)
    assert "crawl weibo: failed; will retry at the next interval" in caplog.text
    assert "platform exploded" in caplog.text


def test_crawl_job_swallows_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        crawl_job("weibo", lambda s: 1 / 0)
    assert "ZeroDivisionError" in caplog.text


def test_child_process_exit_code_is_reported(tmp_path, caplog: pytest.LogCaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # A broken config makes the real `yuqing crawl` child exit 2 with one line.
    bad = tmp_path / "bad.toml"
    bad.write_text("[api]\nport = 'x'\n", encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG", str(bad))
    monkeypatch.setenv("PYTHONPATH", ":".join(sys.path))
    with caplog.at_level(logging.ERROR):
        code = crawl_in_child(make_settings(tmp_path))("weibo")
    assert code == 2
    assert "api.port" in caplog.text


def test_elasticsearch_upkeep_jobs_are_scheduled_only_with_a_cluster(tmp_path) -> None:
    from yuqing.settings import EsSettings

    plain = build_scheduler(make_settings(tmp_path), runner=lambda s: 0)
    assert not [j.id for j in plain.get_jobs() if j.id.startswith("es:")]
    es = make_settings(tmp_path, es=EsSettings(url="http://127.0.0.1:9200", retention_months=12))
    jobs = {j.id: j for j in build_scheduler(es, runner=lambda s: 0).get_jobs() if j.id.startswith("es:")}
    assert set(jobs) == {"es:outbox", "es:retention"}
    assert jobs["es:outbox"].args[1] == "outbox" and jobs["es:retention"].args[1] == "retention"
    no_retention = make_settings(tmp_path, es=EsSettings(url="http://127.0.0.1:9200"))
    assert "es:retention" not in {j.id for j in build_scheduler(no_retention, runner=lambda s: 0).get_jobs()}


def test_upkeep_replays_the_outbox_and_drops_expired_months(tmp_path, es_settings, analyzer) -> None:
    from store.base import MentionQuery
    from store.outbox import Outbox, OutboxStatus
    from tests.builders import BASE_TIME, mention
    from yuqing.scheduler import es_upkeep_job
    from yuqing.wiring import open_mention_store

    settings = make_settings(tmp_path, es=es_settings.model_copy(update={"retention_months": 12}))
    old = mention(1, "泰安燃气", published_at=BASE_TIME.replace(year=2024))
    waiting = mention(2, "泰安停气")
    with open_mention_store(settings) as store:
        store.upsert([(old, analyzer.analyze(old))])
    outbox = Outbox(settings.storage.es_outbox_db)
    outbox.append([(waiting, analyzer.analyze(waiting))])
    outbox.close()
    assert es_upkeep_job(settings, "outbox") == {"stored": 1, "rejected": 0, "waiting": 0}
    assert es_upkeep_job(settings, "retention", now=BASE_TIME) == [f"{es_settings.index_prefix}-2024.11"]
    with open_mention_store(settings) as store:
        assert [i.mention.id for i in store.search(MentionQuery()).items] == ["weibo:2"]
        assert store.outbox.counts()[OutboxStatus.pending] == 0


def test_upkeep_with_the_cluster_down_logs_one_line(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    import socket

    from yuqing.scheduler import es_upkeep_job
    from yuqing.settings import EsSettings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(tmp_path, es=EsSettings(url=f"http://127.0.0.1:{port}", request_timeout=3))
    with caplog.at_level(logging.ERROR):
        assert es_upkeep_job(settings, "outbox") is None
    assert f"elasticsearch outbox: Elasticsearch at http://127.0.0.1:{port}: cannot connect" in caplog.text


def test_the_closed_loop_sweeps_are_scheduled_and_survive_failures(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    from yuqing.scheduler import open_loop, sweep_job

    settings = make_settings(tmp_path / "data")
    loop = open_loop(settings)
    try:
        scheduler = build_scheduler(settings, runner=lambda source: 0, loop=loop)
        jobs = {job.id: job.trigger.interval.total_seconds() for job in scheduler.get_jobs()
                if hasattr(job.trigger, "interval")}
        sweeps = {name: s for name, s in jobs.items() if name.split(":")[0] in ("alerts", "tickets", "notify")}
        assert sweeps == {"alerts:bursts": 10 * 60, "tickets:sla": 60, "notify:resend": 600}
        assert jobs["crawl:weibo"] == 30 * 60
    finally:
        loop.close()
    with caplog.at_level(logging.ERROR):
        sweep_job("tickets:sla", lambda now: 1 / 0)
    assert "tickets:sla: failed; will run again" in caplog.text and "ZeroDivisionError" in caplog.text
