"""舆情简报 page: staff pick a day and a kind and download that briefing, made on demand."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.api.pages.conftest import Service, login, screenshot
from yuqing.records import SHANGHAI


def test_a_briefing_of_a_chosen_day_is_made_and_downloaded(page, service: Service) -> None:
    login(page, service, next_path="/reports")
    page.wait_for_selector("#reports-card[data-state=ready]")
    assert "yuqing report" not in page.inner_text("main")  # nothing to run on the server
    day = (datetime.now(SHANGHAI) - timedelta(days=3)).date().isoformat()
    report_id = f"daily-{day}"
    page.select_option("#r-kind", "daily")
    page.fill("#r-day", day)
    with page.expect_download() as download:
        page.click("#make-report button[value=html]")
    html = download.value.path().read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".html")
    stored = service.api(f"/api/reports/{report_id}")
    assert stored["briefing"]["title"] in html and "舆情日报" in html
    assert f"本期共监测到相关信息 {stored['briefing']['figures']['total']} 条" in html
    page.wait_for_selector(f"#reports tbody tr[data-id='{report_id}']")
    page.select_option("#r-kind", "weekly")
    assert page.inner_text("#r-day-label") == "截止日期"
    with page.expect_download() as download:
        page.click("#make-report button[value=docx]")
    assert download.value.path().read_bytes()[:2] == b"PK"
    assert service.api(f"/api/reports/weekly-{day}")["briefing"]["period"]["last"] == day
    screenshot(page, "reports-made")
