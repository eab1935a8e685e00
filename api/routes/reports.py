"""Briefings: the list of kept daily and weekly reports, one report as JSON, HTML or DOCX."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.deps import SettingsDep, StoreDep
from yuqing.records import SHANGHAI
from yuqing.reports.model import ReportKind
from yuqing.reports.service import generate_report, report_store
from yuqing.reports.store import MEDIA_TYPES, Delivery, StoredReport

router = APIRouter(prefix="/api/reports", tags=["reports"])


class ReportInfo(BaseModel):
    id: str
    kind: ReportKind
    title: str
    first_day: date
    last_day: date
    generated_at: datetime
    total: int
    negative: int
    events: int
    incidents: int
    formats: list[str]
    last_delivery: Delivery | None


def _info(stored: StoredReport) -> ReportInfo:
    b = stored.briefing
    return ReportInfo(id=b.id, kind=b.kind, title=b.title, first_day=b.period.first, last_day=b.period.last,
                      generated_at=b.generated_at, total=b.figures.total, negative=b.figures.negative,
                      events=len(b.events), incidents=len(b.sites.incidents), formats=stored.formats,
                      last_delivery=stored.deliveries[-1] if stored.deliveries else None)


@router.get("", response_model=list[ReportInfo], summary="Kept briefings, newest period first")
def list_reports(settings: SettingsDep, kind: ReportKind | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[ReportInfo]:
    return [_info(r) for r in report_store(settings).list(kind=kind, limit=limit)]


def _kind_and_day(report_id: str, *, strict: bool) -> tuple[ReportKind, date] | None:
    """`daily-YYYY-MM-DD` / `weekly-YYYY-MM-DD` read; an impossible date is a 422. Another shape
    is a 422 when `strict` (a report to make), else None (no such report)."""
    kind, _, day = report_id.partition("-")
    shaped = kind in ReportKind.__members__ and len(day) == 10 and day[4] == day[7] == "-"
    if not shaped:
        if strict:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"简报应为 daily-YYYY-MM-DD 或 weekly-YYYY-MM-DD：{report_id[:40]}")
        return None
    try:
        return ReportKind(kind), date.fromisoformat(day)
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"日期无效：{day}（应为 YYYY-MM-DD）") from None


def _make(request: Request, settings, store, kind: ReportKind, day: date) -> StoredReport:
    """Make the report now from the index (the same as `yuqing report daily|weekly --date`)."""
    from alerts.briefing import AlertBriefing

    now = datetime.now(SHANGHAI)
    if day > now.date():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"日期 {day} 尚未到来，无法生成简报")
    extensions = [AlertBriefing(settings=settings, db=request.app.state.db, store=store)]
    return generate_report(settings, kind=kind, day=day, now=now, store=store, sites=request.app.state.sites,
                           extensions=extensions)


@router.get("/{report_id}", response_model=StoredReport,
            summary="One briefing: its content as JSON, or the HTML / DOCX file; make=true makes it now "
                    "when it is not kept or was made before its period ended",
            responses={200: {"content": {MEDIA_TYPES["html"]: {}, MEDIA_TYPES["docx"]: {}}},
                       404: {"description": "no such report or format"},
                       422: {"description": "an impossible or future date"}})
def get_report(report_id: str, settings: SettingsDep, store: StoreDep, request: Request,
               format: Literal["json", "html", "docx"] = "json", make: bool = False) -> StoredReport | FileResponse:
    reports = report_store(settings)
    wanted = _kind_and_day(report_id, strict=make)
    stored = reports.get(report_id) if wanted else None
    if make and wanted and (stored is None or stored.briefing.generated_at < stored.briefing.period.until):
        stored = _make(request, settings, store, *wanted)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"未找到简报：{report_id}")
    if format == "json":
        return stored
    path = reports.file(report_id, format)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"简报 {report_id} 没有 {format} 格式")
    name = f"{stored.briefing.title}.{format}"
    return FileResponse(path, media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": f"attachment; filename=\"{report_id}.{format}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})
