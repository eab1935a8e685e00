"""The API under load while ingest runs, on SQLite and on PostgreSQL.

    python bench/api_under_ingest.py [--seconds 60] [--clients 50] [--rate 50] [--skip-pg]

The real `yuqing run --no-scheduler` (one uvicorn worker, default settings: read cache,
access log) on loopback; `--clients` concurrent keep-alive clients for `--seconds` each, every
client cycling through mixed work: a mention search, the trend, the alert list, the ticket
board and a ticket transition (assign / return of the client's own ticket, with the version it
saw). Two runs per backend, in the same process and on the same data:

- baseline: that load alone;
- ours: the same load while an ingest child process (what a crawl child does: analyse, store
  in the mention index, evaluate alert rules, write alerts) takes in `--rate` mentions a second.

Printed: requests/s, p50 / p99 latency and errors (any answer but 2xx, or a broken connection)
of both runs, the ingest rate reached, and the ratios ours / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, weibo_texts

GAS_EXAMPLES = REPO / "nlp" / "data" / "gas_examples.jsonl"
READS = ["/api/mentions?q=%E7%87%83%E6%B0%94&size=20", "/api/stats/trend", "/api/alerts?size=20",
         "/api/tickets/board"]
PRELOAD = 3000


def texts(n: int) -> list[str]:
    """Half our own gas examples (so alerts are raised), half general Weibo posts."""
    gas = [json.loads(line)["text"] for line in GAS_EXAMPLES.read_text(encoding="utf-8").splitlines() if line]
    general, _ = weibo_texts(n)
    return [gas[i // 2 % len(gas)] if i % 2 else general[i] for i in range(n)]


# -- child: ingest at a steady rate -----------------------------------------------------------
def ingest_child(data_dir: str, url: str, start: int, count: int, rate: float) -> None:
    """Ingest `count` mentions from number `start`, `rate` a second (0: as fast as possible)."""
    import logging

    from tests.builders import mention
    from yuqing.settings import AlertSettings, Settings, StorageSettings
    from yuqing.wiring import build_ingestor

    logging.disable(logging.WARNING)
    settings = Settings(storage=StorageSettings(data_dir=Path(data_dir)), alerts=AlertSettings(database_url=url))
    ingestor = build_ingestor(settings)
    corpus = texts(2000)
    per_tick = max(1, round(rate * 0.1)) if rate else 50  # every 0.1 s
    started, done, behind = time.monotonic(), 0, 0.0
    while done < count:
        batch = range(start + done, start + min(count, done + per_tick))
        ingestor.ingest([mention(n, corpus[n % len(corpus)], hours_ago=(n % 1440) / 60) for n in batch])
        done += len(batch)
        if rate:
            due = started + done / rate
            behind = max(behind, time.monotonic() - due)
            time.sleep(max(0.0, due - time.monotonic()))
    ingestor.close()
    elapsed = time.monotonic() - started
    print(json.dumps({"mentions": done, "seconds": elapsed, "rate": done / elapsed, "max_behind_s": behind}))


# -- the load ---------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    transitions: int = 0


async def _request(reader, writer, method: str, path: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    writer.write(head.encode() + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return status, await reader.readexactly(length)


async def _client(port: int, token: str, ticket_id: int, until: float, counting_from: float, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    _, body = await _request(reader, writer, "GET", f"/api/tickets/{ticket_id}", token)
    ticket, step = json.loads(body), 0
    while (now := time.perf_counter()) < until:
        if step % 5 == 4:
            action, fields = (("assign", {"department": "customer"}) if ticket["status"] == "new"
                              else ("return", {"comment": "退回重派"}))
            payload = json.dumps({**fields, "version": ticket["version"]}).encode()
            status, body = await _request(reader, writer, "POST", f"/api/tickets/{ticket_id}/actions/{action}",
                                          token, payload)
            if status == 200:
                ticket = json.loads(body)
                tally.transitions += now >= counting_from
        else:
            action = READS[step % 5].split("?")[0]
            status, _ = await _request(reader, writer, "GET", READS[step % 5], token)
        step += 1
        if now >= counting_from:
            tally.latencies.append(time.perf_counter() - now)
            if not 200 <= status < 300:
                tally.errors += 1
                key = f"{status} {action}"
                tally.by_status[key] = tally.by_status.get(key, 0) + 1
    writer.close()


def run_load(port: int, token: str, tickets: list[int], seconds: float, warmup: float = 3.0) -> dict:
    tally = Tally()

    async def main() -> None:
        start = time.perf_counter()
        await asyncio.gather(*[_client(port, token, ticket, start + warmup + seconds, start + warmup, tally)
                               for ticket in tickets], return_exceptions=False)

    asyncio.run(main())
    q = statistics.quantiles(tally.latencies, n=100)
    return {"rps": len(tally.latencies) / seconds, "p50": q[49] * 1000, "p99": q[98] * 1000,
            "errors": tally.errors, "requests": len(tally.latencies), "transitions": tally.transitions,
            "error_statuses": tally.by_status}


# -- set-up per backend -----------------------------------------------------------------------
def prepare(data_dir: Path, url: str, clients: int) -> tuple[str, list[int]]:
    """Migrated database, a supervisor's token, one open ticket per client, PRELOAD mentions."""
    from alerts.actor import SYSTEM
    from alerts.db import Database, now_shanghai
    from alerts.tickets.service import open_ticket
    from alerts.users.service import create_user, issue_token
    from yuqing.records import Role
    from yuqing.settings import Settings, StorageSettings

    settings = Settings(storage=StorageSettings(data_dir=data_dir))
    db = Database(url)
    db.migrate()
    with db.write() as session:
        user = create_user(session, username="bench-supervisor", password="bench-password-1", role=Role.supervisor,
                           department="", settings=settings, now=now_shanghai())
        token = issue_token(session, user=user, settings=settings, now=now_shanghai())[0]
        tickets = [open_ticket(session, title=f"压测工单 {n}", settings=settings, actor=SYSTEM, now=now_shanghai(),
                               level="yellow", category="billing") for n in range(clients)]
        session.flush()
        ids = [t.id for t in tickets]
    db.close()
    child([str(data_dir), url, "0", str(PRELOAD), "0"])
    return token, ids


