"""Elasticsearch snapshots of the mention index: `yuqing es snapshot`, `yuqing es snapshots`,
`yuqing es restore`.

The repository is a shared-filesystem (`fs`) one, in `es.snapshot_location` on the nodes (a
directory their `path.repo` lists), registered under `es.snapshot_repository` the first time
it is needed. A snapshot holds the monthly indices `<prefix>-*` with the alias on them
(index metadata travels with each index); the cluster's global state is left out, and the
index template is put back from this code's own definition after a restore (the template is
code, not data). Writes may go on while a snapshot is taken: every write acknowledged before
it started is in it.

A restore first checks that the snapshot exists and is complete, then closes the indices it
will overwrite and restores them (with the alias); if the restore itself fails, the closed
indices are opened again. Indices newer than the snapshot are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from store.base import StoreError
from store.es_client import api_reason, check, describe, make_client
from store.es_schema import MAPPING_VERSION, MAPPINGS, index_month, template_body
from yuqing.records import SHANGHAI
from yuqing.settings import EsSettings

SNAPSHOT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,120}$")


class SnapshotError(RuntimeError):
    """A snapshot or restore that cannot go ahead, as one line a person can act on."""


@dataclass
class Snapshot:
    name: str
    state: str
    started: datetime | None
    indices: list[str]
    failures: int = 0


@dataclass
class Restored:
    snapshot: str
    indices: list[str]
    newer: list[str] = field(default_factory=list)  # ours, not in the snapshot: left as they were


def connect(es: EsSettings) -> Elasticsearch:
    """A client for the configured cluster, refused at once without a snapshot location."""
    if not es.url:
        raise SnapshotError("no Elasticsearch configured: set YUQING_ES_URL (or es.url in the config file)")
    if not es.snapshot_location:
        raise SnapshotError("no snapshot repository configured: set es.snapshot_location to a directory "
                            "listed in path.repo on the Elasticsearch nodes")
    try:
        client = make_client(es)
        check(client, es)
    except StoreError as exc:
        raise SnapshotError(str(exc)) from None
    return client


def _fail(exc: Exception, es: EsSettings) -> SnapshotError:
    return SnapshotError(describe(exc, es.hosts, es.request_timeout))


def ensure_repository(client: Elasticsearch, es: EsSettings) -> bool:
    """Register the repository unless it already points at es.snapshot_location; True if registered now."""
    name, location = es.snapshot_repository, es.snapshot_location
    try:
        found = client.options(ignore_status=404).snapshot.get_repository(name=name)
        if found.meta.status == 200:
            current = found.body.get(name, {})
            if current.get("type") == "fs" and current.get("settings", {}).get("location") == location:
                return False
        client.snapshot.create_repository(name=name, repository={"type": "fs", "settings": {"location": location}},
                                          verify=True)
    except ApiError as exc:
        reason = api_reason(exc)
        if "path.repo" in _causes(exc):
            raise SnapshotError(f"es.snapshot_location {location} is not allowed by the Elasticsearch nodes: "
                                "add it to path.repo in elasticsearch.yml on every node and restart them") from None
        raise SnapshotError(f"snapshot repository {name} ({location}, es.snapshot_location): "
                            f"HTTP {exc.status_code}: {reason}: {_causes(exc)}") from None
    except TransportError as exc:
        raise _fail(exc, es) from None
    return True


def _causes(exc: ApiError) -> str:
    """Every reason in the error's caused_by chain (the first one is often only "failed to create")."""
    error, reasons = exc.body.get("error") if isinstance(exc.body, dict) else None, []
    while isinstance(error, dict):
        reasons.append(str(error.get("reason", "")))
        error = error.get("caused_by")
    return " / ".join(reasons)


def _ours(es: EsSettings, names: list[str]) -> list[str]:
    return sorted(n for n in names if index_month(es.index_prefix, n))


def _snapshot_of(info: dict[str, Any]) -> Snapshot:
    started = info.get("start_time_in_millis")
    return Snapshot(
        name=info["snapshot"],
        state=info.get("state", "?"),
        started=datetime.fromtimestamp(started / 1000, SHANGHAI) if started else None,
        indices=sorted(info.get("indices", [])),
        failures=len(info.get("failures", []) or []),
    )


