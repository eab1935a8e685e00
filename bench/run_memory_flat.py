"""Memory of a long-running `yuqing run` while 24 simulated hours of ingest at 50 mentions/s
are replayed fast into its data directory.

    python bench/run_memory_flat.py [--hours 24] [--rate 50] [--clients 2] [--max-minutes M]

The real `yuqing run` (API and scheduler; sources switched off, so nothing leaves the machine;
the closed-loop sweeps every minute) on a fresh data directory on SQLite. Beside it, as crawl
children would:

- a replay child writes hours × 3600 × rate mentions into the mention index, their publish
  times spread over the simulated hours up to now: analyses computed once for a corpus of
  posts and reused (each mention with its own id and fingerprint), stored in batches, so a
  day's volume goes in within minutes;
- a trickle child sends 5 mentions a second through the whole ingest path (NLP, links, alert
  rules), so alerts are raised and the sweeps have work;
- `--clients` API clients read all the time: mention search, trend, overview, alert list,
  ticket board, /metrics.

With `--max-minutes`, the replay stops there and the figures cover the simulated hours it
reached (the replay slows as the index grows and the readers' queries get heavier). The
service's resident memory (VmRSS) is sampled every few seconds. Printed: RSS once warmed up
before the replay (baseline, same run), at the end (ours), peak, ratio end / start, and the
slope (least squares) in MB per simulated hour over the replay; flat means a slope near 0;
the native heap by kind from the service's /metrics (yuqing_memory_bytes) at both ends; and,
once the readers have stopped, how long each read takes alone on the day's index.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, memory_mb, wait_and_log_in, weibo_texts

BATCH = 2000
CONFIG = """[storage]
data_dir = "{data}"
min_free_mb = 0

[alerts]
burst_sweep_minutes = 1

{sources}
"""
READS = ["/api/mentions?q=%E7%87%83%E6%B0%94&size=20", "/api/stats/trend", "/api/stats/overview", "/api/alerts?size=20",
         "/api/tickets/board", "/metrics"]


# -- children ---------------------------------------------------------------------------------
def replay_child(config: str, hours: float, rate: float) -> None:
    """Write the simulated hours' mentions into the index, oldest first, in batches."""
    from nlp.analyze import Analyzer
    from tests.builders import mention
    from yuqing.records import SHANGHAI
    from yuqing.settings import load_settings
    from yuqing.wiring import open_mention_store

    settings = load_settings(Path(config))
    corpus, _ = weibo_texts(1000)
    analyzer = Analyzer(settings)
    analyses = [analyzer.analyze(mention(i, text)) for i, text in enumerate(corpus)]
    total, rng = int(hours * 3600 * rate), random.Random(9)
    start = datetime.now(SHANGHAI) - timedelta(hours=hours)
    store = open_mention_store(settings)
    started = time.monotonic()
    for first in range(0, total, BATCH):
        items = []
        for n in range(first, min(total, first + BATCH)):
            analysis = analyses[n % len(corpus)].model_copy(update={"fingerprint": f"{rng.getrandbits(64):016x}"})
            items.append((mention(1_000_000 + n, corpus[n % len(corpus)], published_at=start + timedelta(
                seconds=n / rate), fetched_at=start + timedelta(seconds=n / rate)), analysis))
        store.upsert(items)
        print(json.dumps({"done": min(total, first + BATCH), "total": total,
                          "seconds": time.monotonic() - started}), flush=True)
    store.close()


def trickle_child(config: str, rate: float) -> None:
    """The whole ingest path (NLP, links, alert rules) at `rate` mentions a second, until killed."""
    import logging

    from tests.builders import mention
    from yuqing.records import SHANGHAI
    from yuqing.settings import load_settings
    from yuqing.wiring import build_ingestor

    logging.disable(logging.WARNING)
    gas = [json.loads(line)["text"] for line in
           (REPO / "nlp" / "data" / "gas_examples.jsonl").read_text(encoding="utf-8").splitlines() if line]
    ingestor = build_ingestor(load_settings(Path(config)))
    n = 0
    while True:
        ingestor.ingest([mention(n, gas[n % len(gas)], published_at=datetime.now(SHANGHAI))])
        n += 1
        time.sleep(1 / rate)


# -- the parent -------------------------------------------------------------------------------
def write_config(work: Path) -> Path:
    from yuqing.settings import Settings

    sources = "\n".join(f"[sources.{name}]\nenabled = false\n" for name in type(Settings().sources).model_fields)
    path = work / "yuqing.toml"
    path.write_text(CONFIG.format(data=work / "data", sources=sources), encoding="utf-8")
    return path


