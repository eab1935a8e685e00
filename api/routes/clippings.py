"""Clippings from newspapers, TV and radio, uploaded by staff as CSV or XLSX; accepted rows
go through the same ingest (NLP, store, alerting) as crawled mentions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Request, UploadFile, status

from api.deps import SettingsDep
from yuqing.clippings import ClippingFileError, import_clippings
from yuqing.records import SHANGHAI
from yuqing.wiring import build_ingestor

router = APIRouter(prefix="/api/clippings", tags=["clippings"])
TYPES = {".csv": {"text/csv", "application/vnd.ms-excel", "text/plain", "application/octet-stream", ""},
         ".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream",
                   "application/zip", ""}}


@router.post("", summary="Import clippings (CSV or XLSX: outlet, date, title, summary, link, media type)",
             responses={413: {"description": "file too large"}, 415: {"description": "not CSV or XLSX"},
                        422: {"description": "file unreadable (nothing stored)"}})
async def upload_clippings(request: Request, settings: SettingsDep,
                           file: Annotated[UploadFile, File(description="CSV or XLSX file")]) -> dict[str, Any]:
    name = file.filename or ""
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    content_type = (file.content_type or "").split(";")[0].strip()
    if suffix not in TYPES or content_type not in TYPES[suffix]:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "只支持 CSV 或 XLSX 文件")
    limit = int(settings.clippings.max_upload_mb * 1024 * 1024)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"文件超过 {settings.clippings.max_upload_mb:g} MB 上限")
    ingestor = getattr(request.app.state, "ingestor", None)
    if ingestor is None:  # built once: loading the NLP models takes a moment
        ingestor = request.app.state.ingestor = build_ingestor(settings, store=request.app.state.store)
    try:
        report = import_clippings(data, name, ingestor=ingestor, now=datetime.now(SHANGHAI),
                                  max_rows=settings.clippings.max_rows)
    except ClippingFileError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return report.as_dict()
