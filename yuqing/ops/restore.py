"""`yuqing restore ARCHIVE`: put a backup back into the data directory.

Nothing is touched before the whole archive checks out: every member listed in the manifest
with its size and SHA-256, no member outside the data directory, every SQLite file passing
`PRAGMA integrity_check` once unpacked (into a staging directory beside the files). The data
directory must not be in use (the run lock; `--force` overrides it, and the service must then
be restarted at once). The files the archive replaces — with the `-wal` and `-shm` files of
each database, which must never meet a restored database — are moved into
`pre-restore-<time>/` in the data directory, never deleted; then the staged files are moved in.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import zlib
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from yuqing.ops.backup import CHUNK, FORMAT, BackupError
from yuqing.ops.runlock import DataDirInUse, RunLock
from yuqing.records import SHANGHAI
from yuqing.settings import Settings
from yuqing.wiring import rules_path


@dataclass
class Restored:
    restored: list[str] = field(default_factory=list)
    moved_aside: Path | None = None
    notes: list[str] = field(default_factory=list)


# What reading a damaged or cut archive raises: gzip's header and CRC (BadGzipFile, an
# OSError), a stream ending early (EOFError), bad deflate data (zlib.error), tar headers.
_UNREADABLE = (OSError, EOFError, zlib.error, tarfile.TarError)


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        member = tar.getmember("manifest.json")
        manifest = json.loads(tar.extractfile(member).read())
    except (KeyError, ValueError, AttributeError):
        raise BackupError(f"{archive}: no readable manifest.json: not a yuqing backup, or cut short") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BackupError(f"{archive}: backup format {found!r}, this yuqing reads {FORMAT}")
    # A damaged archive can still give valid JSON (deflate's back-references copy other bytes):
    # check the shape `yuqing backup` writes before anything is taken from it.
    try:
        names = {f["name"] for f in manifest["files"]
                 if isinstance(f["name"], str) and int(f["size"]) >= 0 and isinstance(f["sha256"], str)}
        shaped = len(names) == len(manifest["files"]) and set(manifest["databases"]) <= names \
            and all(isinstance(note, str) for note in manifest.get("notes", []))
    except (KeyError, TypeError, ValueError):
        shaped = False
    if not shaped:
        raise BackupError(f"{archive}: manifest.json is damaged; nothing was restored")
    return manifest


def _unpack(archive: Path, staging: Path | None) -> dict[str, Any]:
    """Check every member against the manifest (and write it under `staging` when given)."""
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 (closed by the with below)
    except _UNREADABLE as exc:
        raise BackupError(f"{archive}: cannot be read as a backup ({type(exc).__name__})") from None
    # A damaged archive can fail anywhere it is read, the manifest's lookup included (it reads
    # the whole listing).
    with tar:
        try:
            manifest = _manifest(tar, archive)
            expected = {f["name"]: f for f in manifest["files"]}
            seen = set()
            for member in tar:
                if member.name == "manifest.json":
                    continue
                if not (member.isfile() and _safe(member.name)) or member.name not in expected:
                    raise BackupError(f"{archive}: unexpected member {member.name!r}: refusing it")
                _check_member(tar, member, expected[member.name], staging, archive)
                seen.add(member.name)
            while tar.fileobj.read(CHUNK):  # to the end, so gzip checks its CRC over the whole stream
                pass
        except _UNREADABLE as exc:
            raise BackupError(f"{archive}: damaged ({type(exc).__name__}); nothing was restored") from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{archive}: {len(missing)} files of the manifest are missing, e.g. {missing[0]}")
    return manifest


def _check_member(tar: tarfile.TarFile, member: tarfile.TarInfo, listed: dict[str, Any], staging: Path | None,
                  archive: Path) -> None:
    source = tar.extractfile(member)
    sha, size = hashlib.sha256(), 0
    out = None
    if staging is not None:
        path = staging / member.name
        path.parent.mkdir(parents=True, exist_ok=True)
        out = path.open("wb")
    try:
        while chunk := source.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
            if out is not None:
                out.write(chunk)
    finally:
        if out is not None:
            out.close()
    if size != listed["size"] or sha.hexdigest() != listed["sha256"]:
        raise BackupError(f"{archive}: {member.name} does not match its checksum: the archive is damaged")


def verify_backup(archive: Path) -> dict[str, Any]:
    """The manifest, after every member was read and checked (nothing is written)."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    return _unpack(archive, None)


def _integrity(staging: Path, manifest: dict[str, Any]) -> None:
    for name in manifest["databases"]:
        with closing(sqlite3.connect(staging / name)) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"{name} in the archive fails PRAGMA integrity_check ({verdict}); nothing was restored")


def _destination(settings: Settings, name: str) -> Path:
    return rules_path(settings) if name == "alert_rules.yaml" else settings.storage.data_dir / name


def restore_backup(settings: Settings, archive: Path, *, force: bool = False,
                   now: datetime | None = None) -> Restored:
    """Restore `archive` into the data directory (see the module docstring)."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    data = settings.storage.data_dir
    data.mkdir(parents=True, exist_ok=True)
    lock = RunLock(data)
    result = Restored()
    try:
        lock.exclusive()
    except DataDirInUse as exc:
        if not force:
            raise BackupError(str(exc)) from None
        result.notes.append("the data directory was in use: restart the service now (systemctl restart yuqing)")
    stamp = f"{(now or datetime.now(SHANGHAI)):%Y%m%dT%H%M%S}"
    staging = data / f".restore-{stamp}"
    try:
        staging.mkdir()
        manifest = _unpack(archive, staging)
        _integrity(staging, manifest)
        result.moved_aside = _swap(settings, staging, manifest, data / f"pre-restore-{stamp}", result)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        lock.release()
    result.notes += manifest.get("notes", [])
    return result


def _swap(settings: Settings, staging: Path, manifest: dict[str, Any], aside: Path, result: Restored) -> Path | None:
    """Move what the archive replaces aside, then the staged files in."""
    names = [f["name"] for f in manifest["files"]]
    replaced: list[Path] = []
    for directory in ("evidence", "reports"):  # whole directories first: no stray file of the old set stays
        if any(n.startswith(f"{directory}/") for n in names):
            replaced.append(settings.storage.data_dir / directory)
    for name in manifest["databases"]:  # a database's journal files go with it
        target = _destination(settings, name)
        replaced += [Path(f"{target}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
    if "alert_rules.yaml" in names:
        replaced.append(_destination(settings, "alert_rules.yaml"))
    moved = False
    for path in replaced:
        if path.exists():
            keep = aside / path.relative_to(settings.storage.data_dir) if path.is_relative_to(
                settings.storage.data_dir) else aside / path.name
            keep.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, keep)
            moved = True
    for name in names:
        target = _destination(settings, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, target)
        result.restored.append(name)
    return aside if moved else None
