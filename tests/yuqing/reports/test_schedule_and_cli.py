"""Briefings on the scheduler (time passed in, nothing sleeps) and on the command line."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from typer.testing import CliRunner

from tests.yuqing.reports.conftest import DAY, fixture_mentions, report_settings
from tests.yuqing.reports.test_mail import mail_settings
from yuqing.cli import app
from yuqing.ingest import Ingestor
from yuqing.records import SHANGHAI
from yuqing.reports.model import ReportKind
from yuqing.reports.service import report_store, scheduled_report
from yuqing.scheduler import build_scheduler, report_job
from yuqing.settings import SourcesSettings
from yuqing.settings_reports import ReportSettings
from yuqing.wiring import open_mention_store

runner = CliRunner()
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)  # a Saturday


def _quiet_sources() -> SourcesSettings:
    base = SourcesSettings()
    return base.model_copy(update={name: c.model_copy(update={"enabled": False}) for name, c in base})


def test_report_jobs_fire_at_the_configured_times(tmp_path) -> None:
    settings = report_settings(tmp_path, daily_time="07:45", weekly_weekday="monday", weekly_time="09:05")
    settings = settings.model_copy(update={"sources": _quiet_sources()})
    scheduler = build_scheduler(settings, runner=lambda s: 0, report_runner=lambda kind, now: None, now=NOW)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert jobs["report:daily"].trigger.get_next_fire_time(None, NOW) == datetime(2026, 11, 22, 7, 45,
                                                                                 tzinfo=SHANGHAI)
    assert jobs["report:weekly"].trigger.get_next_fire_time(None, NOW) == datetime(2026, 11, 23, 9, 5,
                                                                                  tzinfo=SHANGHAI)
    off = settings.model_copy(update={"reports": ReportSettings(enabled=False)})
    assert not [j for j in build_scheduler(off, runner=lambda s: 0).get_jobs() if j.id.startswith("report:")]


def test_a_failing_report_job_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken(kind: str, now: datetime) -> None:
        raise RuntimeError("disk full")

    with caplog.at_level(logging.ERROR, logger="yuqing.scheduler"):
        report_job("weekly", broken, now=NOW)
    assert "weekly report: failed" in caplog.text


def test_the_scheduled_weekly_report_covers_the_last_seven_days_and_is_sent(tmp_path, smtp, analyzer) -> None:
    inbox, port = smtp
    settings = mail_settings(tmp_path, port)
    with open_mention_store(settings) as store:
        Ingestor(analyzer, store).ingest(fixture_mentions())
    stored = scheduled_report(settings, ReportKind.weekly, now=NOW)
    assert stored.id == f"weekly-{DAY}" and stored.briefing.figures.total == 10
    assert stored.deliveries[-1].ok and len(inbox.messages) == 1
    again = scheduled_report(settings, ReportKind.weekly, now=NOW)  # a re-run replaces, sends again
    assert [r.id for r in report_store(settings).list()] == [stored.id] and len(again.deliveries) == 2


def _config(tmp_path) -> str:
    path = tmp_path / "yuqing.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return str(path)


def test_cli_makes_lists_and_refuses_bad_dates(tmp_path, analyzer) -> None:
    config = _config(tmp_path)
    settings = report_settings(tmp_path)
    with open_mention_store(settings) as store:
        Ingestor(analyzer, store).ingest(fixture_mentions())
    made = runner.invoke(app, ["report", "daily", "--date", str(DAY), "--config", config])
    assert made.exit_code == 0, made.output
    assert "舆情日报（2026年11月20日）" in made.output and "daily-2026-11-20.docx" in made.output
    listed = runner.invoke(app, ["report", "list", "--config", config])
    assert "daily-2026-11-20" in listed.output
    for bad, reason in (("2026-02-30", "is not a date"), ("2999-01-01", "is in the future")):
        result = runner.invoke(app, ["report", "weekly", "--date", bad, "--config", config])
        assert result.exit_code == 2 and reason in result.output
    unsent = runner.invoke(app, ["report", "send", "daily-2026-11-20", "--config", config])
    assert unsent.exit_code == 2 and "未配置收件人" in unsent.output
    missing = runner.invoke(app, ["report", "send", "daily-1999-01-01", "--config", config])
    assert missing.exit_code == 2 and "no report" in missing.output
    assert [r.id for r in report_store(settings).list()] == ["daily-2026-11-20"]  # nothing else made


def test_report_settings_refuse_bad_values(tmp_path) -> None:
    from yuqing.settings import ConfigError, load_settings

    for bad, reason in (('daily_time = "25:00"', "not a time of day"), ('recipients = ["nobody"]', "e-mail"),
                        ('weekly_weekday = "someday"', "weekly_weekday"), ("formats = []", "at least one")):
        path = tmp_path / "bad.toml"
        path.write_text(f"[reports]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=reason):
            load_settings(path)


def test_the_scheduled_report_takes_the_previous_day_in_shanghai_whatever_the_clocks_zone(tmp_path) -> None:
    from datetime import UTC

    settings = report_settings(tmp_path)
    # 07:17 in Shanghai is 23:17 UTC the day before: the previous day is still DAY.
    stored = scheduled_report(settings, ReportKind.daily, now=datetime(2026, 11, 20, 23, 17, tzinfo=UTC))
    assert stored.id == f"daily-{DAY}" and stored.briefing.generated_at.tzinfo is not None
