"""Failure streaks and recoveries: a target failing `failures_to_alert` times in a row opens
an incident; its next passing check recovers it. What an incident *does* (an alert and a
ticket for the IT department) is left to hooks the wiring passes in, so this module needs
nothing from the alerts stage.

A hook that raises is logged and changes nothing: the incident is not recorded as opened
(or recovered), so the next run tries again — an alert is never silently lost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from crawlers.sitecheck.records import CheckResult, Incident
from crawlers.sitecheck.store import SiteStore
from yuqing.settings_sites import SiteTarget

log = logging.getLogger("yuqing.sitecheck.incidents")


class OnIncident(Protocol):
    def __call__(self, *, target: SiteTarget, result: CheckResult, streak: Sequence[CheckResult]) -> str | None:
        """Open an alert for the target; return a reference to it (e.g. the alert id) or None."""


class OnRecovery(Protocol):
    def __call__(self, *, target: SiteTarget, result: CheckResult, incident: Incident) -> None:
        """Mark the incident's alert recovered (incident.alert_ref is what on_incident returned)."""


def log_incident(*, target: SiteTarget, result: CheckResult, streak: Sequence[CheckResult]) -> str | None:
    log.warning("site check %s failed %d times in a row: %s (%s)", target.name, len(streak),
                result.reason_zh, result.detail)
    return None


def log_recovery(*, target: SiteTarget, result: CheckResult, incident: Incident) -> None:
    log.info("site check %s recovered (incident since %s)", target.name, incident.opened_at)


@dataclass(frozen=True, slots=True)
class IncidentHooks:
    on_incident: OnIncident = log_incident
    on_recovery: OnRecovery = log_recovery


@dataclass(slots=True)
class IncidentEvents:
    opened: list[Incident] = field(default_factory=list)
    recovered: list[Incident] = field(default_factory=list)
    hook_errors: list[str] = field(default_factory=list)


def _opened(store: SiteStore, target: SiteTarget, result: CheckResult, threshold: int,
            hooks: IncidentHooks, events: IncidentEvents) -> None:
    streak = store.recent(target.name, limit=threshold)
    if len(streak) < threshold or any(r.ok for r in streak):
        return
    try:
        ref = hooks.on_incident(target=target, result=result, streak=streak)
    except Exception as exc:
        log.exception("site check %s: the incident hook failed; will retry next run", target.name)
        events.hook_errors.append(f"{target.name}: {type(exc).__name__}: {exc}")
        return
    events.opened.append(store.open_incident(target=target.name, opened_at=result.checked_at,
                                             reason=result.reason, detail=result.detail,
                                             alert_ref=None if ref is None else str(ref)))


def _recovered(store: SiteStore, target: SiteTarget, result: CheckResult, incident: Incident,
               hooks: IncidentHooks, events: IncidentEvents) -> None:
    try:
        hooks.on_recovery(target=target, result=result, incident=incident)
    except Exception as exc:
        log.exception("site check %s: the recovery hook failed; will retry next run", target.name)
        events.hook_errors.append(f"{target.name}: {type(exc).__name__}: {exc}")
        return
    store.recover_incident(incident.id, at=result.checked_at)
    events.recovered.append(incident.model_copy(update={"recovered_at": result.checked_at}))


def track(store: SiteStore, results: Sequence[CheckResult], *, targets: Mapping[str, SiteTarget],
          threshold: int, hooks: IncidentHooks) -> IncidentEvents:
    """Open and recover incidents for results already saved in the store."""
    events = IncidentEvents()
    open_now = store.open_incidents()
    for result in results:
        target = targets.get(result.target)
        if target is None:
            continue
        incident = open_now.get(result.target)
        if result.ok and incident is not None:
            _recovered(store, target, result, incident, hooks, events)
        elif not result.ok and incident is None:
            _opened(store, target, result, threshold, hooks, events)
    return events
