"""Who is using a data directory: `yuqing run` and `yuqing crawl` hold a shared lock on
`<data_dir>/.yuqing.lock` for as long as they run (several may share it); `yuqing restore`
takes it exclusively, so it never replaces files under a running service.

POSIX `flock`: the lock goes away with the process, however it ends (kill -9 included), so a
crashed service never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = ".yuqing.lock"


class DataDirInUse(RuntimeError):
    """Another process holds the data directory."""


class RunLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self._handle: IO[str] | None = None

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return open(self.path, "a+")

    def share(self) -> RunLock:
        """Hold the lock shared with other running processes (blocks only while a restore runs)."""
        handle = self._open()
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DataDirInUse(f"{self.path.parent}: a restore is replacing this data directory; try again "
                               "when it has finished") from None
        self._handle = handle
        return self

    def exclusive(self) -> RunLock:
        """Hold the lock alone; DataDirInUse while any service or crawl uses the directory."""
        handle = self._open()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DataDirInUse(f"{self.path.parent} is in use by a running yuqing (run or crawl): stop the "
                               "service first (systemctl stop yuqing), or pass --force") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing releases the flock
            self._handle = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
