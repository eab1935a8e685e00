"""Clipping import: good files (CSV, XLSX, GBK CSV from Excel), bad rows reported with every
reason while good rows are stored, unreadable files store nothing and leave records intact."""

from __future__ import annotations

from datetime import datetime

import pytest

from store.base import MentionQuery
from tests.conftest import FIXTURES
from yuqing.clippings import FIELD_ZH, HEADERS, ClippingFileError, import_clippings, template_csv
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
    assert "日期无法识别" in errors[3][0] and errors[4] == ["缺少媒体名称（“媒体”列）"]
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


def test_reasons_name_the_row_and_the_chinese_column_and_a_repeated_row_is_skipped(ingestor: Ingestor) -> None:
    report = load("page-bad-rows.csv", ingestor)
    assert (report.rows, report.accepted, report.stored_new) == (7, 2, 2)
    errors = {r.row: r.errors for r in report.rejected}
    assert errors == {
        3: ["日期无法识别：“2026-02-30”（应为年-月-日，如 2026-11-18）"],
        4: ["缺少媒体名称（“媒体”列）"],
        5: ["未知的媒体类型：“公众号”（可填：报纸、电视、广播、杂志）"],
        8: ["链接应以 http:// 或 https:// 开头：“www.example.cn/a.html”",
            "缺少媒体类型（可填：报纸、电视、广播、杂志）"],
    }
    assert [(s.row, s.same_as) for s in report.skipped] == [(6, 2)]
    assert report.as_dict()["skipped"] == [{"row": 6, "same_as": 2,
                                            "reason": "与第 2 行重复（媒体、日期、标题相同），已跳过"}]
    stored = ingestor.store.search(MentionQuery(limit=10)).items
    assert sorted(i.mention.title for i in stored) == ["燃气表箱更换工作启动", "社区燃气安全宣传进楼道"]
    kept = next(i.mention for i in stored if i.mention.author.name == "泰山晚报")
    assert kept.text == "志愿者在楼道张贴安全用气提示。"  # the first of the repeated rows, not the repeat


@pytest.mark.parametrize(("data", "message"), [
    (b"", "文件是空的"),
    (b",,,\r\n,,\r\n", "文件是空的"),
    (template_csv(), "文件中只有表头，没有数据行"),  # the template uploaded before it was filled in
    ((CLIPS / "page-missing-columns.csv").read_bytes(),
     "缺少列：日期、媒体类型（第 1 行应为表头：媒体、日期、标题、摘要、链接、媒体类型"),
])
def test_files_without_usable_rows_say_why_in_chinese(ingestor: Ingestor, data: bytes, message: str) -> None:
    with pytest.raises(ClippingFileError) as refused:
        import_clippings(data, "x.csv", ingestor=ingestor, now=NOW)
    assert str(refused.value).startswith(message)
    assert ingestor.store.count(MentionQuery()) == 0


def test_the_template_is_read_back_and_a_filled_in_row_imported(ingestor: Ingestor) -> None:
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig") == "媒体,日期,标题,摘要,链接,媒体类型\r\n"
    assert all(HEADERS[name] == key for key, name in FIELD_ZH.items())
    filled = data + "泰山晚报,2026-11-21,燃气入户安检开始,安检员将逐户上门。,,报纸\r\n".encode()
    report = import_clippings(filled, "剪报导入模板.csv", ingestor=ingestor, now=NOW)
    assert (report.rows, report.stored_new, report.rejected) == (1, 1, [])
    (item,) = ingestor.store.search(MentionQuery(limit=10)).items
    assert (item.mention.author.name, item.mention.title, item.mention.author.verified_reason) == (
        "泰山晚报", "燃气入户安检开始", "报纸")


def test_a_gbk_file_from_excel_keeps_its_chinese(ingestor: Ingestor) -> None:
    report = load("page-gbk.csv", ingestor)
    assert (report.rows, report.stored_new, report.rejected) == (3, 3, [])
    items = {i.mention.title: i.mention for i in ingestor.store.search(MentionQuery(limit=10)).items}
    radio = items["燃气热线答听众问"]
    assert (radio.author.name, radio.author.verified_reason) == ("泰安交通广播", "广播")  # "电台" is radio
    assert radio.published_at == datetime(2026, 11, 12, 18, 5, tzinfo=SHANGHAI)


def test_shifted_columns_are_caught_by_length(ingestor: Ingestor) -> None:
    summary = "记者" * 200
    data = f"媒体,日期,标题,媒体类型\r\n泰山晚报,2026-11-20,{summary},报纸\r\n".encode()
    (row,) = import_clippings(data, "x.csv", ingestor=ingestor, now=NOW).rejected
    assert row.row == 2 and row.errors == ["标题过长（400 字，上限 300），请检查各列是否错位"]
