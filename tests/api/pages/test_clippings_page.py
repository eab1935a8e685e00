"""舆情简报 → 导入报刊、电视剪报: PR staff upload the day's newspaper/TV clippings (CSV from Excel
in GBK, XLSX), read the result in Chinese (rows added, already there, repeated, and every refused
row with its reasons), download the template and import it filled in; a file that cannot be read
stores nothing; roles the import route refuses see no control. Every import is checked through
the API. Each test runs at desktop and phone size on the shared service, so expectations are
computed from what is stored before the upload, or the rows carry the viewport in their title."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.api.pages.conftest import Service, login, screenshot
from tests.conftest import FIXTURES
from yuqing.records import SHANGHAI

CLIPS = FIXTURES / "clippings"


@pytest.fixture
def console(page) -> list[str]:
    """Console errors of the page; each test says which (if any) it expects."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def refused(status: int) -> str:
    """What Chromium logs for an answer the page expects (the API refusing a file), not a script error."""
    return f"Failed to load resource: the server responded with a status of {status}"


def stored_clippings(service: Service) -> dict[str, dict]:
    """Every clipping in the index by title, as the API returns it."""
    found = service.api("/api/mentions", user="pr1", platform="clipping", size=200)
    assert found["total"] <= 200
    return {item["mention"]["title"]: item for item in found["items"]}


def open_import(page, service: Service, user: str = "pr1") -> None:
    login(page, service, user=user, next_path="/reports")
    page.wait_for_selector("#clippings-card[data-state=ready]")


def upload(page, path: Path) -> str:
    """Choose the file, press 导入, wait for the answer; returns the card's state."""
    page.set_input_files("#clip-file", str(path))
    page.click("#clip-submit")
    page.wait_for_selector("#clippings-card:not([data-state=busy]):not([data-state=ready])")
    return page.get_attribute("#clippings-card", "data-state")


def figures(page) -> dict[str, int]:
    return {key: int(page.inner_text(f"#clip-{key}")) for key in ("rows-total", "new", "existing", "skipped",
                                                                   "rejected")}


def test_a_gbk_csv_from_excel_is_imported_and_shown_on_the_overview(page, service: Service,
                                                                     console: list[str]) -> None:
    titles = {"港华燃气冬季保供座谈会召开", "新泰路老旧燃气管道改造完工", "燃气热线答听众问"}
    already = titles & set(stored_clippings(service))
    open_import(page, service)
    assert upload(page, CLIPS / "page-gbk.csv") == "done"
    assert page.inner_text("#clip-summary") == "导入完成"
    assert figures(page) == {"rows-total": 3, "new": 3 - len(already), "existing": len(already), "skipped": 0,
                             "rejected": 0}
    stored = stored_clippings(service)
    assert titles <= set(stored)
    tv = stored["新泰路老旧燃气管道改造完工"]["mention"]
    assert (tv["author"]["name"], tv["author"]["verified_reason"]) == ("泰安广播电视台《泰安新闻》", "电视")
    assert tv["text"] == "改造涉及三个小区，居民已恢复用气。"
    assert tv["published_at"].startswith("2026-11-11T00:00:00+08")
    radio = stored["燃气热线答听众问"]["mention"]
    assert radio["url"] == "https://radio.example.cn/ta/20261112.html" and radio["author"]["verified_reason"] == "广播"
    assert radio["published_at"].startswith("2026-11-12T18:05:00+08")
    screenshot(page, "clippings-imported")
    page.click("#clip-view")  # to where clippings are shown: 舆情总览, platform 报刊广电, every date
    page.wait_for_selector("#mention-total[data-total]")
    assert page.input_value("#f-platform") == "clipping" and page.input_value("#f-range") == "all"
    total = service.api("/api/mentions", platform="clipping")["total"]
    assert page.get_attribute("#mention-total", "data-total") == str(total)
    page.select_option("#sort", "oldest")  # this file's clippings are the oldest the tests import
    page.wait_for_selector("#mentions li.mention .title >> text=港华燃气冬季保供座谈会召开")
    shown = page.locator("#mentions li.mention")
    assert set(shown.locator(".platform").all_inner_texts()) == {"报刊广电"}
    assert titles <= set(shown.locator(".title").all_inner_texts()[:3])
    tv_item = shown.filter(has=page.locator(".title", has_text="新泰路老旧燃气管道改造完工")).first
    assert tv_item.locator(".author").inner_text() == "泰安广播电视台《泰安新闻》 · 电视"  # the media type, too
    assert console == []


