"""Writers of one Elasticsearch index on one machine take turns, and know who wrote last.

A bulk write is visible to searches only after a refresh. Refreshing after every write call
would cost a tiny segment per crawled mention, so instead each writer remembers where it put
ids since its last refresh, and the lock file names the last writer: a writer taking the
lock after someone else refreshes first, so its "where does this id live" lookups see
everything written before (that is what keeps one id in one index).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriterLock:
    """A file lock (POSIX) plus a thread lock; without a path, this process only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.token = f"{os.getpid()}:{uuid.uuid4().hex}"  # this writer, distinct from any other
        self._thread_lock = threading.RLock()
        self._last_writer = ""  # used when there is no file

    @contextmanager
    def held(self) -> Iterator[bool]:
        """Hold the lock; yields True when someone else wrote since this writer last did."""
        with self._thread_lock:
            handle = self._open()
            try:
                last = self._read(handle)
                yield bool(last) and last != self.token
            finally:
                if handle is not None:
                    handle.close()  # closing releases the flock

    def mark_written(self) -> None:
        """Call while holding the lock, after writing: this writer is now the last one."""
        if self.path is None:
            self._last_writer = self.token
            return
        self.path.write_text(self.token)

    def _open(self):
        if self.path is None:
            return None
        try:
            import fcntl
        except ImportError:  # not POSIX: threads are still serialised
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 (closed by held())
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle

    @contextmanager
    def local(self) -> Iterator[None]:
        """Only the threads of this process (for state shared with the writing thread)."""
        with self._thread_lock:
            yield

    def _read(self, handle) -> str:
        if handle is not None:
            handle.seek(0)
            return handle.read().strip()
        if self.path is not None and self.path.is_file():
            return self.path.read_text().strip()
        return self._last_writer
