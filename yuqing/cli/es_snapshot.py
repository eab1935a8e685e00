"""`yuqing es snapshot`, `yuqing es snapshots`, `yuqing es restore`: Elasticsearch snapshots of
the mention index (yuqing/ops/es_snapshot.py; README, "Backups")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, fail, settings_or_exit
from yuqing.cli.es import es_app
from yuqing.records import SHANGHAI


@es_app.command("snapshot")
def es_snapshot(
    name: Annotated[str | None, typer.Argument(help="snapshot name (default: <index prefix>-YYYY.MM.DD-HHMMSS)")]
    = None,
    config: ConfigOption = None,
    keep: Annotated[int, typer.Option(min=0, help="then delete all but the newest N snapshots (0: keep all)")] = 0,
) -> None:
    """Snapshot the mention indices and their alias into the repository in es.snapshot_location
    (registered on first use); safe while the service writes."""
    from yuqing.ops.es_snapshot import SnapshotError, connect, prune, take_snapshot

    settings = settings_or_exit(config)
    try:
        with connect(settings.es) as client:
            done = take_snapshot(client, settings.es, now=datetime.now(SHANGHAI), name=name)
            removed = prune(client, settings.es, keep=keep) if keep else []
    except SnapshotError as exc:
        fail(str(exc))
    typer.echo(f"snapshot {done.name} in repository {settings.es.snapshot_repository} "
               f"({settings.es.snapshot_location}): {len(done.indices)} indices: {', '.join(done.indices)}")
    for old in removed:
        typer.echo(f"removed old snapshot {old}")


@es_app.command("snapshots")
def es_snapshots(config: ConfigOption = None) -> None:
    """List the snapshots of the mention indices in the repository, oldest first."""
    from yuqing.ops.es_snapshot import SnapshotError, connect, list_snapshots

    settings = settings_or_exit(config)
    try:
        with connect(settings.es) as client:
            found = list_snapshots(client, settings.es)
    except SnapshotError as exc:
        fail(str(exc))
    for snap in found:
        when = f"{snap.started:%Y-%m-%d %H:%M:%S}" if snap.started else "?"
        typer.echo(f"{snap.name}  {when}  {snap.state}  {len(snap.indices)} indices")
    if not found:
        typer.echo(f"no snapshots in repository {settings.es.snapshot_repository} ({settings.es.snapshot_location})")


@es_app.command("restore")
def es_restore(
    name: Annotated[str, typer.Argument(help="the snapshot to restore (yuqing es snapshots lists them)")],
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Put the mention indices and their alias back as they were in a snapshot (the indices it
    holds are replaced; newer ones are kept), then the index template."""
    from yuqing.ops.es_snapshot import SnapshotError, connect, restore_snapshot

    settings = settings_or_exit(config)
    if not yes:
        typer.confirm(f"replace the mention indices {settings.es.index_prefix}-* held by snapshot {name} "
                      "with its copies?", abort=True)
    try:
        with connect(settings.es) as client:
            done = restore_snapshot(client, settings.es, name=name)
    except SnapshotError as exc:
        fail(str(exc))
    typer.echo(f"restored {len(done.indices)} indices from {done.snapshot}: {', '.join(done.indices)}")
    if done.newer:
        typer.echo(f"kept as they were (newer than the snapshot): {', '.join(done.newer)}")
