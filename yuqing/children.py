"""Child processes of the scheduler: each crawl (`yuqing crawl SOURCE`) and the own-site
crawl (`yuqing sites crawl`) runs in a process of its own, because a Twisted reactor runs
once per process and because a crawl that leaks or hangs must not take the service with it.

The child inherits the job's id (`YUQING_JOB_ID`), so its log lines carry it; they are copied
to our stderr as they come. Its report is the last line it prints on stdout (one JSON object),
which the crawl runner adds to the metrics.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from yuqing.logs import JOB_ENV, job_id, new_id
from yuqing.metrics import record_crawl
from yuqing.settings import Settings

log = logging.getLogger("yuqing.scheduler")


@dataclass(frozen=True, slots=True)
class ChildResult:
    code: int  # the exit code; -1 when stopped after the timeout
    report: dict | None  # the child's last stdout line, when it is a JSON object


def _forward(stream: IO[str], tail: deque[str]) -> None:
    """Copy a child's log lines to ours (they carry its job id already); keep the last few."""
    for line in stream:
        sys.stderr.write(line)
        tail.append(line.rstrip())
    sys.stderr.flush()


def _collect(stream: IO[str], lines: list[str]) -> None:
    lines.extend(stream)


def run_child(settings: Settings, args: list[str], label: str, ok_codes: tuple[int, ...] = (0,)) -> ChildResult:
    """Run `python -m yuqing ARGS` under this job's id, stopped after the crawl timeout; how it
    ended is logged and its report returned."""
    env = {**os.environ, JOB_ENV: job_id.get() or f"{label.replace(' ', ':')}:{new_id()[:8]}"}
    tail: deque[str] = deque(maxlen=5)
    out: list[str] = []
    with subprocess.Popen([sys.executable, "-m", "yuqing", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env) as child:
        readers = [threading.Thread(target=_forward, args=(child.stderr, tail), daemon=True),
                   threading.Thread(target=_collect, args=(child.stdout, out), daemon=True)]
        for reader in readers:
            reader.start()
        try:
            child.wait(timeout=settings.crawl.timeout_minutes * 60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            log.error("%s: stopped after %d min without finishing", label, settings.crawl.timeout_minutes)
            return ChildResult(-1, None)
        finally:
            for reader in readers:
                reader.join(10)
    return ChildResult(child.returncode, _report(label, child.returncode, out, tail, ok_codes))


def _report(label: str, code: int, out: list[str], tail: deque[str], ok_codes: tuple[int, ...]) -> dict | None:
    last = next((line.strip() for line in reversed(out) if line.strip()), "")
    try:
        report = json.loads(last) if last.startswith("{") else None
    except ValueError:
        report = None
    if code not in ok_codes:
        why = (tail[-1] if tail else "") or last or "no output"
        log.error("%s: exit code %d: %s", label, code, why[-500:])
    elif report is not None:
        log.info("%s: %s", label, json.dumps({k: v for k, v in report.items() if k != "nlp"}, ensure_ascii=False))
    else:
        log.info("%s: %s", label, last or "done")
    return report


def crawl_in_child(settings: Settings) -> Callable[[str], int]:
    """A runner that starts `python -m yuqing crawl SOURCE`, adds its report to the metrics and
    returns its exit code."""

    def run(source: str) -> int:
        done = run_child(settings, ["crawl", source], f"crawl {source}")
        result = "timeout" if done.code == -1 else "ok" if done.code == 0 else "failed"
        record_crawl(source, done.report, result=result)
        return done.code

    return run


def site_crawl_in_child(settings: Settings) -> Callable[[], int]:
    """`python -m yuqing sites crawl` (exit code 1 means problems were found and stored)."""
    return lambda: run_child(settings, ["sites", "crawl"], "site crawl", ok_codes=(0, 1)).code