def test_an_xlsx_is_imported_with_dates_from_the_cells(page, service: Service, console: list[str],
                                                       tmp_path: Path) -> None:
    from openpyxl import Workbook

    day = (datetime.now(SHANGHAI) - timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)
    tag = page.viewport_name.split("-")[0]
    book = Workbook()
    sheet = book.active
    sheet.append(["媒体", "日期", "标题", "摘要", "链接", "媒体类型"])
    sheet.append(["泰山晚报", day.replace(tzinfo=None), f"燃气公司开放日（{tag}）", "市民参观了调压站。", None, "报纸"])
    sheet.append(["泰安广播电视台", day.date(), f"燃气安全进校园（{tag}）", None, "https://tv.example.cn/1", "电视"])
    path = tmp_path / "剪报.xlsx"
    book.save(path)
    open_import(page, service)
    assert upload(page, path) == "done"
    assert figures(page)["new"] == 2 and figures(page)["rejected"] == 0
    stored = stored_clippings(service)
    paper = stored[f"燃气公司开放日（{tag}）"]["mention"]
    assert paper["published_at"].startswith(f"{day:%Y-%m-%d}T00:00:00+08") and paper["author"]["name"] == "泰山晚报"
    tv = stored[f"燃气安全进校园（{tag}）"]["mention"]
    assert tv["text"] == f"燃气安全进校园（{tag}）"  # no summary: the title is the text
    assert tv["url"] == "https://tv.example.cn/1" and tv["author"]["verified_reason"] == "电视"
    assert console == []


def test_bad_rows_are_listed_with_their_number_and_reasons_and_the_good_rows_kept(page, service: Service,
                                                                                  console: list[str]) -> None:
    good = {"社区燃气安全宣传进楼道", "燃气表箱更换工作启动"}
    already = good & set(stored_clippings(service))
    open_import(page, service)
    assert upload(page, CLIPS / "page-bad-rows.csv") == "partial"
    assert figures(page) == {"rows-total": 7, "new": 2 - len(already), "existing": len(already), "skipped": 1,
                             "rejected": 4}
    assert "有 4 行有误未导入" in page.inner_text("#clip-summary")
    assert not [word for word in ("null", "undefined", "NaN") if word in page.inner_text("#clip-result")]
    rows = {int(r.get_attribute("data-row")): r.locator("td").all_inner_texts()
            for r in page.locator("#clip-rows tbody tr").all()}
    assert list(rows) == [3, 4, 5, 6, 8]
    assert rows[3] == ["第 3 行", "未导入", "日期无法识别：“2026-02-30”（应为年-月-日，如 2026-11-18）"]
    assert rows[4][1:] == ["未导入", "缺少媒体名称（“媒体”列）"]
    assert rows[5][2] == "未知的媒体类型：“公众号”（可填：报纸、电视、广播、杂志）"
    assert rows[6][1:] == ["已跳过", "与第 2 行重复（媒体、日期、标题相同），已跳过"]
    assert rows[8][2] == ("链接应以 http:// 或 https:// 开头：“www.example.cn/a.html”；"
                          "缺少媒体类型（可填：报纸、电视、广播、杂志）")
    stored = stored_clippings(service)
    assert good <= set(stored)
    assert not {"二月三十日的一行", "没有填写媒体的一行", "媒体类型写成公众号", "缺少媒体类型且链接不对"} & set(stored)
    assert stored["社区燃气安全宣传进楼道"]["mention"]["text"] == "志愿者在楼道张贴安全用气提示。"  # row 2, not row 6
    screenshot(page, "clippings-bad-rows")
    assert console == []


