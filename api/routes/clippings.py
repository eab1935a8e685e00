"""Clippings from newspapers, TV and radio, uploaded by staff as CSV or XLSX; accepted rows
go through the same ingest (NLP, store, alerting) as crawled mentions. The 舆情简报 page
uploads here (multipart, field `file`) and offers the template below."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, HTTPException, Request, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep
from yuqing.clippings import ClippingFileError, ImportReport, import_clippings, template_csv
from yuqing.records import SHANGHAI, Role
from yuqing.settings import Settings
from yuqing.wiring import build_ingestor

router = APIRouter(prefix="/api/clippings", tags=["clippings"])
CLIPPING_IMPORTERS = (Role.admin, Role.pr)  # who imports clippings (the page shows the control to them only)
# What browsers send as a file's type: it depends on the system and on the programs installed
# (Excel on Windows registers .csv as application/vnd.ms-excel).
_CSV_TYPES = {"text/csv", "application/vnd.ms-excel", "text/plain", "application/octet-stream", "", "text/x-csv",
              "application/csv", "application/x-csv", "text/comma-separated-values"}
TYPES = {".csv": _CSV_TYPES,
         ".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream",
                   "application/zip", "application/x-zip-compressed", ""}}
TEMPLATE_NAME = quote("剪报导入模板.csv")
_OLD_EXCEL = (".xls", ".et")
_one_at_a_time = threading.Lock()  # Excel 97-2003 and WPS sheets: saved again as .xlsx they are read


@router.get("/template", summary="The CSV template: the header row of the columns the import reads")
def clippings_template() -> Response:
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"clippings-template.csv\"; filename*=UTF-8''{TEMPLATE_NAME}",
        "Cache-Control": "no-store"})


def _suffix(name: str, content_type: str) -> str:
    """The file's kind (.csv or .xlsx), or 415 with what to do instead."""
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    if suffix in _OLD_EXCEL:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            "不支持旧版 Excel（.xls）文件：请在 Excel 中“另存为” .xlsx 或 CSV 后再导入")
    if suffix not in TYPES or content_type not in TYPES[suffix]:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "只支持 CSV 或 XLSX 文件")
    return suffix


@router.post("", summary="Import clippings (CSV or XLSX: outlet, date, title, summary, link, media type)",
             responses={413: {"description": "file too large"}, 415: {"description": "not CSV or XLSX"},
                        422: {"description": "file unreadable (nothing stored)"}})
async def upload_clippings(request: Request, settings: SettingsDep,
                           file: Annotated[UploadFile, File(description="CSV or XLSX file")]) -> dict[str, Any]:
    name = file.filename or ""
    _suffix(name, (file.content_type or "").split(";")[0].strip().lower())
    limit = int(settings.clippings.max_upload_mb * 1024 * 1024)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"文件超过 {settings.clippings.max_upload_mb:g} MB 上限")
    try:  # in a worker thread: the NLP of thousands of rows must not hold up every other request
        report = await run_in_threadpool(_import, request, settings, data, name)
    except ClippingFileError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return report.as_dict()


def _import(request: Request, settings: Settings, data: bytes, name: str) -> ImportReport:
    """One import at a time, through the app's ingestor (built on first use: loading the NLP
    models takes a moment)."""
    with _one_at_a_time:
        ingestor = getattr(request.app.state, "ingestor", None)
        if ingestor is None:
            ingestor = request.app.state.ingestor = build_ingestor(settings, store=request.app.state.store)
        return import_clippings(data, name, ingestor=ingestor, now=datetime.now(SHANGHAI),
                                max_rows=settings.clippings.max_rows)
