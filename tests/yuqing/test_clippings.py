"""Clipping import: good files (CSV, XLSX, GBK CSV from Excel), bad rows reported with every
reason while good rows are stored, unreadable files store nothing and leave records intact."""

from __future__ import annotations

from datetime import datetime

import pytest

from store.base import MentionQuery
from tests.conftest import FIXTURES
from yuqing.clippings import ClippingFileError, import_clippings
from yuqing.ingest import Ingestor
from yuqing.records import SHANGHAI, Kind, Platform

CLIPS = FIXTURES / "clippings"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def ingestor(store, analyzer) -> Ingestor:
    return Ingestor(analyzer, store)


def load(name: str, ingestor: Ingestor):
    return import_clippings((CLIPS / name).read_bytes(), name, ingestor=ingestor, now=NOW)


@pytest.mark.parametrize("name", ["good.csv", "good.xlsx", "excel-gbk.csv"])
def test_good_files_are_ingested_like_crawled_mentions(ingestor: Ingestor, name: str) -> None:
    report = load(name, ingestor)
    assert (report.accepted, report.stored_new, report.rejected) == (3, 3, [])
    items = {i.mention.author.name: i for i in ingestor.store.search(MentionQuery(limit=10)).items}
    assert set(items) == {"泰安日报", "泰安电视台《新闻联播》", "泰安人民广播电台"}
    paper = items["泰安日报"]
    assert paper.mention.platform == Platform.clipping and paper.mention.kind == Kind.clipping
    assert paper.mention.author.verified_reason == "报纸" and paper.mention.url.startswith("https://epaper")
    assert paper.analysis.relevant and "maintenance" in paper.categories  # the same NLP as crawled mentions
    tv = items["泰安电视台《新闻联播》"]
    assert tv.sentiment.value == "negative" and "outage" in tv.categories
    radio = items["泰安人民广播电台"].mention
    assert radio.published_at == datetime(2026, 11, 20, 7, 30, tzinfo=SHANGHAI)
    again = load(name, ingestor)  # importing the same file twice changes nothing
    assert (again.stored_new, again.stored_updated) == (0, 3)


def test_bad_rows_are_reported_and_good_rows_kept(ingestor: Ingestor) -> None:
    report = load("bad-rows.csv", ingestor)
    assert report.accepted == 2 and report.stored_new == 2
    errors = {r.row: r.errors for r in report.rejected}
    assert set(errors) == {3, 4, 5, 6}
    assert "日期无法识别" in errors[3][0] and errors[4] == ["缺少媒体名称 (outlet)"]
    assert "未知的媒体类型" in errors[5][0] and "自媒体" in errors[5][0]
    assert len(errors[6]) == 3  # no title, no date, not an http link: every reason at once


@pytest.mark.parametrize(("name", "message"), [("missing-columns.csv", "缺少列"), ("latin1.csv", "无法识别文件编码"),
                                               ("not-really.xlsx", "不是有效的 XLSX"),
                                               ("bomb.xlsx", "解压后超过 100 MB")])
def test_unreadable_files_store_nothing(ingestor: Ingestor, name: str, message: str) -> None:
    load("good.csv", ingestor)
    before = ingestor.store.count(MentionQuery())
    with pytest.raises(ClippingFileError, match=message):
        load(name, ingestor)
    assert ingestor.store.count(MentionQuery()) == before == 3


def test_future_dates_and_wrong_types_are_refused(ingestor: Ingestor) -> None:
    data = ("outlet,date,title,summary,link,media type\r\n泰安日报,2027-01-01,未来,x,,报纸\r\n").encode()
    report = import_clippings(data, "x.csv", ingestor=ingestor, now=NOW)
    assert report.accepted == 0 and "日期在未来" in report.rejected[0].errors[0]
    with pytest.raises(ClippingFileError, match="只支持"):
        import_clippings(data, "x.pdf", ingestor=ingestor, now=NOW)


def test_too_many_rows_are_refused_without_reading_on_even_when_padded_with_blank_rows(ingestor: Ingestor) -> None:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["outlet", "date", "title", "summary", "link", "media type"])
    for n in range(4):
        sheet.append(["泰安日报", "2026-11-18", f"第 {n} 条", "", None, "报纸"])
        for _ in range(30):  # blank rows between them
            sheet.append([None] * 6)
    data = BytesIO()
    book.save(data)
    with pytest.raises(ClippingFileError, match="行数超过上限 3"):
        import_clippings(data.getvalue(), "padded.xlsx", ingestor=ingestor, now=NOW, max_rows=3)
    assert ingestor.store.count(MentionQuery()) == 0
    assert import_clippings(data.getvalue(), "padded.xlsx", ingestor=ingestor, now=NOW, max_rows=4).accepted == 4
