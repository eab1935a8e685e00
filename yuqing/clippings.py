"""Clippings: newspaper, TV and radio items that no spider can read, entered by staff as a
CSV or XLSX file (outlet, date, title, summary, link, media type) and ingested through the
same `Ingestor` as crawled mentions, so they get the same NLP and alerting.

The import is per row, on purpose: every row is validated on its own, good rows are stored,
bad rows come back in a report with their row number (as the spreadsheet numbers it) and
every reason, in Chinese, for the staff who fix the file and upload it again (a clipping's id
is outlet + date + title, so rows already imported are updated, never duplicated). A row that
repeats an earlier row of the same file is skipped and reported. A file that cannot be read
as a whole (wrong type, unknown encoding, missing columns, no data rows, too many rows)
stores nothing. CSV saved by Excel on Chinese Windows is GBK: UTF-8 (with or without BOM) is
tried first, then GB18030 (a superset of GBK and GB2312).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
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
# The columns by their Chinese names: the template's header row and the names in messages.
FIELD_ZH = {"outlet": "媒体", "date": "日期", "title": "标题", "summary": "摘要", "link": "链接",
            "media_type": "媒体类型"}
MEDIA_CHOICES = "、".join(MEDIA_NAMES_ZH.values())  # 报纸、电视、广播、杂志
MAX_OUTLET, MAX_TITLE = 100, 300  # longer means the columns are shifted (a summary in the title)
log = logging.getLogger("yuqing.clippings")
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # a real clippings sheet of 5000 rows unpacks to a few MB
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2}):(\d{2})(?::\d{2})?)?$")


class ClippingFileError(Exception):
    """The file as a whole cannot be read (nothing was stored)."""


@dataclass
class RejectedRow:
    row: int  # as numbered in the spreadsheet (the header is row 1)
    errors: list[str]


@dataclass
class SkippedRow:
    row: int
    same_as: int  # the earlier row of the same file it repeats (same outlet, date and title)

    @property
    def reason(self) -> str:
        return f"与第 {self.same_as} 行重复（媒体、日期、标题相同），已跳过"


@dataclass
class ImportReport:
    rows: int = 0  # data rows in the file (blank rows not counted)
    accepted: int = 0
    stored_new: int = 0
    stored_updated: int = 0  # already imported before: updated, not duplicated
    queued: int = 0  # accepted while the index is down: stored when it is back
    rejected: list[RejectedRow] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "accepted": self.accepted, "stored_new": self.stored_new,
                "stored_updated": self.stored_updated, "queued": self.queued,
                "rejected": [{"row": r.row, "errors": r.errors} for r in self.rejected],
                "skipped": [{"row": r.row, "same_as": r.same_as, "reason": r.reason} for r in self.skipped]}


def template_csv() -> bytes:
    """The header row staff fill in, as Excel opens it (UTF-8 with BOM, CRLF)."""
    return ("\ufeff" + ",".join(FIELD_ZH.values()) + "\r\n").encode("utf-8")


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
    if not table or not any(str(c or "").strip() for row in table for c in row):
        raise ClippingFileError("文件是空的")
    header = [HEADERS.get(str(h or "").strip().lower()) for h in table[0]]
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise ClippingFileError(f"缺少列：{'、'.join(FIELD_ZH[f] for f in missing)}（第 1 行应为表头："
                                f"{'、'.join(FIELD_ZH.values())}；可下载模板填写）")
    rows = [r for r in table[1:] if any(str(c or "").strip() for c in r)]
    if not rows:
        raise ClippingFileError("文件中只有表头，没有数据行")
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


def _shown(value: Any) -> str:
    """A cell as quoted in a message: “…”, cut when long."""
    text = str(value).strip()
    return f"“{text[:30]}…”" if len(text) > 30 else f"“{text}”"


def _text_errors(outlet: str, title: str, link: str) -> list[str]:
    errors = []
    if not outlet:
        errors.append("缺少媒体名称（“媒体”列）")
    elif len(outlet) > MAX_OUTLET:
        errors.append(f"媒体名称过长（{len(outlet)} 字，上限 {MAX_OUTLET}），请检查各列是否错位")
    if not title:
        errors.append("缺少标题（“标题”列）")
    elif len(title) > MAX_TITLE:
        errors.append(f"标题过长（{len(title)} 字，上限 {MAX_TITLE}），请检查各列是否错位")
    if link and not link.startswith(("http://", "https://")):
        errors.append(f"链接应以 http:// 或 https:// 开头：{_shown(link)}")
    return errors


def validate(row: dict[str, Any], now: datetime) -> tuple[Mention | None, list[str]]:
    """A clipping mention, or the reasons the row is rejected."""
    text = {k: str(v).strip() if v is not None and not isinstance(v, date | datetime) else v for k, v in row.items()}
    outlet, title, link = text.get("outlet") or "", text.get("title") or "", text.get("link") or ""
    errors = _text_errors(outlet, title, link)
    when = parse_date(row.get("date"))
    if when is None:
        errors.append(f"日期无法识别：{_shown(row['date'])}（应为年-月-日，如 2026-11-18）"
                      if text.get("date") else "缺少日期（“日期”列）")
    elif when > now + timedelta(days=1):
        errors.append(f"日期在未来：{when:%Y-%m-%d}")
    kind = str(text.get("media_type") or "")
    media = MEDIA_ALIASES.get(kind.lower())
    if media is None:
        errors.append(f"未知的媒体类型：{_shown(kind)}（可填：{MEDIA_CHOICES}）" if kind
                      else f"缺少媒体类型（可填：{MEDIA_CHOICES}）")
    if errors:
        return None, errors
    return Mention(
        id=mention_id(Platform.clipping, clipping_key(outlet, when, title)), platform=Platform.clipping,
        kind=Kind.clipping, url=link, title=title, text=text.get("summary") or title,
        author=Author(name=outlet, verified_reason=MEDIA_NAMES_ZH[media]),
        published_at=when, fetched_at=now, query="剪报"), []


def clipping_key(outlet: str, when: datetime, title: str) -> str:
    """A clipping's identity: the same outlet, day and title is the same clipping."""
    return hashlib.sha1(f"{outlet}|{when:%Y-%m-%d}|{title}".encode()).hexdigest()[:20]


