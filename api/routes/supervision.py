"""Supervision figures per department and period (督办考核), as JSON, CSV or XLSX."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from alerts.db import now_shanghai
from alerts.supervision.service import DepartmentFigures, supervision, to_csv, to_xlsx
from api.deps import ReadSession, SettingsDep
from api.query import BACKWARDS, _moment

router = APIRouter(prefix="/api/supervision", tags=["supervision"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("", response_model=list[DepartmentFigures],
            summary="Per department: opened, closed, on-time rates, median time to close, overdue, escalations, "
                    "reopen rate, satisfaction",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def figures(
    session: ReadSession,
    settings: SettingsDep,
    since: Annotated[str | None, Query(description="from this date (default: the first of this month)")] = None,
    until: Annotated[str | None, Query(description="until this date, inclusive (default: today)")] = None,
    department: str = "",
    format: Literal["json", "csv", "xlsx"] = "json",
) -> list[DepartmentFigures] | Response:
    now = now_shanghai()
    start = _moment("since", since, False) or now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = _moment("until", until, True) or (now.replace(hour=0, minute=0, second=0, microsecond=0)
                                            + timedelta(days=1))
    if start >= end:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, BACKWARDS)
    if department and department not in settings.departments:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"department: 未知部门 {department}")
    rows = supervision(session, settings=settings, since=start, until=end, now=now, department=department)
    if format == "json":
        return rows
    last_day = (end - timedelta(microseconds=1)).date()
    name = f"supervision-{start.date()}-{last_day}"
    if format == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    title = f"督办考核 {_day(start)} 至 {last_day}"
    return Response(to_xlsx(rows, title=title), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


def _day(moment: datetime) -> date:
    return moment.date()
