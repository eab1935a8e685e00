"""glibc's allocator in the long-running service: arenas capped, free memory handed back.
Each case runs in a fresh process (arenas live as long as the process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO
from yuqing.ops.memory import _glibc

pytestmark = pytest.mark.skipif(_glibc() is None or not sys.platform.startswith("linux"),
                                reason="glibc's malloc on Linux only")


def probe(*args: str) -> list[float]:
    done = subprocess.run([sys.executable, "-m", "tests.yuqing.ops.malloc_probe", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    return [float(x) for x in done.stdout.split()]


def test_threads_share_two_arenas_once_tuned() -> None:
    assert probe("arenas")[0] >= 8  # glibc's default: a new arena for each of 8 threads (up to 8 per core)
    assert probe("arenas", "--tune") == [2]


def test_trimming_hands_back_the_free_pages_between_live_blocks() -> None:
    held, freed, trimmed = probe("trim")
    assert freed - held > 40  # 63 of 64 MB freed, yet still resident: glibc alone keeps it
    assert trimmed < held + 15, (held, freed, trimmed)  # malloc_trim gave it back
