"""Two failures in a row open an incident (the alert hook is called once); the next pass
recovers it. Real checks against the local site, a recording hook in place of the alerts stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.incidents import IncidentHooks
from crawlers.sitecheck.service import run_site_checks
from crawlers.sitecheck.store import SiteStore
from tests.crawlers.sitecheck.conftest import NOW, site_settings, target
from tools.site_server import SiteServer


@dataclass
class Recorder:
    """Stands in for the alerts stage: records calls, returns alert ids, can be made to fail."""

    opened: list[dict[str, Any]] = field(default_factory=list)
    recovered: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0

    def on_incident(self, *, target, result, streak) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("alerts database unavailable")
        self.opened.append({"target": target.name, "reason": result.reason, "streak": len(streak)})
        return f"alert-{len(self.opened)}"

    def on_recovery(self, *, target, result, incident) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("alerts database unavailable")
        self.recovered.append({"target": target.name, "alert_ref": incident.alert_ref, "ok": result.ok})

    @property
    def hooks(self) -> IncidentHooks:
        return IncidentHooks(on_incident=self.on_incident, on_recovery=self.on_recovery)


@pytest.fixture
def flaky(site: SiteServer, tmp_path):
    """Settings whose target 'svc' is whatever URL the test points it at."""
    def settings(path: str, **sites):
        return site_settings(tmp_path, [target("svc", site.url(path)), target("home", site.url("/"))], **sites)
    return settings


def run(settings, recorder: Recorder, store: SiteStore, minutes: int):
    return run_site_checks(settings, now=NOW + timedelta(minutes=minutes), hooks=recorder.hooks, store=store)


def test_two_failures_open_one_incident_and_a_pass_recovers_it(flaky, tmp_path) -> None:
    recorder = Recorder()
    with SiteStore(tmp_path / "sites.sqlite") as store:
        first = run(flaky("/status/500"), recorder, store, 0)
        assert [r.target for r in first.failed] == ["svc"] and recorder.opened == []  # one failure: no alert
        second = run(flaky("/status/503"), recorder, store, 10)
        assert recorder.opened == [{"target": "svc", "reason": Reason.http_status, "streak": 2}]
        assert [i.target for i in second.events.opened] == ["svc"]
        incident = store.open_incidents()["svc"]
        assert incident.alert_ref == "alert-1" and "HTTP 503" in incident.detail
        assert incident.opened_at == NOW + timedelta(minutes=10)
        run(flaky("/status/500"), recorder, store, 20)  # still failing: no second alert
        assert len(recorder.opened) == 1
        recovered = run(flaky("/"), recorder, store, 30)
        assert recorder.recovered == [{"target": "svc", "alert_ref": "alert-1", "ok": True}]
        assert [i.recovered_at for i in recovered.events.recovered] == [NOW + timedelta(minutes=30)]
        assert store.open_incidents() == {}
        assert store.incidents("svc")[0].recovered_at == NOW + timedelta(minutes=30)
        run(flaky("/"), recorder, store, 40)
        assert len(recorder.recovered) == 1  # recovery is announced once


def test_a_pass_between_failures_resets_the_streak(flaky, tmp_path) -> None:
    recorder = Recorder()
    with SiteStore(tmp_path / "sites.sqlite") as store:
        for minutes, path in enumerate(["/status/500", "/", "/status/500", "/", "/status/500"]):
            run(flaky(path), recorder, store, minutes * 10)
    assert recorder.opened == [] and recorder.recovered == []


def test_the_threshold_is_configurable(flaky, tmp_path) -> None:
    recorder = Recorder()
    with SiteStore(tmp_path / "sites.sqlite") as store:
        run(flaky("/status/500", failures_to_alert=1), recorder, store, 0)
    assert recorder.opened == [{"target": "svc", "reason": Reason.http_status, "streak": 1}]


def test_a_failing_hook_is_retried_on_the_next_run(flaky, tmp_path, caplog) -> None:
    recorder = Recorder(fail_next=1)
    with SiteStore(tmp_path / "sites.sqlite") as store:
        run(flaky("/status/500"), recorder, store, 0)
        report = run(flaky("/status/500"), recorder, store, 10)
        assert report.events.hook_errors and "alerts database unavailable" in report.events.hook_errors[0]
        assert store.open_incidents() == {} and recorder.opened == []  # not recorded as opened
        run(flaky("/status/500"), recorder, store, 20)
        assert recorder.opened == [{"target": "svc", "reason": Reason.http_status, "streak": 2}]
        recorder.fail_next = 1
        run(flaky("/"), recorder, store, 30)
        assert "svc" in store.open_incidents()  # recovery not delivered: still open
        run(flaky("/"), recorder, store, 40)
        assert store.open_incidents() == {} and recorder.recovered[0]["alert_ref"] == "alert-1"
    assert "the incident hook failed" in caplog.text
