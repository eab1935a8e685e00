"""`yuqing doctor`'s check of the Elasticsearch snapshots (yuqing/ops/es_snapshot.py): the
location is one the nodes allow (their path.repo), the repository is registered there and
verifies, and a recent snapshot exists. Nothing is registered or written by the check."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from yuqing.ops.doctor import Finding, failed, ok, warn
from yuqing.records import SHANGHAI
from yuqing.settings import EsSettings

AREA = "snapshots"
STALE = timedelta(days=2)  # a nightly snapshot missed twice


def check_snapshots(es: EsSettings, *, now: datetime | None = None) -> list[Finding]:
    from elasticsearch import ApiError, TransportError

    from store.es_client import describe, make_client
    from yuqing.ops.es_snapshot import SnapshotError, list_snapshots

    if not es.snapshot_location:
        return [warn(AREA, "es.snapshot_location is not set: the mentions in Elasticsearch have no snapshots "
                           "(README, Backups)")]
    location, name = es.snapshot_location, es.snapshot_repository
    client = make_client(es)
    try:
        refusing = _nodes_refusing(client, location)
        if refusing:
            return [failed(AREA, f"es.snapshot_location {location} is not in path.repo of node(s) "
                                 f"{', '.join(refusing)}: add it in elasticsearch.yml on every node and restart them")]
        found = client.options(ignore_status=404).snapshot.get_repository(name=name)
        current = found.body.get(name, {}) if found.meta.status == 200 else {}
        if current.get("settings", {}).get("location") != location:
            return [warn(AREA, f"repository {name} is not registered at {location} yet: "
                               "yuqing es snapshot registers it")]
        client.snapshot.verify_repository(name=name)
        snapshots = [s for s in list_snapshots(client, es) if s.state == "SUCCESS"]
    except SnapshotError as exc:
        return [failed(AREA, str(exc))]
    except (ApiError, TransportError) as exc:
        return [failed(AREA, f"repository {name} ({location}): {describe(exc, es.hosts, es.request_timeout)}")]
    finally:
        client.close()
    if not snapshots:
        return [warn(AREA, f"repository {name} ({location}) holds no snapshot of ours yet: yuqing es snapshot")]
    newest = snapshots[-1]
    text = f"repository {name} ({location}): {len(snapshots)} snapshots, newest {newest.name}"
    if newest.started and newest.started < (now or datetime.now(SHANGHAI)) - STALE:
        return [warn(AREA, f"{text} taken {newest.started:%Y-%m-%d %H:%M}, more than {STALE.days} days ago")]
    return [ok(AREA, text)]


def _nodes_refusing(client: Any, location: str) -> list[str]:
    """Names of the nodes whose path.repo does not hold `location` (none if we may not read it)."""
    from elasticsearch import AuthorizationException

    try:
        info = client.nodes.info(metric="settings", filter_path="nodes.*.name,nodes.*.settings.path.repo").body
    except AuthorizationException:  # an API key limited to our indices: the repository check below tells
        return []
    refusing = []
    for node in info.get("nodes", {}).values():
        repos = node.get("settings", {}).get("path", {}).get("repo", [])
        repos = [repos] if isinstance(repos, str) else repos
        target = PurePosixPath(location)
        if not any(target == PurePosixPath(r) or PurePosixPath(r) in target.parents for r in repos):
            refusing.append(node.get("name", "?"))
    return refusing
