"""What a day's use found, in the browser at both sizes: a shared overview link keeps its filters
through the login (and no other site is ever followed), a backwards custom range is refused on
the page in Chinese, an overdue clock says 已超时, failed site checks are visible on the latency
chart, unknown addresses get a Chinese page, one's own password can be changed, the sentiment
shares agree with one decimal and fit on a phone, and site uptime has one format and says how
much time it covers."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.api.helpers import PASSWORD
from tests.api.pages.conftest import Service, _run, login, screenshot
from tests.api.pages.test_browser import default_filters, open_overview

SHARED = "/#range=7&relevant=on&d.q=停气"


def test_a_shared_overview_link_keeps_its_filters_through_the_login(page, service: Service) -> None:
    page.goto(f"{service.url}{SHARED}")
    page.wait_for_url(re.compile(r".*/login\?next="))
    sent = parse_qs(urlsplit(page.url).query)["next"][0]
    assert sent.startswith("/#range=7&relevant=on&d.q=")  # the hash went along
    page.fill("#username", "pr1")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/#range=7&relevant=on&d\.q="))
    page.wait_for_selector("#mention-section[data-state=ready]", timeout=30_000)
    assert page.input_value("#f-range") == "7" and page.is_checked("#f-relevant")
    assert "停气" in page.inner_text(".chip[data-key=q]")


def test_only_this_sites_paths_are_followed_after_login(page, service: Service) -> None:
    page.goto(f"{service.url}/login")
    cases = ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
             "javascript:alert(1)", "http:evil.example", "", "/sites?x=1#a=b"]
    followed = page.evaluate("cases => import('/static/js/auth.js').then(m => cases.map(c => m.safeNext(c)))",
                             cases)
    assert followed == ["/"] * 7 + ["/sites?x=1#a=b"]
    login(page, service, next_path="https%3A%2F%2Fevil.example%2F")
    page.wait_for_url(f"{service.url}/")


def test_a_backwards_custom_range_is_refused_on_the_page(page, service: Service) -> None:
    open_overview(page, service)
    total = page.inner_text("#kpi-total")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)
    page.select_option("#f-range", "custom")
    page.fill("#f-since", "2026-11-28")
    page.fill("#f-until", "2026-11-01")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#toast:not([hidden])")
    assert page.inner_text("#toast") == "开始日期不能晚于结束日期"
    assert page.inner_text("#range-hint") == "开始日期不能晚于结束日期"
    assert page.inner_text("#kpi-total") == total != "0"  # the figures are not faked to zero
    assert not asked  # nothing was sent
    page.fill("#f-since", "")
    page.fill("#f-until", "")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#kpis[data-state=ready]")
    assert "未选择起止日期：显示全部时间的信息" in page.inner_text("#range-hint")
    everything = service.api("/api/stats/overview", relevant="true")["total"]
    assert page.inner_text("#kpi-total") == f"{everything:,}"
    screenshot(page, "overview-custom-range")


def test_an_overdue_clock_says_so_from_the_first_second(page, service: Service) -> None:
    page.goto(f"{service.url}/login")
    texts = page.evaluate("""() => import('/static/js/common.js').then(m => {
        const now = Date.now(), at = (s) => new Date(now + s * 1000).toISOString();
        return [at(-24), at(-1), at(-3600 * 3 - 300), at(90), at(20)].map(t => m.countdown(t, now));
    })""")
    assert [t["text"] for t in texts] == ["已超时 1 分钟", "已超时 1 分钟", "已超时 3 小时 5 分", "剩余 2 分钟",
                                          "剩余 1 分钟"]
    assert [t["late"] for t in texts] == [True, True, True, False, False]


def test_failed_site_checks_are_visible_above_the_line(page, service: Service) -> None:
    login(page, service, next_path="/sites")
    page.wait_for_selector("#site-detail[data-state=ready][data-name='缴费查询']")
    box = page.locator("#chart-latency")
    box.scroll_into_view_if_needed()
    points = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('chart-latency'));
        const rect = document.getElementById('chart-latency').getBoundingClientRect();
        return chart.getOption().series[1].data.map(d => {
            const [x, y] = chart.convertToPixel({seriesIndex: 1}, d);
            const hit = document.elementFromPoint(rect.left + x, rect.top + y);
            return hit ? (hit.getAttribute('fill') || getComputedStyle(hit).fill) : null;
        });
    }""")
    history = service.api("/api/sites/缴费查询", limit=200)["results"]
    assert len(points) == sum(r["status"] != "ok" for r in history) == 3
    for fill in points:  # what is drawn on top at each failure is the red marker, not the line
        assert fill and fill.replace(" ", "").lower() in ("#d9363e", "rgb(217,54,62)"), points
    screenshot(page, "sites-failures")


def test_unknown_addresses_get_a_chinese_page_with_the_navigation(page, service: Service) -> None:
    page.goto(f"{service.url}/users")
    page.wait_for_selector("#not-found")
    assert "页面不存在" in page.title() and "Not Found" not in page.content()
    page.wait_for_selector("#nav a[href='/tickets']:not([hidden])", state="attached")
    login(page, service, user="kefu")
    page.wait_for_url(f"{service.url}/")
    page.goto(f"{service.url}/mentions/abc")
    page.wait_for_selector("#user-name:has-text('责任部门')")
    assert page.locator("#nav a[href='/alerts']").get_attribute("hidden") is not None  # by role
    assert page.locator("#nav a[href='/tickets']").get_attribute("hidden") is None
    screenshot(page, "not-found")
    page.click("#home-link")
    page.wait_for_url(f"{service.url}/")