def child(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, "ingest", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_service(data_dir: Path, url: str) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "YUQING_STORAGE__DATA_DIR": str(data_dir), "YUQING_ALERTS__DATABASE_URL": url,
           "PYTHONPATH": str(REPO)}
    env.pop("YUQING_CONFIG", None)
    server = subprocess.Popen([sys.executable, "-m", "yuqing", "run", "--no-scheduler", "--port", str(port)],
                              cwd=data_dir.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the service did not start") from None
            time.sleep(0.2)


def bench_backend(name: str, url: str, work: Path, args: argparse.Namespace) -> dict:
    data_dir = work / name / "data"
    token, tickets = prepare(data_dir, url, args.clients)
    server, port = start_service(data_dir, url)
    try:
        baseline = run_load(port, token, tickets, args.seconds)
        count = int(args.rate * (args.seconds + 6))
        ingest = subprocess.Popen([sys.executable, __file__, "ingest", str(data_dir), url, str(PRELOAD), str(count),
                                   str(args.rate)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # the child has loaded its models and is ingesting
        ours = run_load(port, token, tickets, args.seconds)
        out, err = ingest.communicate(timeout=600)
        if ingest.returncode != 0:
            raise RuntimeError(err[-2000:])
        ours["ingest"] = json.loads(out.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(30)
    return {"baseline": baseline, "ours": ours}


def report(results: dict[str, dict], args: argparse.Namespace) -> None:
    print(f"API under load: {args.clients} concurrent keep-alive clients on loopback for {args.seconds:g} s per run, "
          f"each cycling search / trend / alert list / ticket board / ticket transition; one uvicorn worker "
          f"(yuqing run --no-scheduler), {PRELOAD} mentions loaded first; {os.cpu_count()} cores shared")
    print("| backend | run | requests/s | p50 ms | p99 ms | errors | transitions | ingest |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for backend, runs in results.items():
        for label, run in (("baseline: load alone", runs["baseline"]),
                           (f"ours: load + ingest {args.rate:g}/s", runs["ours"])):
            ingest = run.get("ingest")
            rate = f"{ingest['rate']:.1f} mentions/s (max {ingest['max_behind_s']:.1f} s behind)" if ingest else "-"
            print(f"| {backend} | {label} | {run['rps']:.0f} | {run['p50']:.1f} | {run['p99']:.1f} | {run['errors']} "
                  f"| {run['transitions']} | {rate} |")
    for backend, runs in results.items():
        base, ours = runs["baseline"], runs["ours"]
        print(f"{backend}: ratio ours / baseline: requests/s {ours['rps'] / base['rps']:.2f}, "
              f"p50 {ours['p50'] / base['p50']:.2f}, p99 {ours['p99'] / base['p99']:.2f}; "
              f"errors {base['errors']} → {ours['errors']}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "ingest":
        data_dir, url, start, count, rate = sys.argv[2:7]
        ingest_child(data_dir, url, int(start), int(count), float(rate))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-load-"))
    results: dict[str, dict] = {}
    pg = None
    try:
        results["SQLite"] = bench_backend("sqlite", f"sqlite:///{work / 'sqlite' / 'data' / 'yuqing.sqlite'}", work,
                                          args)
        if not args.skip_pg:
            from tools.pg_server import PostgresUnavailable, start_server

            try:
                pg = start_server()
                results["PostgreSQL"] = bench_backend("postgresql", pg.url, work, args)
            except PostgresUnavailable as exc:
                print(f"PostgreSQL skipped: {exc}")
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(results, args)


if __name__ == "__main__":
    main()
