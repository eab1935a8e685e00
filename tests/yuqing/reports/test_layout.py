"""The briefing's tables: every complaint category listed, and headers and short columns that
stay on one line when the page is drawn (headless Chromium, at the page's own width)."""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document

from store.base import Count
from tests.yuqing.reports.conftest import DAY
from yuqing.records import CATEGORY_NAMES_ZH, SHANGHAI
from yuqing.reports.build import build_briefing
from yuqing.reports.docx import render_docx
from yuqing.reports.html import render_html
from yuqing.reports.model import Briefing, Period, ReportKind

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)
LONG_AUTHOR = "泰安岱岳区粥店街道热心居民小王同学"


def _briefing(settings, loaded, sites) -> Briefing:
    period = Period.ending(ReportKind.weekly, DAY)
    b = build_briefing(settings=settings, store=loaded, sites=sites, period=period, now=NOW, extensions=[])
    # Every category with a count, largest first, as a busy week gives them; 冒充诈骗 the rarest.
    names = sorted(CATEGORY_NAMES_ZH.values(), key=lambda name: name == "冒充诈骗")
    categories = [Count(value=name, count=40 - i) for i, name in enumerate(names)]
    lines = [m.model_copy(update={"author": LONG_AUTHOR}) for m in b.negative_mentions]
    return b.model_copy(update={"categories": categories, "negative_mentions": lines})


def _distribution_rows(html: str) -> str:
    start = html.index("<h2>三、分布</h2>")
    return html[start : html.index("</table>", start)]


def test_every_category_is_in_the_distribution_table(settings, loaded, sites) -> None:
    b = _briefing(settings, loaded, sites)
    assert len(b.categories) == len(CATEGORY_NAMES_ZH) > 10
    table = _distribution_rows(render_html(b, images={}))
    for count in b.categories:
        assert f"<td>{count.value}</td><td class=\"n\">{count.count}</td>" in table, count.value
    document = Document(io.BytesIO(render_docx(b, charts={})))
    category_table = next(t for t in document.tables if t.rows[0].cells[0].text == "业务类别")
    assert [r.cells[0].text for r in category_table.rows[1:]] == [c.value for c in b.categories]


def _lines(page, selector: str) -> list[int]:
    """How many lines each matching cell's text is drawn on."""
    return page.eval_on_selector_all(selector, """els => els.map(e => {
        const range = document.createRange(); range.selectNodeContents(e);
        return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
    })""")


def test_headers_and_short_columns_stay_on_one_line(settings, loaded, sites) -> None:
    from tests.api.pages.conftest import CHROMIUM, CHROMIUM_ARGS, _need_browser

    _need_browser()
    from playwright.sync_api import sync_playwright

    b = _briefing(settings, loaded, sites)
    assert b.events and b.negative_mentions
    html = render_html(b, images={})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for width in (1280, 860):  # a desktop mail client, and the page's own width
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.set_content(html)
                headers = _lines(page, "th")
                assert headers and set(headers) == {1}, (width, headers)
                authors = _lines(page, "td.who")
                assert len(authors) == len(b.negative_mentions) and set(authors) == {1}, (width, authors)
                assert set(_lines(page, "td.n")) <= {0, 1}
                assert max(_lines(page, "td.wide")) > 1  # the long texts wrap instead
                page.close()
        finally:
            browser.close()


def _widths(table) -> dict[str, float]:
    return {cell.text: table.columns[i].width.cm for i, cell in enumerate(table.rows[0].cells)}


def test_docx_text_columns_get_the_room_and_short_ones_fit_their_header(settings, loaded, sites) -> None:
    b = _briefing(settings, loaded, sites)
    document = Document(io.BytesIO(render_docx(b, charts={})))
    events = _widths(next(t for t in document.tables if t.rows[0].cells[0].text == "事件"))
    mentions = _widths(next(t for t in document.tables if t.rows[0].cells[0].text == "时间"))
    char = 10.5 / 28.35  # cm per 10.5 pt character; cells add about 0.4 cm of margins
    for widths in (events, mentions):
        for header, width in widths.items():
            assert width >= len(header) * char + 0.4, (header, width)
    assert events["事件"] >= 2 * max(w for h, w in events.items() if h != "事件")
    assert mentions["内容"] >= 2 * max(w for h, w in mentions.items() if h != "内容")
    assert mentions["作者"] >= 6 * char + 0.4  # a usual screen name on one line
