"""Helpers shared by the benchmarks: one-core pinning and the benchmark texts."""

from __future__ import annotations

import csv
import json
import os
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("YUQING_DATASETS", REPO.parent / "shared" / "datasets"))


def memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's memory from /proc/PID/status: VmRSS (resident now) or VmHWM (peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def pin_one_core() -> None:
    """Measure on one core, as the issue's targets are stated."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def weibo_texts(n: int) -> tuple[list[str], str]:
    """n real Weibo posts from the shared datasets when present, else our demo posts repeated."""
    path = DATASETS / "smp2020_ewect_usual_binary" / "test.csv"
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)]
        source = f"{path.parent.name}/test.csv"
    else:
        lines = (REPO / "tools/demo/weibo_posts.jsonl").read_text(encoding="utf-8").splitlines()
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
        source = "tools/demo/weibo_posts.jsonl (repeated; datasets not found)"
    return [texts[i % len(texts)] for i in range(n)], source


def wait_and_log_in(base: str, username: str, password: str, tries: int = 600) -> str:
    """Wait until the service at `base` answers /healthz, then log in; the access token."""
    for _ in range(tries):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    body = json.dumps({"username": username, "password": password}).encode()
    login = urllib.request.Request(f"{base}/api/auth/login", data=body, headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(login, timeout=30).read())["access_token"]
