"""A briefing as HTML and DOCX, kept in the data directory and replaced when made again."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from docx import Document

from tests.yuqing.reports.conftest import DAY, report_settings
from yuqing.records import SHANGHAI
from yuqing.reports.chart import cjk_font
from yuqing.reports.model import ReportKind
from yuqing.reports.service import generate_report, report_store
from yuqing.reports.store import Delivery

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)


def _text(docx: bytes) -> str:
    document = Document(io.BytesIO(docx))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_weekly_report_in_html_and_docx(settings, loaded, sites) -> None:
    stored = generate_report(settings, kind=ReportKind.weekly, day=DAY, now=NOW, store=loaded, sites=sites,
                             extensions=[])
    b = stored.briefing
    assert stored.formats == ["docx", "html"] and stored.id == "weekly-2026-11-20"
    html = report_store(settings).file(stored.id, "html").read_text(encoding="utf-8")
    assert b.title in html and f"本期共监测到相关信息 {b.figures.total} 条" in html
    assert b.events[0].summary in html and "缴费查询" in html and "状态码异常" in html
    docx = report_store(settings).file(stored.id, "docx").read_bytes()
    text = _text(docx)
    assert b.title in text and "五、自有渠道运行情况" in text and b.events[0].summary in text
    assert str(b.figures.total) in text
    if cjk_font() is None:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk): charts are left out")
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 2  # trend and categories
    assert len(Document(io.BytesIO(docx)).inline_shapes) == 2


def test_html_escapes_what_people_wrote(settings, store, analyzer, sites) -> None:
    from tests.builders import mention
    from yuqing.ingest import Ingestor

    Ingestor(analyzer, store).ingest([mention(1, "<script>alert(1)</script>泰山港华燃气停气三天了，太差了", hours_ago=2,
                                              likes=50)])
    stored = generate_report(settings, kind=ReportKind.daily, day=DAY, now=NOW, store=store, sites=sites,
                             extensions=[])
    html = report_store(settings).file(stored.id, "html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_made_again_it_replaces_the_files_and_keeps_deliveries(tmp_path, loaded, sites) -> None:
    settings = report_settings(tmp_path)
    first = generate_report(settings, kind=ReportKind.daily, day=DAY, now=NOW, store=loaded, sites=sites,
                            extensions=[])
    reports = report_store(settings)
    reports.add_delivery(first.id, Delivery(at=NOW, recipients=2, ok=True))
    only_html = report_settings(tmp_path, formats=["html"])
    again = generate_report(only_html, kind=ReportKind.daily, day=DAY, now=NOW, store=loaded, sites=sites,
                            extensions=[])
    assert again.formats == ["html"] and reports.file(first.id, "docx") is None
    assert not (tmp_path / "data" / "reports" / "daily-2026-11-20.docx").exists()
    assert [d.recipients for d in reports.get(first.id).deliveries] == [2]
    assert [r.id for r in reports.list()] == ["daily-2026-11-20"]
    assert not list((tmp_path / "data" / "reports").glob(".*"))  # no temporary files left


def test_listing_lookup_and_pruning(settings, loaded, sites) -> None:
    for kind, day in ((ReportKind.daily, DAY), (ReportKind.weekly, DAY), (ReportKind.daily, DAY.replace(day=10))):
        generate_report(settings, kind=kind, day=day, now=NOW, store=loaded, sites=sites, extensions=[])
    reports = report_store(settings)
    assert [r.id for r in reports.list()] == ["weekly-2026-11-20", "daily-2026-11-20", "daily-2026-11-10"]
    assert [r.id for r in reports.list(kind=ReportKind.daily, limit=1)] == ["daily-2026-11-20"]
    for bad in ("../../etc/passwd", "daily-2026-11-20.json", "monthly-2026-11-20", ""):
        assert reports.get(bad) is None and reports.file(bad, "html") is None
    assert reports.prune(before=DAY.replace(day=15)) == 1
    assert [r.id for r in reports.list()] == ["weekly-2026-11-20", "daily-2026-11-20"]
