"""Source health: each configured source's state (ok / degraded / blocked), the reason, the
time since its last successful item, today's requests, and the gaps still to back-fill."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter

from api.deps import SettingsDep
from crawlers.report import gap_report, source_report
from yuqing.records import SHANGHAI

router = APIRouter(prefix="/api/sources", tags=["sources"])


@router.get("", summary="Every source's health: state, reason, time since the last successful item")
def list_sources(settings: SettingsDep) -> list[dict[str, Any]]:
    return source_report(settings, datetime.now(SHANGHAI))


@router.get("/gaps", summary="Time ranges still missing, per source and keyword")
def list_gaps(settings: SettingsDep) -> list[dict[str, Any]]:
    return gap_report(settings)
