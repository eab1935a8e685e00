"""`yuqing sources`: every source's health, and `yuqing sources gaps`: what is still missing."""

from __future__ import annotations

import json
from datetime import datetime

import typer

from yuqing.cli.app import ConfigOption, app, settings_or_exit
from yuqing.records import SHANGHAI

sources_app = typer.Typer(help="Source health (ok / degraded / blocked) and coverage gaps.",
                          invoke_without_command=True)
app.add_typer(sources_app, name="sources")


def _ago(minutes: int | None) -> str:
    if minutes is None:
        return "never"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago" if minutes < 48 * 60 else f"{minutes // 1440} d ago"


@sources_app.callback()
def sources_list(ctx: typer.Context, config: ConfigOption = None,
                 as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List every source: state, reason, time since the last successful item, gaps, budget."""
    if ctx.invoked_subcommand is not None:
        return
    from crawlers.report import source_report

    settings = settings_or_exit(config)
    report = source_report(settings, datetime.now(SHANGHAI))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for row in report:
        enabled = "" if row["enabled"] else " (disabled)"
        reason = f" {row['reason']}: {row['reason_zh']}" if row["reason"] or row["state"] == "unknown" else ""
        typer.echo(f"{row['source']:<13} {row['state']:<9}{reason}{enabled}  last success: "
                   f"{_ago(row['minutes_since_success'])}  gaps: {row['open_gaps']}  "
                   f"requests today: {row['requests_today']}/{row['daily_budget']}")


@sources_app.command("gaps")
def sources_gaps(config: ConfigOption = None,
                 as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List the time ranges still missing per source and keyword (filled by later crawls)."""
    from crawlers.report import gap_report

    gaps = gap_report(settings_or_exit(config))
    if as_json:
        typer.echo(json.dumps(gaps, ensure_ascii=False, indent=2))
        return
    if not gaps:
        typer.echo("no gaps: every source and keyword is covered")
    for gap in gaps:
        typer.echo(f"{gap['source']:<13} {gap['key']!r:<24} {gap['start'][:16]} → {gap['end'][:16]} "
                   f"({gap['hours']} h, {gap['reason']})")
