"""Evidence: the raw platform response a relevant mention came from, kept because posts get
deleted and staff must be able to show what was said.

Bodies are gzip-compressed and content-addressed (`<dir>/ab/abcdef….gz`, named by the
SHA-256 of the uncompressed bytes), so a search page holding ten relevant posts is stored
once and referenced ten times. An index (`evidence.sqlite`) links mention ids to bodies
with the URL, fetch time, HTTP status and content type.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from yuqing.records import SHANGHAI

SCHEMA = """
CREATE TABLE IF NOT EXISTS evidence (
    mention_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,           -- uncompressed bytes
    PRIMARY KEY (mention_id, sha256)
);
"""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A raw response as fetched (what a spider attaches to an item)."""

    url: str
    fetched_at: datetime
    body: bytes
    status: int = 200
    content_type: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    mention_id: str
    sha256: str
    url: str
    fetched_at: datetime
    status: int
    content_type: str
    size: int


class EvidenceStore:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.directory / "evidence.sqlite"), timeout=10,
                                     isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)

    def _path(self, sha256: str) -> Path:
        return self.directory / sha256[:2] / f"{sha256}.gz"

    def put(self, mention_id: str, evidence: Evidence) -> str:
        """Keep the body (once per content) and link it to the mention; returns its SHA-256."""
        sha256 = hashlib.sha256(evidence.body).hexdigest()
        path = self._path(sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(gzip.compress(evidence.body, mtime=0))
            os.replace(tmp.name, path)  # atomic: a reader never sees half a file
        self._conn.execute(
            "INSERT OR IGNORE INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?)",
            (mention_id, sha256, evidence.url, evidence.fetched_at.astimezone(SHANGHAI).isoformat(),
             evidence.status, evidence.content_type, len(evidence.body)))
        return sha256

    def records(self, mention_id: str) -> list[EvidenceRecord]:
        """Everything kept for a mention, newest fetch first."""
        rows = self._conn.execute(
            "SELECT * FROM evidence WHERE mention_id = ? ORDER BY fetched_at DESC", (mention_id,))
        return [EvidenceRecord(mention_id=r["mention_id"], sha256=r["sha256"], url=r["url"],
                               fetched_at=datetime.fromisoformat(r["fetched_at"]), status=r["status"],
                               content_type=r["content_type"], size=r["size"]) for r in rows.fetchall()]

    def body(self, sha256: str) -> bytes:
        """The uncompressed body; FileNotFoundError if it is not kept, ValueError if damaged."""
        data = gzip.decompress(self._path(sha256).read_bytes())
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"evidence {sha256} is damaged")
        return data

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EvidenceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
