"""舆情总览's mention list in the browser: PR staff correct a mention there (it need not be part of
an alert), the index keeps the correction; other roles get no correction controls."""

from __future__ import annotations

from tests.api.pages.conftest import Service, login, logout
from tests.api.pages.test_browser import open_overview


def _correct(page, mention_id: str, sentiment: str) -> None:
    form = page.locator(f"#mentions .mention[data-id='{mention_id}'] details.correct")
    form.locator("summary").click()
    form.locator("select[name=sentiment]").select_option(sentiment)
    form.locator("button[type=submit]").click()


def test_pr_staff_correct_a_mention_in_the_list(page, service: Service) -> None:
    open_overview(page, service)  # as pr1
    first = page.locator("#mentions .mention").first
    mention_id = first.get_attribute("data-id")
    before = service.api(f"/api/mentions/{mention_id}")
    other = "positive" if before["sentiment"] != "positive" else "negative"
    _correct(page, mention_id, other)
    page.wait_for_function(  # the list reloads with the corrected badge
        "([id, label]) => document.querySelector(`#mentions .mention[data-id='${id}'] .badge`)?.textContent === label",
        arg=[mention_id, {"positive": "正面", "negative": "负面"}[other]])
    stored = service.api(f"/api/mentions/{mention_id}")
    assert stored["sentiment"] == other and stored["correction"]["by"] == "pr1"
    assert stored["categories"] == before["categories"]  # the form sent the categories as they were
    assert page.locator(f"#mentions .mention[data-id='{mention_id}'] .tag.corrected").count() == 1
    _correct(page, mention_id, before["sentiment"])  # put it back for the other tests
    page.wait_for_function(
        "([id, s]) => document.querySelector(`#mentions .mention[data-id='${id}']`)?.classList.contains(s)",
        arg=[mention_id, before["sentiment"]])
    assert service.api(f"/api/mentions/{mention_id}")["sentiment"] == before["sentiment"]
    logout(page, service)
    login(page, service, user="boss")
    page.wait_for_selector("#mention-section[data-state=ready]", timeout=30_000)
    assert page.locator("#mentions .mention").count() > 0 and page.locator("#mentions details.correct").count() == 0