def take_snapshot(client: Elasticsearch, es: EsSettings, *, now: datetime, name: str | None = None) -> Snapshot:
    """Snapshot our monthly indices (and their alias); waits until it is complete."""
    name = name or f"{es.index_prefix}-{now.astimezone(SHANGHAI):%Y.%m.%d-%H%M%S}"
    if not SNAPSHOT_NAME.match(name):
        raise SnapshotError(f"snapshot name {name!r}: lower-case letters, digits, '.', '_' and '-' only")
    ensure_repository(client, es)
    try:
        found = client.options(ignore_status=404).indices.get_alias(index=f"{es.index_prefix}-*")
        indices = _ours(es, list(found.body)) if found.meta.status == 200 else []
        if not indices:
            raise SnapshotError(f"no indices {es.index_prefix}-YYYY.MM to snapshot (es.index_prefix; "
                                "yuqing es init creates them)")
        done = client.snapshot.create(
            repository=es.snapshot_repository, snapshot=name, indices=",".join(indices),
            include_global_state=False, wait_for_completion=True,
            metadata={"taken_by": "yuqing", "index_prefix": es.index_prefix, "mapping": MAPPING_VERSION})
    except ApiError as exc:
        raise SnapshotError(f"snapshot {name} in repository {es.snapshot_repository}: HTTP {exc.status_code}: "
                            f"{api_reason(exc)}") from None
    except TransportError as exc:
        raise _fail(exc, es) from None
    snapshot = _snapshot_of(done.body["snapshot"])
    if snapshot.state != "SUCCESS":
        raise SnapshotError(f"snapshot {name} ended {snapshot.state} ({snapshot.failures} shard failures): "
                            "do not rely on it; see the Elasticsearch log")
    return snapshot


def list_snapshots(client: Elasticsearch, es: EsSettings) -> list[Snapshot]:
    """The repository's snapshots holding our indices, oldest first."""
    ensure_repository(client, es)
    try:
        found = client.snapshot.get(repository=es.snapshot_repository, snapshot="*")
    except (ApiError, TransportError) as exc:
        raise _fail(exc, es) from None
    snapshots = [_snapshot_of(info) for info in found.body.get("snapshots", [])]
    mine = [s for s in snapshots if _ours(es, s.indices)]
    return sorted(mine, key=lambda s: (s.started or datetime.min.replace(tzinfo=SHANGHAI), s.name))


def prune(client: Elasticsearch, es: EsSettings, *, keep: int) -> list[str]:
    """Delete all but the newest `keep` complete snapshots of our indices; the names deleted."""
    complete = [s for s in list_snapshots(client, es) if s.state == "SUCCESS"]
    old = [s.name for s in complete[:-keep]] if keep > 0 else []
    if old:
        try:
            client.snapshot.delete(repository=es.snapshot_repository, snapshot=",".join(old))
        except (ApiError, TransportError) as exc:
            raise _fail(exc, es) from None
    return old


def _find(client: Elasticsearch, es: EsSettings, name: str) -> Snapshot:
    try:
        found = client.options(ignore_status=404).snapshot.get(repository=es.snapshot_repository, snapshot=name)
    except (ApiError, TransportError) as exc:
        raise _fail(exc, es) from None
    infos = found.body.get("snapshots", []) if found.meta.status == 200 else []
    if not infos:
        raise SnapshotError(f"snapshot {name} is not in repository {es.snapshot_repository} "
                            f"({es.snapshot_location}); yuqing es snapshots lists them. Nothing was changed")
    snapshot = _snapshot_of(infos[0])
    if snapshot.state != "SUCCESS":
        raise SnapshotError(f"snapshot {name} is {snapshot.state}, not complete: choose another. Nothing was changed")
    if not _ours(es, snapshot.indices):
        raise SnapshotError(f"snapshot {name} holds no indices {es.index_prefix}-YYYY.MM (es.index_prefix). "
                            "Nothing was changed")
    return snapshot


def restore_snapshot(client: Elasticsearch, es: EsSettings, *, name: str) -> Restored:
    """Put our indices (and alias) back as they were in snapshot `name`, then the template."""
    ensure_repository(client, es)  # a new cluster knows the directory but not the repository yet
    snapshot = _find(client, es, name)
    wanted = _ours(es, snapshot.indices)
    try:
        found = client.options(ignore_status=404).indices.get_alias(index=f"{es.index_prefix}-*")
        existing = _ours(es, list(found.body)) if found.meta.status == 200 else []
        overwritten = [i for i in existing if i in wanted]
        if overwritten:
            client.indices.close(index=",".join(overwritten), wait_for_active_shards=0)
        try:
            client.snapshot.restore(repository=es.snapshot_repository, snapshot=name, indices=",".join(wanted),
                                    include_global_state=False, include_aliases=True, wait_for_completion=True)
        except (ApiError, TransportError):
            if overwritten:  # give the service its indices back as they were
                client.options(ignore_status=(400, 404)).indices.open(index=",".join(overwritten))
            raise
        client.indices.put_index_template(name=es.index_prefix, **template_body(
            es.index_prefix, shards=es.shards, replicas=es.replicas))
        client.indices.put_mapping(index=",".join(wanted), properties=MAPPINGS["properties"],
                                   meta=MAPPINGS["_meta"])  # an older snapshot gets the added fields
    except ApiError as exc:
        raise SnapshotError(f"restore of {name}: HTTP {exc.status_code}: {api_reason(exc)}") from None
    except TransportError as exc:
        raise _fail(exc, es) from None
    return Restored(snapshot=name, indices=wanted, newer=[i for i in existing if i not in wanted])
