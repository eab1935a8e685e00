"""`yuqing backup`: one `.tar.gz` of the data directory, taken while the service runs.

Every SQLite file is copied with SQLite's online backup API in one step: a read transaction on
the source sees one committed state (WAL lets the service keep writing meanwhile), so each copy
is consistent; it is then switched to rollback-journal mode (one file, no -wal beside it) and
checked with `PRAGMA integrity_check` before it goes into the archive. The files are copied in
an order that keeps them consistent with each other although taken one after the other:

1. crawl state (high-water marks) before the mentions: no mark points past what the copy of
   the index holds, so after a restore the next crawl reads again what came later — no gap;
2. the alerts database and the evidence index before the mentions: every mention they name is
   in the copy of the index (mentions are only ever added);
3. evidence bodies after their index (a body is written before its row), then the mentions;
4. briefings and the rule file (plain files, each replaced atomically by the service).

`manifest.json` (the last member) lists every file with its size and SHA-256, the row counts
of every table and the integrity verdicts; `yuqing restore` checks all of it before it
touches the data directory. PostgreSQL and Elasticsearch are not in the archive: they have
their own tools (`pg_dump`, snapshots; see README, "Backups").
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from yuqing import __version__
from yuqing.records import SHANGHAI
from yuqing.settings import Settings

FORMAT = 1
PREFIX = "yuqing-backup-"
SUFFIX = ".tar.gz"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on, as one line."""


@dataclass
class Archive:
    path: Path
    size: int
    files: int
    summary: str
    notes: list[str] = field(default_factory=list)


def sqlite_files(settings: Settings) -> list[tuple[str, Path]]:
    """(name in the archive, path) of the SQLite files, in the order they must be copied."""
    storage = settings.storage
    files = [("crawl_state.sqlite", storage.crawl_state_db), ("es_outbox.sqlite", storage.es_outbox_db)]
    if settings.alerts.database_url is None:
        files.append(("yuqing.sqlite", storage.alerts_db))
    files += [("sites.sqlite", storage.sites_db),
              ("evidence/evidence.sqlite", storage.evidence_dir / "evidence.sqlite")]
    if not settings.es.url:
        files.append(("mentions.sqlite", storage.mentions_db))
    return files


def copy_sqlite(source: Path, target: Path) -> dict[str, Any]:
    """A consistent copy through the online backup API, as one file; its table counts."""
    src = sqlite3.connect(str(source), timeout=30)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)  # one step: one read transaction, one committed state
            dst.execute("PRAGMA journal_mode = DELETE")
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            tables = [row[0] for row in dst.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
            counts = {name: dst.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables}
            version = dst.execute("PRAGMA user_version").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if verdict != "ok":
        raise BackupError(f"{source}: the copy fails PRAGMA integrity_check ({verdict}); the source may be damaged")
    return {"integrity": verdict, "user_version": version, "tables": counts}


class _Hashing(io.RawIOBase):
    """Reads a file for tarfile while hashing what passes."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.sha = handle, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha.update(data)
        return data


def _add(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as handle:
        reader = _Hashing(handle)
        tar.addfile(info, reader)
    return {"name": name, "size": info.size, "sha256": reader.sha.hexdigest()}


def _plain_files(settings: Settings) -> Iterator[tuple[str, Path]]:
    """Evidence bodies, briefings and the rule file, as (name in the archive, path)."""
    from yuqing.wiring import rules_path

    storage = settings.storage
    # Only finished files: evidence bodies are `<sha256>.gz` (a body being written has a temporary
    # name), briefings are replaced from hidden temporary files.
    for directory, prefix, pattern in ((storage.evidence_dir, "evidence", "??/*.gz"),
                                       (storage.reports_dir, "reports", "*")):
        if directory.is_dir():
            for path in sorted(directory.glob(pattern)):
                if path.is_file() and not path.name.startswith("."):
                    yield f"{prefix}/{path.relative_to(directory).as_posix()}", path
    rules = rules_path(settings)
    if rules.is_file():
        yield "alert_rules.yaml", rules


def _room(settings: Settings, target: Path) -> None:
    needed = sum(p.stat().st_size for _, p in sqlite_files(settings) if p.is_file())
    free = shutil.disk_usage(target).free
    if free < 2 * needed:  # the staged copies, then the archive (smaller: compressed)
        raise BackupError(f"{target}: {free / 2**20:,.0f} MB free, a backup needs about {2 * needed / 2**20:,.0f} MB")


def make_backup(settings: Settings, target: Path, *, now: datetime | None = None) -> Archive:
    """Write `<target>/yuqing-backup-<time>.tar.gz`; BackupError (one line) if it cannot."""
    data = settings.storage.data_dir
    if not data.is_dir():
        raise BackupError(f"{data}: no data directory to back up (yuqing init creates it)")
    target.mkdir(parents=True, exist_ok=True)
    _room(settings, target)
    now = now or datetime.now(SHANGHAI)
    final = target / f"{PREFIX}{now:%Y%m%dT%H%M%S}{SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    manifest: dict[str, Any] = {"format": FORMAT, "yuqing": __version__, "created_at": now.isoformat(),
                                "host": socket.gethostname(), "data_dir": str(data.resolve()),
                                "databases": {}, "files": []}
    notes = _notes(settings)
    with tempfile.TemporaryDirectory(dir=target, prefix=".staging-") as staging, \
            tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        for name, path in sqlite_files(settings):
            if not path.is_file():
                continue
            copy = Path(staging) / name.replace("/", "__")
            manifest["databases"][name] = copy_sqlite(path, copy)
            manifest["files"].append({**_add(tar, copy, name), "kind": "sqlite"})
            copy.unlink()
        for name, path in _plain_files(settings):
            manifest["files"].append({**_add(tar, path, name), "kind": "file"})
        manifest["notes"] = notes
        body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mtime = len(body), int(now.timestamp())
        tar.addfile(info, io.BytesIO(body))
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, final)
    counts = {name: db["tables"] for name, db in manifest["databases"].items()}
    mentions = counts.get("mentions.sqlite", {}).get("mentions")
    tickets = counts.get("yuqing.sqlite", {}).get("tickets")
    summary = (f"{len(manifest['files'])} files, {len(counts)} databases (integrity ok)"
               + (f", {mentions:,} mentions" if mentions is not None else "")
               + (f", {tickets:,} tickets" if tickets is not None else ""))
    return Archive(path=final, size=final.stat().st_size, files=len(manifest["files"]), summary=summary, notes=notes)


def _notes(settings: Settings) -> list[str]:
    notes = []
    if settings.alerts.database_url is not None:
        notes.append("alerts, tickets and users are in PostgreSQL: back them up with pg_dump (README, Backups)")
    if settings.es.url:
        notes.append("mentions are in Elasticsearch: take a snapshot with yuqing es snapshot (README, Backups); "
                     "the outbox is in here")
    return notes


def backups_in(directory: Path) -> list[Path]:
    """Archives made by yuqing backup in `directory`, oldest first."""
    return sorted(p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives; the ones deleted."""
    old = backups_in(directory)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old
