"""Native memory of the long-running service (glibc's allocator), kept from creeping up.

`yuqing run` serves the API from anyio's worker threads, which end after 10 s idle and are
started anew, and SQLite's queries over a growing index make large short-lived allocations
(FTS5 doclists, sorters, IN lists). With glibc's defaults each new thread may get an arena of
its own (up to 8 per core), every arena keeps the free memory of its busiest moment, and the
threshold above which allocations are mapped (and unmapped on free) rises with every large
block freed, so later large blocks stay in the arenas too. Resident memory then creeps up
with thread churn and index size although nothing is leaked.

`tune_malloc()` (called once at start, before the threads) caps the arenas and pins the
mmap/trim thresholds; `MallocTrimmer` hands free memory back to the system every few
minutes. Elsewhere (not glibc: musl, macOS) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("yuqing.ops.memory")

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
ARENA_MAX = 2
MMAP_THRESHOLD = 256 * 1024  # blocks this large are mapped and unmapped, never kept in an arena
TRIM_THRESHOLD = 1024 * 1024  # free memory above this at an arena's top goes back at once
TRIM_MINUTES = 5


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def tune_malloc(*, arenas: int = ARENA_MAX) -> bool:
    """Cap glibc's arenas and fix its thresholds; False where there is no glibc."""
    libc = _glibc()
    if libc is None:
        return False
    done = all(libc.mallopt(option, value) == 1 for option, value in
               ((M_ARENA_MAX, arenas), (M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD)))
    if not done:
        log.warning("memory: glibc refused a malloc setting; the defaults stay")
    return done


def malloc_trim() -> bool:
    """Give free memory of every arena back to the system now; True when some was."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


class MallocTrimmer:
    """A daemon thread calling `malloc_trim` every `minutes` until stopped."""

    def __init__(self, *, minutes: float = TRIM_MINUTES) -> None:
        self.seconds = minutes * 60
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="yuqing-malloc-trim", daemon=True)

    def start(self) -> MallocTrimmer:
        if _glibc() is not None:
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            malloc_trim()

    def stop(self) -> None:
        self._stop.set()


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _sqlite_memory_used() -> Callable[[], int] | None:
    """SQLite's own count of the bytes it has allocated, from the library Python's sqlite3
    module uses (looked up through the extension module, so a bundled SQLite is found too)."""
    import _sqlite3

    try:
        function = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_int64
    return function


def native_memory() -> dict[str, int]:
    """Bytes of the native heap by kind, for telling a leak from fragmentation: `malloc_in_use`
    (glibc's arenas and mapped blocks: SQLite, numpy, Python's objects over 512 bytes; its
    smaller ones live in CPython's own arenas, outside these figures),
    `malloc_free` (free but kept by glibc's arenas: fragmentation) and `sqlite` (part of the
    in-use bytes: page caches, sorters). Kinds this platform cannot tell are left out."""
    found: dict[str, int] = {}
    libc = _glibc()
    if libc is not None and hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
        found["malloc_in_use"] = info.uordblks + info.hblkhd
        found["malloc_free"] = info.fordblks
    sqlite = _sqlite_memory_used()
    if sqlite is not None:
        found["sqlite"] = int(sqlite())
    return found


class NativeMemoryCollector(Collector):
    """`yuqing_memory_bytes{kind}` from `native_memory()`, read at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("yuqing_memory_bytes", "Native heap bytes by kind: malloc_in_use, malloc_free "
                                   "(kept by the allocator), sqlite (part of in use)", labels=["kind"])
        for kind, value in sorted(native_memory().items()):
            family.add_metric([kind], float(value))
        yield family
