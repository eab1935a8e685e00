"""预警审核 and 工单督办 in headless Chromium at 1366×768 and 390×844, on the demo's alerts: PR
staff correct a mention and confirm an alert (a ticket for 客服中心) and dismiss another (a reason
is required); the handler accepts, replies and finishes it (a reply is required; closing is
refused); the supervisor visits (a stale page is refused) and closes it, and the supervision
figures change; the ticket left overdue shows its countdown and 督办 marks; each role sees only
its pages. Screenshots of every page and role go to test-artifacts/."""

from __future__ import annotations

import re
from urllib.parse import quote

from tests.api.pages.conftest import Service, login, logout, screenshot

TICKET_ACTIONS_OF = {  # what each role may do with a ticket in this status (the transition table)
    ("handler", "assigned"): {"return", "accept", "comment"},
    ("handler", "in_progress"): {"reply", "resolve", "comment"},
    ("supervisor", "resolved"): {"visit", "redo", "comment"},
    ("supervisor", "visited"): {"close", "redo", "comment"},
}


def buttons(page) -> set[str]:
    page.wait_for_selector("#ticket-detail[data-state=ready]")
    return set(page.locator("#ticket-actions button").evaluate_all("bs => bs.map(b => b.dataset.action)"))


def take(page, action: str, **fields: str) -> None:
    """Press an action's button, fill its form and submit it."""
    page.click(f"#ticket-actions button[data-action={action}]")
    form = page.locator(f"#form-{action}")
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("c => c.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()


def open_ticket_page(page, service: Service, user: str, ticket: int) -> None:
    login(page, service, user=user, next_path=quote(f"/tickets#id={ticket}", safe=""))
    page.wait_for_selector("#board[data-state=ready]")
    page.wait_for_selector(f"#ticket-detail[data-state=ready][data-id='{ticket}']")


def supervision_row(page, department: str) -> dict[str, str]:
    page.wait_for_selector("#supervision-card[data-state=ready]")
    row = page.locator(f"#supervision tbody tr[data-department={department}]")
    return {key: row.locator(f"td[data-key={key}]").inner_text() for key in ("opened", "closed", "mean_satisfaction")}


def review_an_alert(page, service: Service) -> tuple[int, int]:
    """PR staff: the inbox as the API lists it; correct a mention; dismiss one alert and confirm
    another for 客服中心. Returns (alert id, ticket id)."""
    login(page, service, next_path="/alerts")
    page.wait_for_selector("#inbox[data-state=ready]")
    listed = service.api("/api/alerts", status="pending", size=20)
    rows = page.locator("#alerts tbody tr")
    assert rows.count() == len(listed["items"]) > 1
    assert page.locator("#alert-total").get_attribute("data-total") == str(listed["total"])
    for i, alert in enumerate(listed["items"]):  # newest activity first, each in its level's colour
        assert rows.nth(i).get_attribute("data-id") == str(alert["id"])
        assert f"level-row-{alert['level']}" in rows.nth(i).get_attribute("class")
    dismissed, confirmed = listed["items"][0]["id"], listed["items"][1]["id"]

    rows.first.click()
    page.wait_for_selector(f"#alert-detail[data-state=ready][data-id='{dismissed}']")
    page.click("#dismiss-form button[type=submit]")  # no reason: refused, nothing changes
    page.wait_for_selector("#alert-error:not([hidden])")
    assert page.inner_text("#alert-error") == "操作未完成：排除预警需要填写原因"
    assert service.api(f"/api/alerts/{dismissed}")["status"] == "pending"
    page.fill("#dismiss-form textarea[name=reason]", "与本公司无关，已核实")
    page.click("#dismiss-form button[type=submit]")
    page.wait_for_selector(f"#alert-detail[data-status=dismissed][data-id='{dismissed}']")
    assert service.api(f"/api/alerts/{dismissed}")["dismiss_reason"] == "与本公司无关，已核实"

    page.locator(f"#alerts tbody tr[data-id='{confirmed}']").click()
    page.wait_for_selector(f"#alert-detail[data-state=ready][data-id='{confirmed}']")
    detail = service.api(f"/api/alerts/{confirmed}")
    mentions = page.locator("#alert-mentions .mention")
    assert mentions.count() == len(detail["mentions"]) >= 1
    first = detail["mentions"][0]["mention_id"]
    assert mentions.first.get_attribute("data-id") == first
    assert set(page.locator("#alert-actions form").evaluate_all("fs => fs.map(f => f.id)")) == \
        {"confirm-form", "dismiss-form", "comment-form"}
    correct = mentions.first.locator("details.correct")
    correct.locator("summary").click()
    correct.locator("select[name=sentiment]").select_option("negative")
    correct.locator("input[value=service]").check()
    correct.locator("button[type=submit]").click()
    page.wait_for_selector("#alert-mentions .mention .tag.corrected")
    stored = service.api(f"/api/mentions/{first}")
    assert stored["sentiment"] == "negative" and "service" in stored["categories"]
    assert stored["correction"]["by"] == "pr1"

    page.select_option("#confirm-form select[name=department]", "customer")
    page.fill("#confirm-form textarea[name=comment]", "属实，请客服中心核实处理")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector(f"#alert-detail[data-status=confirmed][data-id='{confirmed}']")
    link = page.locator("#alert-tickets a")
    ticket = int(link.inner_text().lstrip("#"))
    assert service.api(f"/api/tickets/{ticket}")["department"] == "customer"
    assert "确认并转工单" in page.inner_text("#alert-events")
    screenshot(page, "alerts-pr")
    logout(page, service)
    return confirmed, ticket


def test_an_alert_becomes_a_ticket_worked_and_closed_by_the_right_roles(page, service: Service) -> None:
    _, ticket = review_an_alert(page, service)

    # The handler of 客服中心: accept, reply, finish; a reply is required, closing is not theirs.
    open_ticket_page(page, service, "kefu", ticket)
    assert buttons(page) == TICKET_ACTIONS_OF["handler", "assigned"]
    assert page.locator(f"#board .column[data-status=assigned] .ticket[data-id='{ticket}']").count() == 1
    assert "签收剩余" in page.inner_text("#ticket-clock")
    take(page, "accept")
    page.wait_for_selector("#ticket-detail[data-status=in_progress]")
    assert buttons(page) == TICKET_ACTIONS_OF["handler", "in_progress"]
    take(page, "reply", reply="已联系用户，正在核实")
    page.wait_for_selector("#ticket-events li[data-action=reply]")
    take(page, "resolve")
    page.wait_for_selector("#action-error:not([hidden])")
    assert page.inner_text("#action-error") == "“办结”未执行：“办结”需要填写办理情况"
    assert service.api(f"/api/tickets/{ticket}")["status"] == "in_progress"
    take(page, "resolve", reply="已上门处理，用户认可")
    page.wait_for_selector("#ticket-detail[data-status=resolved]")
    before = service.api(f"/api/tickets/{ticket}")
    refused = page.evaluate("""async id => {  // as if a button for it existed: the API refuses
        const {token} = JSON.parse(localStorage.getItem('yuqing.auth'));
        const r = await fetch(`/api/tickets/${id}/actions/close`, {method: 'POST', body: '{}',
            headers: {'Content-Type': 'application/json', Authorization: `Bearer ${token}`}});
        return [r.status, (await r.json()).detail]; }""", ticket)
    assert refused == [403, "责任部门无权执行“关闭”"]
    assert service.api(f"/api/tickets/{ticket}") == before
    screenshot(page, "tickets-handler")
    logout(page, service)

    # The supervisor: return visit and close; the page's figures follow.
    open_ticket_page(page, service, "sup1", ticket)
    figures = supervision_row(page, "customer")
    assert buttons(page) == TICKET_ACTIONS_OF["supervisor", "resolved"]
    assert service.post(f"/api/tickets/{ticket}/actions/comment", "kefu", {"comment": "已补充照片"}).status_code == 200
    take(page, "visit", visit_result="电话回访，用户满意", satisfaction="4")  # this page is now stale
    page.wait_for_selector("#action-error:not([hidden])")
    assert "工单已被他人更新" in page.inner_text("#action-error")
    assert service.api(f"/api/tickets/{ticket}")["status"] == "resolved"
    page.locator(f"#board .ticket[data-id='{ticket}']").click()  # reload it, then visit again
    page.wait_for_selector("#ticket-detail[data-state=ready]:has(#ticket-events li[data-action=comment])")
    take(page, "visit", visit_result="电话回访，用户满意", satisfaction="4")
    page.wait_for_selector("#ticket-detail[data-status=visited]")
    assert buttons(page) == TICKET_ACTIONS_OF["supervisor", "visited"]
    take(page, "close")
    page.wait_for_selector("#ticket-detail[data-status=closed]")
    trail = page.locator("#ticket-events li").evaluate_all("ls => ls.map(l => l.dataset.action)")
    assert trail == ["create", "assign", "accept", "reply", "resolve", "comment", "visit", "close"]
    assert page.locator(f"#board .ticket[data-id='{ticket}']").count() == 0  # off the board
    page.wait_for_selector(f"#closed tbody tr[data-id='{ticket}']")
    after = supervision_row(page, "customer")
    api = {row["department"]: row for row in service.api("/api/supervision", user="sup1")}["customer"]
    assert int(after["closed"]) == int(figures["closed"]) + 1 == api["closed"]
    assert after["mean_satisfaction"] == f"{api['mean_satisfaction']:.1f}"  # a score now exists
    screenshot(page, "tickets-supervisor")


def test_overdue_tickets_show_their_clock_and_escalation(page, service: Service) -> None:
    ticket = service.overdue_ticket
    open_ticket_page(page, service, "sup1", ticket)
    card = page.locator(f"#board .ticket[data-id='{ticket}']")
    assert "overdue" in card.get_attribute("class")
    before = service.api(f"/api/tickets/{ticket}", user="sup1")
    assert before["clock"]["overdue"] and before["escalation_level"] >= 1
    assert f"督办×{before['escalation_level']}" in card.inner_text()
    assert re.search(r"签收已超时 \d 天", card.inner_text())  # opened OVERDUE_DAYS ago
    board = service.api("/api/tickets/board", user="sup1")
    assert page.inner_text("#kpi-overdue") == str(sum(c["overdue"] for c in board)) != "0"
    assert page.inner_text("#kpi-escalated") == str(sum(c["escalated"] for c in board))
    late = {row["department"]: row for row in service.api("/api/supervision", user="sup1")}["dispatch"]
    row = page.locator("#supervision tbody tr[data-department=dispatch]")
    assert row.locator("td[data-key=overdue_now]").inner_text() == str(late["overdue_now"]) != "0"
    take(page, "escalate", comment="请调度中心今日内签收")  # 督办 by hand, one level up
    page.wait_for_selector(f"#ticket-events li[data-action=escalate] >> nth={before['escalation_level']}")
    level = service.api(f"/api/tickets/{ticket}", user="sup1")["escalation_level"]
    assert level == min(before["escalation_level"] + 1, 3)
    assert f"督办×{level}" in page.inner_text(f"#board .ticket[data-id='{ticket}']")
    title = page.inner_text("#ticket-title")
    assert title.endswith(f"督办×{level}") and "null" not in title
    screenshot(page, "tickets-overdue")


def test_each_role_sees_its_pages_only(page, service: Service) -> None:
    login(page, service, user="kefu", next_path="/alerts")
    page.wait_for_selector("#forbidden")
    assert page.inner_text("#forbidden h2") == "责任部门无权使用“预警审核”"
    visible = page.locator("#nav a:not([hidden])").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert visible == ["/", "/tickets", "/sites"]
    page.goto(f"{service.url}/tickets")
    page.wait_for_selector("#board[data-state=ready]")
    shown = set(page.locator("#board .ticket").evaluate_all("ts => ts.map(t => t.dataset.id)"))
    own = {str(t["id"]) for c in service.api("/api/tickets/board", user="kefu") for t in c["items"]}
    assert shown == own and str(service.overdue_ticket) not in shown  # another department's ticket
    assert page.locator("#department-filter").is_hidden() and page.locator("#supervision-card").is_hidden()
    logout(page, service)
    login(page, service, user="boss", next_path=quote(f"/tickets#id={service.overdue_ticket}", safe=""))
    page.wait_for_selector("#ticket-detail[data-state=ready]")
    assert buttons(page) == set() and "当前没有您可执行的操作" in page.inner_text("#ticket-actions")
    page.wait_for_selector("#supervision-card[data-state=ready]")
    page.goto(f"{service.url}/alerts")
    page.wait_for_selector("#inbox[data-state=ready]")
    page.locator("#alerts tbody tr").first.click()
    page.wait_for_selector("#alert-detail[data-state=ready]")
    assert page.locator("#alert-actions form").count() == 0 and page.locator("details.correct").count() == 0
    screenshot(page, "alerts-viewer")
