"""Run in a fresh process by test_memory.py (glibc's arenas outlive anything a test could undo).

    python -m tests.yuqing.ops.malloc_probe arenas [--tune]   -> prints the arenas in use
    python -m tests.yuqing.ops.malloc_probe trim               -> prints RSS MB: held, freed, trimmed
"""

from __future__ import annotations

import ctypes
import re
import sys
import tempfile
import threading
from pathlib import Path

from yuqing.ops.memory import malloc_trim, tune_malloc

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]


def arenas_in_use() -> int:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "info.xml"
        handle = libc.fopen(str(path).encode(), b"w")
        libc.malloc_info(0, handle)
        libc.fclose(handle)
        return len(re.findall(r'<heap nr="\d+">', path.read_text()))


def threads_allocating(n: int) -> int:
    """n threads at once, each with a block of its own; the arenas glibc gave them."""
    barrier, done = threading.Barrier(n + 1), threading.Event()

    def work() -> None:
        block = libc.malloc(4096)
        barrier.wait()
        done.wait()
        libc.free(block)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for thread in threads:
        thread.start()
    barrier.wait()
    count = arenas_in_use()
    done.set()
    for thread in threads:
        thread.join()
    return count


def rss_mb() -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def holes() -> None:
    """64 MB in 1 KB blocks in a thread's arena, then all but one block per 64 KB freed: the
    free pages sit between live blocks, where glibc's own trimming (at the top) never reaches."""
    blocks = [libc.malloc(1000) for _ in range(64 * 1024)]
    for block in blocks:
        ctypes.memset(block, 1, 1000)
    for n, block in enumerate(blocks):
        if n % 64:
            libc.free(block)


if __name__ == "__main__":
    if sys.argv[1] == "arenas":
        if "--tune" in sys.argv:
            tune_malloc(arenas=2)
        print(threads_allocating(8))
    else:
        held = rss_mb()
        thread = threading.Thread(target=holes)
        thread.start()
        thread.join()
        freed = rss_mb()
        malloc_trim()
        print(held, freed, rss_mb())
