"""工单督办 and 预警审核 in headless Chromium: a department's handler reads the post behind a
ticket (full text, author, original link) without a link to the alert pages it may not open;
another ticket in the address (typed, back button) is shown; a change made meanwhile reloads
the ticket with a plain message; a countdown that runs out turns its card red."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.pages.conftest import Service, login
from tests.api.pages.test_review_loop import open_ticket_page


@pytest.fixture(scope="module")
def customer_tickets(service: Service) -> list[int]:
    """Two pending alerts of the demo confirmed for 客服中心 by PR staff (the last ones listed, so
    the review-loop tests keep the first ones)."""
    pending = service.api("/api/alerts", status="pending", size=50)["items"]
    made = []
    for alert in pending[-2:]:
        answer = service.post(f"/api/alerts/{alert['id']}/confirm", "pr1", {"department": "customer"})
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    return made


def facts(page) -> dict[str, str]:
    names = page.locator("#ticket-facts dt").all_inner_texts()
    return dict(zip(names, page.locator("#ticket-facts dd").all_inner_texts(), strict=True))


def test_a_handler_reads_the_post_and_follows_the_address(page, service: Service, customer_tickets) -> None:
    first, second = customer_tickets
    open_ticket_page(page, service, "kefu", first)
    source = service.api(f"/api/tickets/{first}", "kefu")["source"]
    shown = facts(page)
    assert source["text"] in shown["原文"] and shown["作者"].startswith(source["author"])
    assert shown["来源"] == "微博" and shown["发布时间"]
    if source["author_followers"]:  # grouped by thousands, as in the overview's list
        assert f"粉丝 {source['author_followers']:,}" in shown["作者"]
    assert page.locator("#ticket-facts a[href^='http']").get_attribute("href") == source["url"]
    assert "来源预警" not in shown and page.locator("#ticket-facts a[href^='/alerts']").count() == 0
    page.evaluate(f"location.hash = 'id={second}'")  # typed into the address bar
    page.wait_for_selector(f"#ticket-detail[data-state=ready][data-id='{second}']")
    page.go_back()
    page.wait_for_selector(f"#ticket-detail[data-state=ready][data-id='{first}']")


def test_reviewers_get_the_alert_link_and_the_inbox_follows_the_address(page, service: Service,
                                                                      customer_tickets) -> None:
    open_ticket_page(page, service, "sup1", customer_tickets[0])
    alert_id = service.api(f"/api/tickets/{customer_tickets[0]}", "sup1")["alert_id"]
    assert page.locator("#ticket-facts a[href^='/alerts']").get_attribute("href") == f"/alerts#id={alert_id}"
    page.click("#logout")
    page.wait_for_url(f"{service.url}/login")
    listed = service.api("/api/alerts", size=5)["items"]
    login(page, service, user="boss", next_path=quote(f"/alerts#id={listed[0]['id']}", safe=""))
    page.wait_for_selector(f"#alert-detail[data-state=ready][data-id='{listed[0]['id']}']")
    page.evaluate(f"location.hash = 'id={listed[1]['id']}'")
    page.wait_for_selector(f"#alert-detail[data-state=ready][data-id='{listed[1]['id']}']")


def test_a_stale_page_reloads_the_ticket_with_a_plain_message(page, service: Service, customer_tickets) -> None:
    ticket = customer_tickets[1]
    open_ticket_page(page, service, "kefu", ticket)
    page.click("#ticket-actions button[data-action=accept]")
    changed = service.post(f"/api/tickets/{ticket}/actions/comment", "pr1", {"comment": "已电话联系用户"})
    assert changed.status_code == 200
    page.locator("#form-accept button[type=submit]").click()
    page.wait_for_selector("#action-error:not([hidden])")
    assert page.inner_text("#action-error") == "“签收”未执行：工单已被他人更新，已为您刷新"
    page.wait_for_selector(f"#ticket-detail[data-state=ready][data-version='{changed.json()['version']}']")
    assert "已电话联系用户" in page.inner_text("#ticket-events")


def test_a_countdown_that_runs_out_turns_its_card_red(page, service: Service, customer_tickets) -> None:
    page.clock.install()
    open_ticket_page(page, service, "kefu", customer_tickets[0])
    card = page.locator(f"#board .ticket[data-id='{customer_tickets[0]}']")
    assert "overdue" not in card.get_attribute("class")
    page.clock.fast_forward(60 * 24 * 60 * 60 * 1000)  # sixty days on: the minute timer fires, the deadline passed
    assert "overdue" in card.get_attribute("class")
    assert "超时" in card.locator(".countdown").inner_text()
