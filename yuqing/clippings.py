"""Clippings: newspaper, TV and radio items that no spider can read, entered by staff as a
CSV or XLSX file (outlet, date, title, summary, link, media type) and ingested through the
same `Ingestor` as crawled mentions, so they get the same NLP and alerting.

Every row is validated on its own: good rows are stored, bad rows come back in a report
with their row number and every reason (in Chinese, for the staff who fix the file). A file
that cannot be read at all stores nothing. CSV saved by Excel here is often GBK: UTF-8
(with or without BOM) is tried first, then GB18030 (a superset of GBK and GB2312).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from yuqing.ingest import Ingestor
from yuqing.records import SHANGHAI, Author, Kind, Mention, Platform, mention_id


class MediaType(StrEnum):
    newspaper = "newspaper"
    tv = "tv"
    radio = "radio"
    magazine = "magazine"


MEDIA_NAMES_ZH = {MediaType.newspaper: "报纸", MediaType.tv: "电视", MediaType.radio: "广播",
                  MediaType.magazine: "杂志"}
MEDIA_ALIASES = {**{m.value: m for m in MediaType}, **{v: k for k, v in MEDIA_NAMES_ZH.items()},
                 "报刊": MediaType.newspaper, "电视台": MediaType.tv, "电台": MediaType.radio,
                 "广播电台": MediaType.radio, "期刊": MediaType.magazine, "print": MediaType.newspaper,
                 "television": MediaType.tv}
HEADERS = {"outlet": "outlet", "媒体": "outlet", "媒体名称": "outlet", "来源": "outlet",
           "date": "date", "日期": "date", "刊播日期": "date", "发布日期": "date",
           "title": "title", "标题": "title", "summary": "summary", "摘要": "summary", "内容": "summary",
           "link": "link", "链接": "link", "网址": "link",
           "media type": "media_type", "media_type": "media_type", "媒体类型": "media_type", "类型": "media_type"}
REQUIRED = ("outlet", "date", "title", "media_type")
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # a real clippings sheet of 5000 rows unpacks to a few MB
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2}):(\d{2})(?::\d{2})?)?$")


class ClippingFileError(Exception):
    """The file as a whole cannot be read (nothing was stored)."""


@dataclass
class RejectedRow:
    row: int  # as numbered in the spreadsheet (the header is row 1)
    errors: list[str]


@dataclass
class ImportReport:
    accepted: int = 0
    stored_new: int = 0
    stored_updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "stored_new": self.stored_new, "stored_updated": self.stored_updated,
                "rejected": [{"row": r.row, "errors": r.errors} for r in self.rejected]}


def decode_csv(data: bytes) -> str:
    """CSV text from UTF-8 (BOM or not) or GBK/GB18030, as Excel writes it here."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ClippingFileError("无法识别文件编码（请另存为 UTF-8 或 GBK 编码的 CSV）")


def read_rows(data: bytes, filename: str, *, max_rows: int) -> list[dict[str, Any]]:
    """The rows of a CSV or XLSX file as dicts keyed by our field names."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_table(data, max_rows=max_rows)
    elif name.endswith(".csv"):
        table = list(csv.reader(io.StringIO(decode_csv(data))))
    else:
        raise ClippingFileError("只支持 CSV 或 XLSX 文件 (.csv, .xlsx)")
    if not table:
        raise ClippingFileError("文件是空的")
    header = [HEADERS.get(str(h or "").strip().lower()) for h in table[0]]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise ClippingFileError(f"缺少列：{', '.join(missing)}（需要 outlet/媒体, date/日期, title/标题, "
                                f"summary/摘要, link/链接, media type/媒体类型）")
    rows = [r for r in table[1:] if any(str(c or "").strip() for c in r)]
    if len(rows) > max_rows:
        raise ClippingFileError(f"行数 {len(rows)} 超过上限 {max_rows}")
    return [{key: cells[i] if i < len(cells) else None for i, key in enumerate(header) if key}
            for cells in table[1:]]


def _unpacked_size(data: bytes) -> int:
    """What an XLSX (a zip) says it holds once unpacked; ClippingFileError if it is no zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ClippingFileError(f"不是有效的 XLSX 文件（{exc.__class__.__name__}）") from None