def start_service(work: Path, config: Path) -> tuple[subprocess.Popen, str, str]:
    env = {**os.environ, "YUQING_CONFIG": str(config), "PYTHONPATH": str(REPO)}
    yq = [sys.executable, "-m", "yuqing"]
    subprocess.run([*yq, "init"], cwd=work, env=env, check=True, capture_output=True)
    subprocess.run([*yq, "users", "add", "bench", "--role", "admin", "--password-stdin"], cwd=work, env=env,
                   check=True, capture_output=True, input="bench-password-1\n", text=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([*yq, "run", "--port", str(port)], cwd=work, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    return server, base, wait_and_log_in(base, "bench", "bench-password-1")


def reader(base: str, token: str, stop: threading.Event, counts: list[int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    step = 0
    while not stop.is_set():
        request = urllib.request.Request(base + READS[step % len(READS)], headers=headers)
        try:
            urllib.request.urlopen(request, timeout=120).read()
            counts[0] += 1
        except OSError:
            counts[1] += 1
        step += 1


def native_mb(base: str, token: str) -> dict[str, float]:
    """The service's yuqing_memory_bytes{kind} (glibc in use / kept free, SQLite's), in MB."""
    from prometheus_client.parser import text_string_to_metric_families

    request = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {token}"})
    text = urllib.request.urlopen(request, timeout=120).read().decode()
    return {sample.labels["kind"]: sample.value / 2**20 for family in text_string_to_metric_families(text)
            if family.name == "yuqing_memory_bytes" for sample in family.samples}


def route_ms(base: str, token: str, runs: int = 3) -> dict[str, float]:
    """Median milliseconds of each read, asked alone (the day's index in place)."""
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for path in READS:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=300).read()
            times.append((time.perf_counter() - started) * 1000)
        out[path.split("?")[0]] = sorted(times)[runs // 2]
    return out


def slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("replay", "trickle"):
        (replay_child(sys.argv[2], float(sys.argv[3]), float(sys.argv[4])) if sys.argv[1] == "replay"
         else trickle_child(sys.argv[2], float(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop the replay after this long")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-memory-"))
    config = write_config(work)
    server, base, token = start_service(work, config)
    stop, counts = threading.Event(), [0, 0]
    readers = [threading.Thread(target=reader, args=(base, token, stop, counts), daemon=True)
               for _ in range(args.clients)]
    trickle = subprocess.Popen([sys.executable, __file__, "trickle", str(config), "5"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        for thread in readers:
            thread.start()
        time.sleep(30)  # warm up: every route served, models loaded, caches filled
        baseline, native_start = memory_mb(server.pid), native_mb(base, token)
        replay = subprocess.Popen([sys.executable, __file__, "replay", str(config), str(args.hours), str(args.rate)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        progress = {"done": 0, "total": 1}
        samples: list[tuple[float, float]] = []  # (simulated hours replayed, RSS MB)

        def follow() -> None:
            for line in replay.stdout:
                progress.update(json.loads(line))

        threading.Thread(target=follow, daemon=True).start()
        cap = time.monotonic() + args.max_minutes * 60 if args.max_minutes else None
        while replay.poll() is None:
            samples.append((progress["done"] / args.rate / 3600, memory_mb(server.pid)))
            if cap is not None and time.monotonic() > cap:
                replay.terminate()
                replay.wait(60)
                break
            time.sleep(args.every)
        time.sleep(30)  # the service keeps serving on the day's data
        samples.append((progress["done"] / args.rate / 3600, memory_mb(server.pid)))
        capped = cap is not None and progress["done"] < progress["total"]
        assert capped or (replay.returncode == 0 and progress["done"] == progress["total"]), "the replay failed"
        peak = max(mb for _, mb in samples)
        native_end = native_mb(base, token)
        stop.set()  # the readers stop, so each read is timed alone
        for thread in readers:
            thread.join(300)
        latency = route_ms(base, token)
        hwm = memory_mb(server.pid, "VmHWM")
    finally:
        stop.set()
        trickle.terminate()
        server.terminate()
        server.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    end = samples[-1][1]
    hours = progress["done"] / args.rate / 3600
    print(f"yuqing run (API + scheduler) on SQLite; {progress['done']:,} mentions = {hours:.1f} of {args.hours:g} "
          f"simulated hours at {args.rate:g}/s replayed in {progress.get('seconds', 0):.0f} s"
          f"{' (stopped at --max-minutes)' if capped else ''}, plus 5 mentions/s through the whole ingest path; "
          f"{args.clients} readers served {counts[0]:,} requests ({counts[1]} failed); {len(samples)} RSS samples")
    print(f"  baseline: RSS warmed up, before the replay        {baseline:8.1f} MB")
    print(f"  ours: RSS after {hours:4.1f} simulated hours            {end:8.1f} MB")
    print("  native heap, start -> end: " + ", ".join(
        f"{kind} {native_start.get(kind, 0):.1f} -> {native_end.get(kind, 0):.1f} MB" for kind in native_end))
    print(f"  peak RSS sampled {peak:.1f} MB (VmHWM {hwm:.1f} MB); ratio end / start {end / baseline:.2f}")
    print(f"  slope: {slope(samples):+.2f} MB per simulated hour "
          f"({slope(samples) * 24:+.1f} MB over a day at that slope)")
    print(f"  each read alone at the end ({progress['done']:,} mentions), median of 3: " + ", ".join(
        f"{path} {ms:,.0f} ms" for path, ms in latency.items()))
    marks = [samples[int(i * (len(samples) - 1) / 6)] for i in range(7)]
    print("  RSS over the day: " + ", ".join(f"{h:.1f} h {mb:.0f} MB" for h, mb in marks))


if __name__ == "__main__":
    main()
