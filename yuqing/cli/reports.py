"""`yuqing report`: make the daily or weekly 舆情简报 now, list the kept ones, send one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit
from yuqing.cli.table import render

report_app = typer.Typer(help="Daily and weekly briefings (舆情日报/周报): make, list, send.", no_args_is_help=True)
app.add_typer(report_app, name="report")

DateOption = Annotated[str | None, typer.Option("--date", "-d", help="YYYY-MM-DD (default: yesterday)")]
SendOption = Annotated[bool, typer.Option(help="e-mail it to the configured recipients afterwards")]


def _day(value: str | None, today: date) -> date:
    from datetime import timedelta

    if value is None:
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        fail(f"--date: '{value}' is not a date YYYY-MM-DD")
    if day > today:
        fail(f"--date: {day} is in the future (today is {today}); nothing to report yet")
    return day


def _make(kind_name: str, config, when: str | None, send: bool) -> None:
    from yuqing.records import SHANGHAI
    from yuqing.reports.model import ReportKind
    from yuqing.reports.service import generate_report, report_store

    settings = settings_or_exit(config)
    now = datetime.now(SHANGHAI)
    kind = ReportKind(kind_name)
    stored = generate_report(settings, kind=kind, day=_day(when, now.date()), now=now)
    f = stored.briefing.figures
    typer.echo(f"{stored.briefing.title}: 信息 {f.total} 条，负面 {f.negative} 条，"
               f"负面事件 {len(stored.briefing.events)} 起，站点故障 {len(stored.briefing.sites.incidents)} 起")
    for fmt in stored.formats:
        typer.echo(f"  {fmt}: {report_store(settings).file(stored.id, fmt)}")
    if send:
        _send(settings, stored.id, now)


def _send(settings, report_id: str, now: datetime) -> None:
    from yuqing.reports.mail import DeliveryError
    from yuqing.reports.service import send_report

    try:
        delivery = send_report(settings, report_id, now=now)
    except KeyError:
        fail(f"no report '{report_id}' (see: yuqing report list)")
    except DeliveryError as exc:
        fail(str(exc))
    if not delivery.ok:
        fail(f"{report_id}: not sent: {delivery.error}", 1)
    typer.echo(f"{report_id}: sent to {delivery.recipients} recipients")


@report_app.command("daily")
def daily(config: ConfigOption = None, when: DateOption = None, send: SendOption = False) -> None:
    """Make the daily report of one day (default yesterday) and keep it as HTML and DOCX."""
    _make("daily", config, when, send)


@report_app.command("weekly")
def weekly(config: ConfigOption = None, when: DateOption = None, send: SendOption = False) -> None:
    """Make the weekly report of the 7 days ending with --date (default yesterday)."""
    _make("weekly", config, when, send)


@report_app.command("list")
def list_reports(config: ConfigOption = None,
                 limit: Annotated[int, typer.Option(min=1, max=1000, help="how many")] = 20) -> None:
    """The kept reports, newest first, with their figures and deliveries."""
    from yuqing.reports.service import report_store

    settings = settings_or_exit(config)
    rows = []
    for stored in report_store(settings).list(limit=limit):
        b, last = stored.briefing, stored.deliveries[-1] if stored.deliveries else None
        sent = "-" if last is None else (f"{last.at:%m-%d %H:%M} ok" if last.ok else f"{last.at:%m-%d %H:%M} 失败")
        rows.append((stored.id, b.period.label, b.figures.total, b.figures.negative, ",".join(stored.formats), sent))
    if not rows:
        typer.echo("no reports yet (yuqing report daily)")
        return
    typer.echo(render(["报告 Report", "范围 Period", "信息", "负面", "格式", "发送 Sent"], rows))


@report_app.command("send")
def send_cmd(report_id: Annotated[str, typer.Argument(help="e.g. daily-2026-11-20")],
             config: ConfigOption = None) -> None:
    """E-mail a kept report to the configured recipients now."""
    from yuqing.records import SHANGHAI

    _send(settings_or_exit(config), report_id, datetime.now(SHANGHAI))
