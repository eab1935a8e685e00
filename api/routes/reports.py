"""Briefings: the list of kept daily and weekly reports, one report as JSON, HTML or DOCX."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.deps import SettingsDep
from yuqing.reports.model import ReportKind
from yuqing.reports.service import report_store
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


@router.get("/{report_id}", response_model=StoredReport,
            summary="One briefing: its content as JSON, or the HTML / DOCX file",
            responses={200: {"content": {MEDIA_TYPES["html"]: {}, MEDIA_TYPES["docx"]: {}}},
                       404: {"description": "no such report or format"}})
def get_report(report_id: str, settings: SettingsDep,
               format: Literal["json", "html", "docx"] = "json") -> StoredReport | FileResponse:
    reports = report_store(settings)
    stored = reports.get(report_id)
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
