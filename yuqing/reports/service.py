"""Make, keep and send briefings: the one entry point for the CLI, the scheduler and tests."""

from __future__ import annotations

import base64
import logging
from contextlib import ExitStack
from datetime import date, datetime, timedelta

from crawlers.sitecheck.store import SiteStore
from store.base import MentionStore
from yuqing.records import SHANGHAI
from yuqing.reports.build import build_briefing
from yuqing.reports.chart import NO_FONT, bars_png, cjk_font, trend_png
from yuqing.reports.docx import render_docx
from yuqing.reports.extensions import BriefingExtension
from yuqing.reports.html import render_html, summary
from yuqing.reports.mail import DeliveryError, build_message, send
from yuqing.reports.model import Briefing, Period, ReportKind
from yuqing.reports.store import Delivery, ReportStore, StoredReport
from yuqing.settings import Settings

log = logging.getLogger("yuqing.reports")


def report_store(settings: Settings) -> ReportStore:
    return ReportStore(settings.storage.reports_dir)


def charts(briefing: Briefing) -> tuple[dict[str, bytes | None], str]:
    """The PNG charts of a briefing and, when they cannot be drawn, why."""
    drawn = {"trend": trend_png(briefing.trend), "categories": bars_png(briefing.categories, "业务类别分布")}
    return drawn, ("" if cjk_font() else NO_FONT)


def _data_uri(png: bytes | None) -> str:
    return f"data:image/png;base64,{base64.b64encode(png).decode()}" if png else ""


def link(settings: Settings, briefing: Briefing) -> str:
    base = settings.reports.base_url.rstrip("/")
    return f"{base}/reports#{briefing.id}" if base else ""


def render_files(settings: Settings, briefing: Briefing) -> dict[str, bytes]:
    """The report in each configured format."""
    drawn, note = charts(briefing)
    files: dict[str, bytes] = {}
    if "html" in settings.reports.formats:
        images = {name: _data_uri(png) for name, png in drawn.items()}
        files["html"] = render_html(briefing, images=images, chart_note=note,
                                    link=link(settings, briefing)).encode()
    if "docx" in settings.reports.formats:
        files["docx"] = render_docx(briefing, charts=drawn, chart_note=note)
    return files


def generate_report(settings: Settings, *, kind: ReportKind, day: date, now: datetime,
                    store: MentionStore | None = None, sites: SiteStore | None = None,
                    extensions: list[BriefingExtension] | None = None) -> StoredReport:
    """Make the report of `day` (daily) or of the 7 days ending with it (weekly), and keep it."""
    from yuqing.wiring import briefing_extensions, open_mention_store

    with ExitStack() as stack:
        if store is None:
            store = stack.enter_context(open_mention_store(settings))
        if sites is None:
            sites = stack.enter_context(SiteStore(settings.storage.sites_db))
        if extensions is None:
            extensions = briefing_extensions(settings, store=store)
            for extension in extensions:
                if callable(close := getattr(extension, "close", None)):
                    stack.callback(close)
        briefing = build_briefing(settings=settings, store=store, sites=sites, period=Period.ending(kind, day),
                                  now=now, extensions=extensions)
    return report_store(settings).save(briefing, render_files(settings, briefing))


def recipients(settings: Settings, kind: ReportKind) -> list[str]:
    config = settings.reports
    extra = config.weekly_recipients if kind is ReportKind.weekly else []
    return list(dict.fromkeys([*config.recipients, *extra]))


def send_report(settings: Settings, report_id: str, *, now: datetime, to: list[str] | None = None) -> Delivery:
    """E-mail a kept report to its recipients; the delivery (ok or not) is recorded with it."""
    reports = report_store(settings)
    stored = reports.get(report_id)
    if stored is None:
        raise KeyError(report_id)
    briefing = stored.briefing
    addresses = to if to is not None else recipients(settings, briefing.kind)
    if not addresses:
        raise DeliveryError("未配置收件人（reports.recipients）")
    drawn, note = charts(briefing)
    images = {name: (f"{name}.{briefing.id}@yuqing", png) for name, png in drawn.items() if png}
    html = render_html(briefing, images={name: f"cid:{cid}" for name, (cid, _) in images.items()},
                       chart_note=note, link=link(settings, briefing))
    docx_path = reports.file(report_id, "docx")
    message = build_message(smtp=settings.notify.smtp, to=addresses, briefing=briefing, html=html,
                            text=f"{briefing.title}\n\n{summary(briefing)}\n", images=images,
                            docx=docx_path.read_bytes() if docx_path else None)
    try:
        send(settings.notify.smtp, message)
        delivery = Delivery(at=now, recipients=len(addresses), ok=True)
    except DeliveryError as exc:
        delivery = Delivery(at=now, recipients=len(addresses), ok=False, error=str(exc))
    reports.add_delivery(report_id, delivery)
    return delivery


def scheduled_report(settings: Settings, kind: ReportKind, *, now: datetime) -> StoredReport | None:
    """The scheduler's job: the report of the previous day (or 7 days), sent, old ones pruned.
    Never raises: a failure is logged and the next run tries again."""
    now = now.astimezone(SHANGHAI)  # the previous day in Shanghai, whatever zone the clock gave
    day = (now - timedelta(days=1)).date()
    try:
        stored = generate_report(settings, kind=kind, day=day, now=now)
    except Exception:
        log.exception("%s %s: could not be made; will try at the next run", kind, day)
        return None
    if recipients(settings, kind):
        delivery = send_report(settings, stored.id, now=now)
        if delivery.ok:
            log.info("%s sent to %d recipients", stored.id, delivery.recipients)
        else:
            log.error("%s not sent: %s", stored.id, delivery.error)
    removed = report_store(settings).prune(before=day - timedelta(days=settings.reports.keep_days))
    if removed:
        log.info("removed %d reports older than %d days", removed, settings.reports.keep_days)
    return report_store(settings).get(stored.id)
