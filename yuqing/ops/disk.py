"""Free space in the data directory, and the guard that stops ingest before the disk fills.

Every store of the embedded set-up (mention index, evidence, crawl state, the alerts database)
lives in the data directory. When its file system has less than `storage.min_free_mb` free,
`DiskGuard.check()` raises `StoreFull` before anything is analysed or written: the crawl stops
cleanly (its high-water marks stay, so the mentions are read again later) and an operations
alert opens while the space held back is still there to record it. Should the disk fill anyway
(the guard turned off, another program filling it), SQLite refuses the transaction as a whole
(`SQLITE_FULL`), the store rolls back and raises `StoreFull` too: nothing is half-written.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from store.base import StoreFull

log = logging.getLogger("yuqing.disk")
MB = 1024 * 1024
ALERT_KEY = "disk:data_dir"


@dataclass(frozen=True, slots=True)
class Space:
    path: Path
    free: int  # bytes available to this user
    total: int

    @property
    def free_mb(self) -> float:
        return self.free / MB


def space(path: Path) -> Space:
    """Free and total bytes of the file system holding `path` (its nearest existing parent)."""
    probe = Path(path).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    return Space(path=Path(path), free=usage.free, total=usage.total)


def low_space_message(found: Space, min_free_mb: int) -> str:
    """The Chinese alert text for staff and the IT department."""
    return (f"数据目录 {found.path} 所在磁盘剩余空间 {found.free_mb:.0f} MB，低于下限 {min_free_mb} MB："
            "采集入库已暂停，请清理磁盘或扩容（恢复后自动继续）")


class DiskGuard:
    """Raises StoreFull while free space is below the limit; tells `on_low` once per episode.

    It looks at the file system on every call by default (a `statvfs`, about a microsecond, next
    to milliseconds of NLP per mention): near the limit a second of unchecked writes could be
    megabytes."""

    def __init__(self, data_dir: Path, min_free_mb: int, *, on_low: Callable[[Space], None] | None = None,
                 check_every: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.data_dir, self.min_free_mb = Path(data_dir), min_free_mb
        self.on_low, self.check_every, self.clock = on_low, check_every, clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._low: Space | None = None
        self._told = False

    def check(self) -> None:
        """Call before writing; StoreFull (one line) when the disk is too full to write safely."""
        if self.min_free_mb <= 0:
            return
        with self._lock:
            now = self.clock()
            if self._checked_at is None or now - self._checked_at >= self.check_every or self._low is not None:
                self._checked_at = now
                found = space(self.data_dir)
                self._low = found if found.free < self.min_free_mb * MB else None
                if self._low is None:
                    self._told = False
            low, tell = self._low, self._low is not None and not self._told
            if tell:
                self._told = True
        if low is None:
            return
        if tell:
            log.error("ingest paused: %.0f MB free in %s, below storage.min_free_mb = %d",
                      low.free_mb, self.data_dir, self.min_free_mb)
            if self.on_low is not None:
                try:
                    self.on_low(low)
                except Exception:  # the alert is a courtesy: ingest stays paused either way
                    log.exception("could not open the low-disk operations alert")
        raise StoreFull(f"only {low.free_mb:.0f} MB free in {self.data_dir} (storage.min_free_mb = "
                        f"{self.min_free_mb}): ingest paused until space is freed")
