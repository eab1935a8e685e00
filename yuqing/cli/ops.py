"""`yuqing doctor`, `yuqing backup`, `yuqing restore`: running the service for real."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit


@app.command()
def doctor(
    config: ConfigOption = None,
    send_test: Annotated[bool, typer.Option(help="send a real test message to each webhook channel")] = False,
    deep: Annotated[bool, typer.Option(help="also read every page of the SQLite index (PRAGMA quick_check)")] = False,
    timeout: Annotated[float, typer.Option(min=0.5, max=120, help="seconds per network check")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="the findings as JSON")] = False,
) -> None:
    """Check the configuration, data directory, rules, sources' credentials, mention index, database
    and migrations, and notification channels; one line per finding, exit code 1 if any failed."""
    from yuqing.ops.doctor import Options, Status, run_checks

    findings = run_checks(config, Options(send_test=send_test, deep=deep, timeout=timeout))
    if as_json:
        typer.echo(json.dumps([{"area": f.area, "status": f.status.value.lower(), "message": f.message}
                               for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            typer.echo(finding.line)
    failures = sum(f.status == Status.fail for f in findings)
    if failures:
        if not as_json:
            typer.echo(f"{failures} problem{'s' if failures > 1 else ''} found", err=True)
        raise typer.Exit(1)


@app.command()
def backup(
    directory: Annotated[Path | None, typer.Argument(help="where the archive goes (default: backups/ beside "
                                                         "the data directory)")] = None,
    config: ConfigOption = None,
    keep: Annotated[int, typer.Option(min=0, help="then delete all but the newest N archives there (0: keep all)")]
    = 0,
) -> None:
    """Back up the data directory while the service runs: every SQLite file through SQLite's online
    backup API (a consistent copy), evidence, briefings and the rule file, into one .tar.gz with
    a manifest of checksums and integrity checks."""
    from yuqing.ops.backup import BackupError, make_backup, prune

    settings = settings_or_exit(config)
    target = directory or settings.storage.data_dir.resolve().parent / "backups"
    try:
        archive = make_backup(settings, target)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"{archive.path} ({archive.size / 2**20:.1f} MB): {archive.summary}")
    for note in archive.notes:
        typer.echo(f"note: {note}")
    for removed in prune(target, keep) if keep else []:
        typer.echo(f"removed old backup {removed.name}")


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="a yuqing-backup-*.tar.gz made by yuqing backup")],
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option(help="restore even while a service uses the data directory "
                                             "(restart it at once afterwards)")] = False,
    check: Annotated[bool, typer.Option("--check", help="only verify the archive (checksums, integrity)")] = False,
) -> None:
    """Restore a backup into the data directory; the files it replaces are moved aside (never
    deleted). Refused while the service runs, unless --force."""
    from yuqing.ops.backup import BackupError
    from yuqing.ops.restore import restore_backup, verify_backup

    settings = settings_or_exit(config)
    try:
        if check:
            manifest = verify_backup(archive)
            typer.echo(f"{archive}: OK, {len(manifest['files'])} files from {manifest['created_at']}")
            return
        done = restore_backup(settings, archive, force=force)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"restored {len(done.restored)} files from {archive} into {settings.storage.data_dir}")
    if done.moved_aside:
        typer.echo(f"the files it replaced are in {done.moved_aside}")
    for note in done.notes:
        typer.echo(f"note: {note}")