def test_changing_ones_own_password_from_the_header(page, service: Service) -> None:
    user = f"pw{page.viewport_size['width']}"
    _run("users", "add", user, "--role", "viewer", "--password-stdin", config=service.config, stdin=PASSWORD + "\n")
    login(page, service, user=user)
    page.wait_for_url(f"{service.url}/")
    if page.viewport_size["width"] < 500:
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
    page.click("#change-password")
    page.wait_for_url(f"{service.url}/password")

    def attempt(current: str, new: str, repeat: str | None = None) -> None:
        page.fill("#current-password", current)
        page.fill("#new-password", new)
        page.fill("#repeat-password", new if repeat is None else repeat)
        page.click("#password-form button[type=submit]")

    attempt("not-my-password", "a-new-secret-1")
    page.wait_for_selector("#password-error:not([hidden])")
    assert page.inner_text("#password-error") == "密码未修改：当前密码不正确"
    assert page.url == f"{service.url}/password"  # still logged in, still here
    attempt(PASSWORD, "short1")
    page.wait_for_selector("#password-error:has-text('至少需要')")
    assert page.inner_text("#password-error") == "密码未修改：密码至少需要 10 个字符"
    attempt(PASSWORD, "a-new-secret-1", "a-new-secret-2")
    page.wait_for_selector("#password-error:has-text('不一致')")
    attempt(PASSWORD, "a-new-secret-1")
    page.wait_for_selector("#password-done:not([hidden])")
    assert page.inner_text("#password-done") == "密码已修改" and page.locator("#password-error").is_hidden()
    screenshot(page, "password")
    page.goto(f"{service.url}/sites")  # the tab is still logged in, with the new password's token
    page.wait_for_selector("#sites-summary[data-state=ready]")
    old = httpx.post(f"{service.url}/api/auth/login", json={"username": user, "password": PASSWORD})
    new = httpx.post(f"{service.url}/api/auth/login", json={"username": user, "password": "a-new-secret-1"})
    assert old.status_code == 401 and new.status_code == 200


def test_sentiment_shares_have_one_decimal_and_fit_on_a_phone(page, service: Service) -> None:
    open_overview(page, service)
    data = service.api("/api/stats/overview", **default_filters())
    page.locator("#chart-sentiment").scroll_into_view_if_needed()
    texts = page.evaluate("""() => [...document.querySelectorAll('#chart-sentiment svg text')]
                                    .map(t => t.textContent)""")
    label = " ".join(texts)
    for key, name in (("negative", "负面"), ("neutral", "中性"), ("positive", "正面")):
        if data["sentiment"][key]:
            assert f"{100 * data['sentiment'][key] / data['total']:.1f}%" in label, (key, texts)
            assert name in label
    assert f"{page.inner_text('#kpi-negative-share')}" in label  # the same figure as above the chart
    assert not re.search(r"\d+\.\d{2}%", label) and "..." not in label and "…" not in label
    inside = page.evaluate("""() => {
        const box = document.getElementById('chart-sentiment').getBoundingClientRect();
        return [...document.querySelectorAll('#chart-sentiment svg text')].every(t => {
            const r = t.getBoundingClientRect();
            return r.width === 0 || (r.left >= box.left - 1 && r.right <= box.right + 1);
        });
    }""")
    assert inside


def test_site_uptime_has_one_format_and_says_what_it_covers(page, service: Service) -> None:
    login(page, service, next_path="/sites")
    page.wait_for_selector("#sites-summary[data-state=ready]")
    cells = page.locator("#sites tbody td[data-window]")
    assert cells.count() == 9
    for i in range(cells.count()):  # checks began minutes ago: every window says so
        assert re.fullmatch(r"\d{1,3}\.\d%（近 \d+ 分钟）", cells.nth(i).text_content()), cells.nth(i).text_content()
    assert page.locator("#sites tbody tr[data-name='缴费查询'] td[data-window='24h']").text_content() \
        .startswith("0.0%")
    assert page.locator("#sites tbody tr[data-name='官网首页'] td[data-window='24h']").text_content() \
        .startswith("100.0%")
    assert page.inner_text("#crawl-summary") == "未配置巡检"
    assert "未配置全站巡检" in page.inner_text("#crawl")
    # PR staff cannot edit the configuration: they are sent to the administrator, not to a setting
    assert "联系系统管理员" in page.inner_text("#crawl") and "[sites" not in page.inner_text("#crawl")


def test_only_the_administrator_is_told_which_setting_turns_the_site_crawl_on(page, service: Service) -> None:
    login(page, service, user="it1", next_path="/sites")
    page.wait_for_selector("#sites-summary[data-state=ready]")
    assert "[sites.crawl] 的 start_urls" in page.inner_text("#crawl")


def test_an_empty_list_says_so_across_the_whole_table(page, service: Service) -> None:
    login(page, service, next_path="/alerts")
    page.wait_for_selector("#inbox[data-state=ready]")
    page.fill("#a-q", "没有这样的标题")
    page.click("#alert-filters button[type=submit]")
    page.wait_for_selector("#alerts tbody td.empty")
    cell = page.locator("#alerts tbody td.empty")
    assert cell.inner_text() == "没有符合条件的预警" and page.locator("#alerts tbody tr").count() == 1
    assert int(cell.get_attribute("colspan")) == page.locator("#alerts thead th").count()
