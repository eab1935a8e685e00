"""A complaint during a planned operation (运营日历), as staff meet it: the alert is marked 计划内
and carries the approved public wording (对外口径) on the review page, and the ticket made from it
shows both to the department's handler. The complaint enters through the one ingest path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from tests.api.helpers import PASSWORD
from tests.api.pages.conftest import Service, _run, login, screenshot
from tests.conftest import REPO
from yuqing.records import SHANGHAI, Mention

CASE = json.loads((REPO / "tests" / "fixtures" / "pages" / "planned_complaint.json").read_text(encoding="utf-8"))
ADMIN = "planadmin"


@dataclass(frozen=True)
class Planned:
    alert_id: int
    ticket_id: int
    title: str
    wording: str


def _ingest(service: Service, now: datetime) -> None:
    from yuqing.settings import load_settings
    from yuqing.wiring import build_ingestor

    ingestor = build_ingestor(load_settings(service.config))
    try:
        ingestor.ingest([Mention.model_validate({**CASE["mention"], "published_at": now, "fetched_at": now})])
    finally:
        ingestor.close()


@pytest.fixture(scope="module")
def planned(service: Service) -> Iterator[Planned]:
    """An administrator enters the outage; a complaint about its area arrives; PR staff confirm it for 客服中心."""
    _run("users", "add", ADMIN, "--role", "admin", "--password-stdin", config=service.config, stdin=PASSWORD + "\n")
    now = datetime.now(SHANGHAI)
    entry = CASE["planned"]
    made = service.post("/api/calendar", ADMIN, {**entry, "starts_at": (now - timedelta(hours=1)).isoformat(),
                                                 "ends_at": (now + timedelta(hours=8)).isoformat()})
    assert made.status_code == 201, made.text
    try:
        _ingest(service, now)
        alerts = service.api("/api/alerts", user="pr1", expected="true", status="pending", size=200)["items"]
        (alert,) = [a for a in alerts if "东湖小区" in a["title"]]
        ticket = service.post(f"/api/alerts/{alert['id']}/confirm", "pr1", {"department": "customer"})
        assert ticket.status_code == 201, ticket.text
        yield Planned(alert_id=alert["id"], ticket_id=ticket.json()["id"], title=entry["title"],
                      wording=entry["wording"])
    finally:
        httpx.delete(f"{service.url}/api/calendar/{made.json()['id']}", headers=service.headers(ADMIN), timeout=30)


def test_the_review_page_shows_the_planned_operation_and_its_wording(page, service: Service,
                                                                      planned: Planned) -> None:
    login(page, service, user="pr1", next_path=quote(f"/alerts#id={planned.alert_id}", safe=""))
    page.wait_for_selector(f"#alert-detail[data-id='{planned.alert_id}'][data-state=ready]")
    box = page.locator("#alert-planned")
    assert box.is_visible()
    text = box.inner_text()
    assert "计划内" in text and f"计划停气“{planned.title}”" in text
    assert planned.wording in text  # as text: the <b> in the wording is not markup
    assert box.locator("b").count() == 0
    screenshot(page, "alert-planned")


def test_the_ticket_shows_the_handler_the_wording_to_answer_with(page, service: Service, planned: Planned) -> None:
    login(page, service, user="kefu", next_path=quote(f"/tickets#id={planned.ticket_id}", safe=""))
    page.wait_for_selector(f"#ticket-detail[data-id='{planned.ticket_id}'][data-state=ready]")
    facts = page.locator("#ticket-facts").inner_text()
    assert f"已登记的计划作业“{planned.title}”" in facts
    assert f"对外口径\n{planned.wording}" in facts
    screenshot(page, "ticket-planned")


def test_pr_staff_filter_the_inbox_by_planned_or_not(page, service: Service, planned: Planned) -> None:
    login(page, service, user="pr1", next_path="/alerts")
    page.wait_for_selector("#inbox[data-state=ready]")
    page.select_option("#a-status", "")  # the planned alert is confirmed by now
    page.select_option("#a-expected", "true")
    page.click("#alert-filters button[type=submit]")
    page.wait_for_selector("#inbox[data-state=ready]")
    only = service.api("/api/alerts", user="pr1", expected="true", size=50)  # every status
    shown = page.locator("#alerts tbody tr[data-id]")
    assert page.locator("#alert-total").get_attribute("data-total") == str(only["total"])
    ids = {int(i) for i in shown.evaluate_all("rows => rows.map(r => r.dataset.id)")}
    assert ids == {a["id"] for a in only["items"]}
    assert planned.alert_id in {a["id"] for a in only["items"]} and shown.locator("span.tag").count() == shown.count()
    page.select_option("#a-expected", "false")
    page.click("#alert-filters button[type=submit]")
    page.wait_for_selector("#inbox[data-state=ready]")
    assert page.locator(f"#alerts tbody tr[data-id='{planned.alert_id}']").count() == 0
    assert page.locator("#alerts tbody span.tag").count() == 0
    assert "expected=false" in page.url  # the filter is kept in the address, like the others