def _xlsx_table(data: bytes, *, max_rows: int) -> list[list[Any]]:
    from openpyxl import load_workbook

    if not data.startswith(b"PK"):
        raise ClippingFileError("不是有效的 XLSX 文件")
    if _unpacked_size(data) > MAX_XLSX_UNPACKED:  # a "zip bomb": small upload, gigabytes unpacked
        raise ClippingFileError(f"XLSX 解压后超过 {MAX_XLSX_UNPACKED // (1024 * 1024)} MB，请拆分文件或另存为 CSV")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ClippingFileError(f"不是有效的 XLSX 文件（{exc.__class__.__name__}）") from None
    try:
        return _bounded_rows(book.worksheets[0].iter_rows(values_only=True), max_rows=max_rows)
    finally:
        book.close()


def _bounded_rows(rows: Iterator[tuple[Any, ...]], *, max_rows: int) -> list[list[Any]]:
    """The header and the rows, read only until they are known to be too many (blank rows too:
    a sheet padded with a million empty rows is refused, never silently cut short)."""
    table: list[list[Any]] = []
    filled = 0
    for row in rows:
        table.append(list(row))
        filled += any(str(c or "").strip() for c in row)
        if filled > max_rows + 1 or len(table) > 10 * max_rows + 1000:
            raise ClippingFileError(f"行数超过上限 {max_rows}（含空行不超过 {10 * max_rows + 1000}）")
    return table


def parse_date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, date):
        return datetime.combine(value, time(), SHANGHAI)
    match = _DATE.match(str(value or "").strip())
    if not match:
        return None
    y, m, d, hh, mm = (int(v) if v else 0 for v in match.groups())
    try:
        return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)
    except ValueError:
        return None


def validate(row: dict[str, Any], now: datetime) -> tuple[Mention | None, list[str]]:
    """A clipping mention, or the reasons the row is rejected."""
    text = {k: str(v).strip() if v is not None and not isinstance(v, date | datetime) else v for k, v in row.items()}
    errors = []
    outlet, title = text.get("outlet") or "", text.get("title") or ""
    if not outlet:
        errors.append("缺少媒体名称 (outlet)")
    if not title:
        errors.append("缺少标题 (title)")
    when = parse_date(row.get("date"))
    if when is None:
        errors.append(f"日期无法识别：{row.get('date')!r}（应为 YYYY-MM-DD）" if row.get("date") else "缺少日期 (date)")
    elif when > now + timedelta(days=1):
        errors.append(f"日期在未来：{when:%Y-%m-%d}")
    media = MEDIA_ALIASES.get(str(text.get("media_type") or "").lower())
    if media is None:
        errors.append(f"未知的媒体类型：{text.get('media_type')!r}（可用：报纸、电视、广播、杂志）")
    link = text.get("link") or ""
    if link and not link.startswith(("http://", "https://")):
        errors.append(f"链接不是 http(s) 网址：{link!r}")
    if errors:
        return None, errors
    key = hashlib.sha1(f"{outlet}|{when:%Y-%m-%d}|{title}".encode()).hexdigest()[:20]
    return Mention(
        id=mention_id(Platform.clipping, key), platform=Platform.clipping, kind=Kind.clipping, url=link,
        title=title, text=text.get("summary") or title,
        author=Author(name=outlet, verified_reason=MEDIA_NAMES_ZH[media]),
        published_at=when, fetched_at=now, query="剪报"), []


def import_clippings(data: bytes, filename: str, *, ingestor: Ingestor, now: datetime,
                     max_rows: int = 5000) -> ImportReport:
    """Validate every row, ingest the good ones (one batch), report the rest."""
    report = ImportReport()
    good: list[Mention] = []
    for number, row in enumerate(read_rows(data, filename, max_rows=max_rows), start=2):
        if not any(v not in (None, "") for v in row.values()):
            continue
        mention, errors = validate(row, now)
        if mention is None:
            report.rejected.append(RejectedRow(row=number, errors=errors))
        else:
            good.append(mention)
    if good:
        stored = ingestor.ingest(good)
        report.stored_new, report.stored_updated = stored.result.inserted, stored.result.updated
        failed = {mention_id for mention_id, _ in stored.result.failed}
        report.accepted = len(good) - len(failed)
        report.rejected += [RejectedRow(row=0, errors=[f"{mid}: 存储失败：{why}"]) for mid, why in stored.result.failed]
    return report
