"""`yuqing sites`: check the utility's own web site, WeChat pages and online services, show
their uptime, crawl the site for broken links."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit
from yuqing.cli.table import render

sites_app = typer.Typer(help="Health checks of the utility's own web site, WeChat pages and online services.",
                        no_args_is_help=True)
app.add_typer(sites_app, name="sites")

TargetOption = Annotated[list[str] | None, typer.Option("--target", "-t", help="check only this target (repeatable)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
SaveOption = Annotated[bool, typer.Option(help="store the results (and open/recover incidents)")]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


@sites_app.command("check")
def sites_check(config: ConfigOption = None, target: TargetOption = None, as_json: JsonOption = False,
                save: SaveOption = True,
                concurrency: Annotated[int | None, typer.Option(min=1, max=128, help="checks at once")] = None) -> None:
    """Check the targets now; exit code 1 when any check fails."""
    from crawlers.sitecheck.service import UnknownTarget, run_site_checks
    from yuqing.wiring import site_incident_hooks

    settings = settings_or_exit(config)
    if not settings.sites.targets:
        fail("no site targets configured: add [[sites.targets]] to the config (未配置站点检查目标)")
    try:
        report = run_site_checks(settings, names=target, hooks=site_incident_hooks(settings), save=save,
                                 concurrency=concurrency)
    except UnknownTarget as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in report.results], ensure_ascii=False, indent=2))
    else:
        rows = [(r.target, r.kind, "正常 OK" if r.ok else "失败 FAIL", r.http_status or "-", _ms(r.latency_ms),
                 "-" if r.cert_days_left is None else f"{r.cert_days_left:.0f}",
                 r.reason_zh if r.ok else f"{r.reason_zh} ({r.reason}): {r.detail}") for r in report.results]
        typer.echo(render(["目标 Target", "类型 Kind", "结果 Result", "HTTP", "耗时 ms", "证书剩余天 TLS days",
                           "原因 Reason"], rows))
        typer.echo(f"\n共检查 {len(report.results)} 项，失败 {len(report.failed)} 项 "
                   f"({len(report.results)} checked, {len(report.failed)} failed)")
        for incident in report.events.opened:
            typer.echo(f"已开启告警 incident opened: {incident.target} — {incident.detail}")
        for incident in report.events.recovered:
            typer.echo(f"已恢复 recovered: {incident.target}")
        for problem in report.events.hook_errors:
            typer.echo(f"告警未送达，下次重试 alert hook failed (retried next run): {problem}", err=True)
    if report.failed:
        raise typer.Exit(1)


@sites_app.command("status")
def sites_status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Last result, uptime and latency percentiles (24 h / 7 d / 30 d) of every target."""
    from crawlers.sitecheck.service import open_site_store, overview

    settings = settings_or_exit(config)
    with open_site_store(settings) as store:
        items = overview(settings, store)
    if as_json:
        typer.echo(json.dumps([{"name": o.target.name, "last": o.last and o.last.model_dump(mode="json"),
                                "incident": o.incident and o.incident.model_dump(mode="json"),
                                "windows": [w.model_dump() for w in o.windows]} for o in items],
                              ensure_ascii=False, indent=2))
        return
    rows = []
    for o in items:
        last = o.last
        day, week, month = o.windows
        rows.append((o.target.name, "-" if last is None else ("正常 OK" if last.ok else f"失败 {last.reason_zh}"),
                     "-" if last is None else f"{last.checked_at:%m-%d %H:%M}", _pct(day.uptime), _pct(week.uptime),
                     _pct(month.uptime), f"{_ms(day.p50_ms)}/{_ms(day.p95_ms)}/{_ms(day.p99_ms)}",
                     f"自 {o.incident.opened_at:%m-%d %H:%M}" if o.incident else "-"))
    typer.echo(render(["目标 Target", "最近结果 Last", "时间 At", "24h", "7d", "30d", "24h p50/p95/p99 ms",
                       "告警 Incident"], rows))


@sites_app.command("crawl")
def sites_crawl(
    config: ConfigOption = None,
    start_url: Annotated[list[str] | None, typer.Option(help="start here instead of sites.crawl.start_urls")] = None,
    max_pages: Annotated[int | None, typer.Option(min=1, help="page limit")] = None,
    max_depth: Annotated[int | None, typer.Option(min=0, help="link depth limit")] = None,
    as_json: JsonOption = False, save: SaveOption = True,
) -> None:
    """Crawl the own site for broken links and missing resources; exit code 1 when any is found."""
    from crawlers.sitecheck.crawl import run_site_crawl
    from crawlers.sitecheck.service import open_site_store
    from yuqing.settings_sites import http_url

    settings = settings_or_exit(config)
    urls = start_url or settings.sites.crawl.start_urls
    if not urls:
        fail("no start URL: set sites.crawl.start_urls or pass --start-url (未配置站点抓取起始地址)")
    try:
        urls = [http_url(u) for u in urls]
    except ValueError as exc:
        fail(str(exc))
    report = run_site_crawl(settings, start_urls=urls, max_pages=max_pages, max_depth=max_depth)
    if save:
        with open_site_store(settings) as store:
            store.save_crawl(report)
    rate = report.pages / report.seconds if report.seconds > 0 else 0.0
    if as_json:
        typer.echo(json.dumps({**report.model_dump(mode="json"), "seconds": report.seconds, "pages_per_second": rate},
                              ensure_ascii=False, indent=2))
    else:
        rows = [(p.page or "(起始地址 start)", p.url, p.resource, p.http_status or "-", f"{p.reason_zh}: {p.detail}")
                for p in report.problems]
        if rows:
            typer.echo(render(["所在页面 Page", "链接 Link", "类型 Kind", "HTTP", "原因 Reason"], rows) + "\n")
        typer.echo(f"抓取 {report.pages} 页，检查 {report.resources} 个资源，{report.skipped} 个链接超出限制未访问，"
                   f"用时 {report.seconds:.1f} 秒（{rate:.1f} 页/秒），发现 {len(report.problems)} 个问题 "
                   f"({report.pages} pages, {report.resources} resources, {len(report.problems)} problems)")
    if report.problems:
        raise typer.Exit(1)
