"""Generated briefings kept in the data directory: `<id>.json` (what it says, which files,
every delivery) beside `<id>.html` and `<id>.docx`. Files are replaced atomically, so a
reader never sees half a report, and making the same report again replaces it."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from yuqing.records import ShanghaiTime
from yuqing.reports.model import REPORT_ID, Briefing, ReportKind

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class Delivery(BaseModel):
    at: ShanghaiTime
    recipients: int  # how many addresses (the addresses themselves stay in the settings)
    ok: bool
    error: str = ""  # safe to show: never a password


class StoredReport(BaseModel):
    briefing: Briefing
    formats: list[str]
    deliveries: list[Delivery] = []

    @property
    def id(self) -> str:
        return self.briefing.id


def _write(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class ReportStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, report_id: str, suffix: str) -> Path:
        if not REPORT_ID.match(report_id):
            raise KeyError(report_id)
        return self.directory / f"{report_id}.{suffix}"

    def save(self, briefing: Briefing, files: dict[str, bytes]) -> StoredReport:
        """Keep the report's files and record; deliveries of an earlier version are kept."""
        self.directory.mkdir(parents=True, exist_ok=True)
        earlier = self.get(briefing.id)
        for fmt, data in files.items():
            _write(self._path(briefing.id, fmt), data)
        for fmt in set(earlier.formats if earlier else ()) - set(files):
            self._path(briefing.id, fmt).unlink(missing_ok=True)
        stored = StoredReport(briefing=briefing, formats=sorted(files),
                              deliveries=earlier.deliveries if earlier else [])
        _write(self._path(briefing.id, "json"), stored.model_dump_json(indent=1).encode())
        return stored

    def get(self, report_id: str) -> StoredReport | None:
        try:
            path = self._path(report_id, "json")
        except KeyError:
            return None
        if not path.is_file():
            return None
        return StoredReport.model_validate_json(path.read_bytes())

    def file(self, report_id: str, fmt: str) -> Path | None:
        stored = self.get(report_id)
        if stored is None or fmt not in stored.formats:
            return None
        path = self._path(report_id, fmt)
        return path if path.is_file() else None

    def list(self, *, kind: ReportKind | None = None, limit: int = 50) -> list[StoredReport]:
        """Newest period first."""
        if not self.directory.is_dir():
            return []
        ids = [p.stem for p in self.directory.glob("*.json") if REPORT_ID.match(p.stem)]
        if kind is not None:
            ids = [i for i in ids if i.startswith(f"{kind}-")]
        ids.sort(key=lambda i: (i.split("-", 1)[1], i), reverse=True)
        reports = (self.get(i) for i in ids[:limit])
        return [r for r in reports if r is not None]

    def add_delivery(self, report_id: str, delivery: Delivery) -> StoredReport:
        stored = self.get(report_id)
        if stored is None:
            raise KeyError(report_id)
        stored = stored.model_copy(update={"deliveries": [*stored.deliveries, delivery]})
        _write(self._path(report_id, "json"), stored.model_dump_json(indent=1).encode())
        return stored

    def prune(self, *, before: date) -> int:
        """Delete reports whose period ended before `before`; how many."""
        gone = 0
        for stored in self.list(limit=100_000):
            if stored.briefing.period.last < before:
                for suffix in [*stored.formats, "json"]:
                    self._path(stored.id, suffix).unlink(missing_ok=True)
                gone += 1
        return gone