def import_clippings(data: bytes, filename: str, *, ingestor: Ingestor, now: datetime,
                     max_rows: int = 5000) -> ImportReport:
    """Validate every row, ingest the good ones (one batch), report the rest."""
    report = ImportReport()
    good: dict[str, tuple[int, Mention]] = {}  # mention id -> (first row, mention)
    for number, row in enumerate(read_rows(data, filename, max_rows=max_rows), start=2):
        if not any(v not in (None, "") and str(v).strip() for v in row.values()):
            continue
        report.rows += 1
        mention, errors = validate(row, now)
        if mention is None:
            report.rejected.append(RejectedRow(row=number, errors=errors))
        elif mention.id in good:
            report.skipped.append(SkippedRow(row=number, same_as=good[mention.id][0]))
        else:
            good[mention.id] = (number, mention)
    if good:
        stored = ingestor.ingest(m for _, m in good.values())
        report.stored_new, report.stored_updated = stored.result.inserted, stored.result.updated
        report.queued = len(stored.result.queued)
        report.accepted = len(good) - len(stored.result.failed)
        for mid, why in stored.result.failed:  # the index's reason (English) is for operators
            log.warning("clipping %s not stored: %s", mid, why)
            report.rejected.append(RejectedRow(row=good[mid][0] if mid in good else 0,
                                               errors=["存储失败，请稍后重新导入此行（原因已记入服务日志）"]))
        report.rejected.sort(key=lambda r: r.row)
    return report
