"""The pages in headless Chromium at 1366×768 and 390×844: log in as PR staff (a wrong password
refused), the overview's charts drawn from the demo data with the API's numbers, a click on a
chart filtering the mention list, the site-health page over real check results, the briefings
download. The review and ticket pages: test_review_loop.py."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.api.pages.conftest import Service, login, screenshot
from yuqing.records import CATEGORY_NAMES_ZH, SHANGHAI

CHARTS = ("chart-trend", "chart-sentiment", "chart-platform", "chart-category", "chart-district", "chart-author")


def default_filters() -> dict[str, str]:
    """What the overview asks for before anyone touches the filter bar: 近 30 天, 仅相关."""
    today = datetime.now(SHANGHAI).date()
    return {"since": str(today - timedelta(days=29)), "until": str(today), "relevant": "true"}


def series_data(page, chart: str) -> list:
    return page.evaluate("""id => echarts.getInstanceByDom(document.getElementById(id)).getOption()
                                 .series.map(s => s.data.map(d => (d && typeof d === 'object') ? d.value : d))""",
                         chart)


def open_overview(page, service: Service) -> None:
    login(page, service)
    page.wait_for_url(f"{service.url}/")
    page.wait_for_selector("#kpis[data-state=ready]", timeout=30_000)
    page.wait_for_selector("#mention-section[data-state=ready]", timeout=30_000)


def test_login_is_required_and_a_wrong_password_is_refused(page, service: Service) -> None:
    page.goto(f"{service.url}/")
    page.wait_for_url(f"{service.url}/login?next=%2F")
    login(page, service, password="not-the-password")
    page.wait_for_selector("#login-error:not([hidden])")
    assert page.inner_text("#login-error") == "登录失败：用户名或密码错误"
    screenshot(page, "login")
    login(page, service, next_path="//evil.example/")  # only same-site paths are followed
    page.wait_for_url(f"{service.url}/")
    page.wait_for_selector("#user-name:has-text('舆情专员')")
    saved = page.evaluate("JSON.parse(localStorage.getItem('yuqing.auth'))")
    assert saved["token"] and saved["user"]["username"] == "pr1" and saved["user"]["role"] == "pr"
    assert "not-the-password" not in page.content()
    other = page.context.new_page()  # a link opened in a new tab (from an e-mail, say): no second login
    other.goto(f"{service.url}/tickets")
    other.wait_for_selector("#user-name:has-text('舆情专员')")
    assert other.url == f"{service.url}/tickets"
    page.click("#logout")  # the token ends on the server, not only in the tab
    page.wait_for_url(f"{service.url}/login")
    gone = httpx.get(f"{service.url}/api/auth/me", headers={"Authorization": f"Bearer {saved['token']}"})
    assert gone.status_code == 401 and page.evaluate("localStorage.getItem('yuqing.auth')") is None
    other.wait_for_url(f"{service.url}/login?next=%2Ftickets")  # and the other tab follows


def test_overview_draws_the_demo_data_with_the_apis_numbers(page, service: Service) -> None:
    open_overview(page, service)
    expected = service.api("/api/stats/overview", **default_filters())
    assert expected["total"] > 10  # the demo really is there
    assert page.inner_text("#kpi-total") == f"{expected['total']:,}"
    assert page.inner_text("#kpi-negative") == str(expected["sentiment"]["negative"])
    drawn = {"chart-trend": sum(1 for d in expected["trend"] for k in ("negative", "neutral", "positive") if d[k]),
             "chart-sentiment": sum(1 for v in expected["sentiment"].values() if v),
             **{f"chart-{k}": len(expected[k]) for k in ("platform", "category", "district", "author")}}
    for chart in CHARTS:  # every bar and slice is an SVG element (plus axes)
        assert drawn[chart] > 0 and page.locator(f"#{chart} svg path").count() > drawn[chart], chart
    negative, neutral, positive = series_data(page, "chart-trend")
    assert negative == [d["negative"] for d in expected["trend"]]
    assert sum(negative) + sum(neutral) + sum(positive) == expected["total"]
    categories = series_data(page, "chart-category")[0]
    assert categories == [c["count"] for c in reversed(expected["category"])]
    words = page.locator("#cloud .word")
    assert words.count() == len(expected["keywords"])
    assert words.first.get_attribute("data-word") == expected["keywords"][0]["value"]
    events = service.api("/api/events", limit=10, **default_filters())
    assert page.locator("#events tbody tr").count() == len(events)
    assert page.locator("#mentions .mention").count() == min(20, expected["total"])
    if page.viewport_size["width"] < 500:  # the phone layout never scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
        assert not page.locator("#nav").is_visible()
        page.click("label.nav-button")
        assert page.locator("#nav a[href='/sites']").is_visible()
    screenshot(page, "overview")


def click_bar(page, chart: str, index: int, value: float) -> None:
    """A real click (or tap) in the middle of one horizontal bar."""
    box = page.locator(f"#{chart}")
    box.scroll_into_view_if_needed()
    x, y = page.evaluate("""([id, i, v]) => echarts.getInstanceByDom(document.getElementById(id))
                               .convertToPixel({seriesIndex: 0}, [v / 2, i])""", [chart, index, value])
    bounds = box.bounding_box()
    if page.viewport_size["width"] < 500:  # the phone context has a touch screen: tap like a finger
        page.touchscreen.tap(bounds["x"] + x, bounds["y"] + y)
    else:
        page.mouse.click(bounds["x"] + x, bounds["y"] + y)


def test_clicking_a_category_bar_filters_the_mention_list(page, service: Service) -> None:
    open_overview(page, service)
    top = service.api("/api/stats/overview", **default_filters())["category"][0]
    bars = len(service.api("/api/stats/overview", **default_filters())["category"])
    click_bar(page, "chart-category", bars - 1, top["count"])  # the largest bar is drawn on top
    chip = page.wait_for_selector(".chip[data-key=category]")
    name = CATEGORY_NAMES_ZH[top["value"]]
    assert name in chip.inner_text()
    page.wait_for_selector("#mention-section[data-state=ready]")
    page.wait_for_function(f"document.getElementById('mention-total').dataset.total === '{top['count']}'")
    listed = service.api("/api/mentions", category=top["value"], size=20, **default_filters())
    assert listed["total"] == top["count"]
    items = page.locator("#mentions .mention")
    assert items.count() == min(20, top["count"])
    assert [items.nth(i).get_attribute("data-id") for i in range(items.count())] == \
        [m["mention"]["id"] for m in listed["items"]]
    for i in range(items.count()):
        assert name in items.nth(i).locator(".tag").all_inner_texts()
    screenshot(page, "overview-filtered")
    chip.click()  # removing the chip restores the whole list
    page.wait_for_function("!document.querySelector('.chip[data-key=category]')")
    page.wait_for_selector("#mention-section[data-state=ready]")
    total = service.api("/api/stats/overview", **default_filters())["total"]
    assert page.locator("#mention-total").get_attribute("data-total") == str(total)


def test_clicking_a_keyword_searches_for_it(page, service: Service) -> None:
    open_overview(page, service)
    word = page.locator("#cloud .word").first
    text = word.get_attribute("data-word")
    word.click()
    page.wait_for_selector(".chip[data-key=q]")
    page.wait_for_selector("#mention-section[data-state=ready]")
    expected = service.api("/api/mentions", q=text, **default_filters())["total"]
    page.wait_for_function(f"document.getElementById('mention-total').dataset.total === '{expected}'")
    assert page.locator("#mentions mark").count() >= 1  # the word is highlighted


def test_site_health_shows_the_local_sites_results(page, service: Service) -> None:
    login(page, service, next_path="/sites")
    page.wait_for_url(f"{service.url}/sites")
    page.wait_for_selector("#sites-summary[data-state=ready]")
    sites = service.api("/api/sites")
    assert page.inner_text("#sites-failing") == str(sites["failing"]) == "1"
    rows = page.locator("#sites tbody tr")
    assert rows.count() == 3
    failing = page.locator("#sites tbody tr.failing")
    assert failing.get_attribute("data-name") == "缴费查询" and "异常" in failing.inner_text()
    assert "100.0%" in page.locator("#sites tbody tr[data-name='官网首页']").inner_text()
    page.wait_for_selector("#site-detail[data-state=ready]")  # the failing target opens by itself
    assert page.locator("#chart-latency svg path").count() > 2
    assert "未恢复" in page.inner_text("#incidents")  # two failures in a row opened an incident
    page.locator("#sites tbody tr[data-name='官网首页']").click()
    page.wait_for_selector("#site-detail[data-state=ready][data-name='官网首页']")
    latencies = series_data(page, "chart-latency")[0]
    history = service.api("/api/sites/官网首页", limit=200)["results"]
    assert len(latencies) == len(history) == 3
    screenshot(page, "sites")


def test_briefings_download(page, service: Service) -> None:
    login(page, service, next_path="/reports")
    page.wait_for_url(f"{service.url}/reports")
    page.wait_for_selector("#reports-card[data-state=ready]")
    report = service.api("/api/reports", kind="weekly")[0]  # the one the fixture made (newest period)
    row = page.locator(f"#reports tbody tr[data-id='{report['id']}']")
    assert report["title"] in row.inner_text()
    with page.expect_download() as download:
        row.locator("button[data-format=docx]").click()
    assert download.value.path().read_bytes()[:2] == b"PK"
    assert download.value.suggested_filename.endswith(".docx")
    screenshot(page, "reports")