@pytest.mark.parametrize(("name", "status", "message"), [
    ("page-notes.txt", 415, "导入失败：只支持 CSV 或 XLSX 文件"),
    ("page-missing-columns.csv", 422, "导入失败：缺少列：日期、媒体类型（第 1 行应为表头：媒体、日期、标题、摘要"),
    ("not-really.xlsx", 422, "导入失败：不是有效的 XLSX 文件"),
    ("empty.csv", 422, "导入失败：文件是空的"),
])
def test_an_unreadable_file_is_refused_in_chinese_and_nothing_is_stored(page, service: Service, console: list[str],
                                                                        tmp_path: Path, name: str, status: int,
                                                                        message: str) -> None:
    path = CLIPS / name
    if name == "empty.csv":
        path = tmp_path / name
        path.write_bytes(b"")
    before = service.api("/api/mentions", size=1)["total"]
    open_import(page, service)
    assert upload(page, path) == "error"
    assert page.inner_text("#clip-error").startswith(message)
    assert "文件中的内容均未导入" in page.inner_text("#clip-result")
    assert page.locator("#clip-figures").count() == 0
    assert service.api("/api/mentions", size=1)["total"] == before
    assert console == [refused(status) + (" (Unsupported Media Type)" if status == 415
                                          else " (Unprocessable Entity)")]


def test_a_file_over_the_size_limit_is_refused_before_it_is_sent(page, service: Service, console: list[str],
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as out:  # 20 MB of valid rows
        out.write("媒体,日期,标题,媒体类型\r\n".encode())
        row = "泰山晚报,2026-11-20,一条很长的剪报标题用来把文件撑大,报纸\r\n".encode()
        out.write(row * (20 * 1024 * 1024 // len(row)))
    before = service.api("/api/mentions", size=1)["total"]
    open_import(page, service)
    uploads: list[str] = []
    page.on("request", lambda request: uploads.append(request.url) if "/api/clippings" in request.url else None)
    assert upload(page, path) == "error"
    assert page.inner_text("#clip-error") == "导入失败：文件 20.0 MB，超过 5 MB 上限，请拆分后分批导入"
    assert uploads == [] and service.api("/api/mentions", size=1)["total"] == before
    assert console == []


def test_the_template_downloads_and_imports_once_a_row_is_filled_in(page, service: Service, console: list[str],
                                                                     tmp_path: Path) -> None:
    open_import(page, service)
    with page.expect_download() as download:
        page.click("#clip-template")
    data = download.value.path().read_bytes()
    assert download.value.suggested_filename.endswith(".csv")
    (header,) = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == ["媒体", "日期", "标题", "摘要", "链接", "媒体类型"]
    assert page.inner_text("#clippings-card .hint").startswith(f"第 1 行为表头：{'、'.join(header)}")
    day = (datetime.now(SHANGHAI) - timedelta(days=9)).date()
    title = f"燃气管网冬检启动（{page.viewport_name}）"
    filled = tmp_path / "剪报导入模板.csv"
    filled.write_bytes(data + f"泰安日报,{day},{title},冬检覆盖全部中压管线。,,报纸\r\n".encode())
    assert upload(page, filled) == "done"
    assert figures(page) == {"rows-total": 1, "new": 1, "existing": 0, "skipped": 0, "rejected": 0}
    item = stored_clippings(service)[title]["mention"]
    assert (item["author"]["name"], item["text"], item["published_at"][:10]) == ("泰安日报", "冬检覆盖全部中压管线。",
                                                                               day.isoformat())
    assert console == []


@pytest.mark.parametrize("user", ["boss", "sup1"])
def test_roles_the_import_route_refuses_see_no_upload_control(page, service: Service, console: list[str],
                                                               user: str) -> None:
    login(page, service, user=user, next_path="/reports")
    page.wait_for_selector("#reports-card[data-state=ready]")
    assert page.locator("#clippings-card").is_hidden() and page.locator("#clip-file").is_hidden()
    assert "导入报刊、电视剪报" not in page.inner_text("main")
    assert console == []
