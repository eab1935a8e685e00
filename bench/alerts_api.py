"""Alert rules and the review / ticket API under load.

    python bench/alerts_api.py [--tickets 100000] [--requests 1000] [--clients 50] [--skip-pg]

1. Rule evaluation per mention (µs) with the shipped default rules, on real posts (the shared
   datasets when present): ours (compiled rules) against a baseline that interprets the
   parsed YAML for every mention (keyword lists scanned one by one), same mentions, same run.
2. API latency (p50 / p99) of the alert review list and the ticket board with 100,000
   tickets, 50 concurrent keep-alive clients on loopback against a real uvicorn process, on
   SQLite and on PostgreSQL (a throwaway server from the Debian binaries). Ours: indexes and
   the short read cache (api.cache_seconds); also shown without the cache; baseline: the same
   data with the secondary indexes dropped and no cache. Ratio = baseline / ours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, weibo_texts

GAS_EXAMPLES = REPO / "nlp" / "data" / "gas_examples.jsonl"

SHANGHAI_NOW = datetime.now().astimezone()


# -- 1. rule evaluation ---------------------------------------------------------------------
def naive_evaluate(spec: dict, facts) -> str | None:
    """The baseline: walk the parsed YAML for every mention, scan keyword lists one by one."""
    best, ranks = None, {"blue": 1, "yellow": 2, "orange": 3, "red": 4}
    for rule in spec["rules"]:
        when = rule["when"]
        checks = [
            when.get("relevant") is None or facts.relevant == when["relevant"],
            not when.get("sentiment") or facts.sentiment in when["sentiment"],
            when.get("min_severity") is None or facts.severity >= when["min_severity"],
            not when.get("categories") or any(c in facts.categories for c in when["categories"]),
            when.get("min_followers") is None or facts.followers >= when["min_followers"],
            when.get("author_verified") is None or facts.verified == when["author_verified"],
            not when.get("author_reason_any") or any(w in facts.verified_reason for w in when["author_reason_any"]),
            when.get("min_engagement") is None or facts.engagement >= when["min_engagement"],
            when.get("min_event_mentions") is None or facts.event_mentions >= when["min_event_mentions"],
            not when.get("keywords_any") or any(w in facts.text for w in when["keywords_any"]),
            not when.get("keywords_none") or not any(w in facts.text for w in when["keywords_none"]),
        ]
        if all(checks) and (best is None or ranks[rule["level"]] > ranks[best]):
            best = rule["level"]
    return best


def bench_rules(n: int) -> list[str]:
    import yaml

    from alerts.rules.engine import facts_of
    from alerts.rules.loader import DEFAULT_RULES, parse_rules
    from nlp.analyze import Analyzer
    from tests.builders import mention
    from yuqing.settings import Settings

    # Half our own gas-complaint examples (relevant: the rules' keyword scans run), half
    # general Weibo posts (mostly irrelevant: the rules stop early).
    gas = [json.loads(line)["text"] for line in GAS_EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    general, source = weibo_texts(n - n // 2)
    texts = [gas[i % len(gas)] for i in range(n // 2)] + general
    source = f"{GAS_EXAMPLES.relative_to(REPO)} + {source}"
    analyzer = Analyzer(Settings())
    items = [(m, analyzer.analyze(m)) for m in (mention(i, text) for i, text in enumerate(texts))]
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    rules, spec = parse_rules(text), yaml.safe_load(text)

    def per_mention(work) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            work()
            best = min(best, (time.perf_counter() - start) / len(items) * 1e6)
        return best

    prepare = per_mention(lambda: [facts_of(m, a) for m, a in items])
    facts = [facts_of(m, a) for m, a in items]
    baseline = per_mention(lambda: [naive_evaluate(spec, f) for f in facts])
    ours = per_mention(lambda: [rules.evaluate(f) for f in facts])
    analyse = per_mention(lambda: [analyzer.analyze(m) for m, _ in items[:200]]) * len(items[:200]) / len(items)
    verdicts = [rules.evaluate(f) for f in facts]
    agree = sum(1 for f, v in zip(facts, verdicts, strict=True) if naive_evaluate(spec, f) == (v.level if v else None))
    matched = sum(1 for v in verdicts if v)
    return [
        f"Rule evaluation, default rules ({len(rules.spec.rules)} rules), {len(items)} mentions from {source} "
        f"({matched} matched a rule):",
        f"  shared: the mention's facts (text normalisation)       {prepare:8.1f} µs/mention",
        f"  baseline: parsed YAML interpreted per mention          {baseline:8.1f} µs/mention",
        f"  ours: compiled rules                                   {ours:8.1f} µs/mention",
        f"  ratio baseline / ours: {baseline / ours:.2f}x; both give the same level for {agree}/{len(facts)}",
        f"  ours per mention, facts included: {prepare + ours:.1f} µs "
        f"(for scale, the NLP stage's analyze(): {analyse:.0f} µs)",
    ]


# -- 2. API latency -------------------------------------------------------------------------
DEPARTMENTS = ["customer", "dispatch", "safety", "repair", "engineering", "it", "office"]
CATEGORIES = ["billing", "outage", "safety", "maintenance", "construction", "online", "other"]


def populate(url: str, tickets: int, alerts: int, seed: int = 6) -> None:
    """A year of history: nearly all tickets closed, a few thousand open; most alerts handled."""
    from sqlalchemy import insert

    from alerts.db import Database
    from alerts.models import Alert
    from alerts.tickets.models import Ticket

    rng = random.Random(seed)
    db = Database(url)
    db.migrate()
    now = SHANGHAI_NOW
    open_statuses = ["new", "assigned", "in_progress", "resolved", "visited"]
    rows = []
    for i in range(tickets):
        created = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        status = rng.choice(open_statuses) if rng.random() < 0.03 else "closed"
        department = "" if status == "new" else rng.choice(DEPARTMENTS)
        rows.append({"title": f"工单 {i}：燃气服务投诉", "category": rng.choice(CATEGORIES),
                     "level": rng.choice(["blue", "yellow", "yellow", "orange", "red"]), "department": department,
                     "status": status, "created_by": "bench", "created_at": created,
                     "updated_at": created + timedelta(hours=rng.randrange(1, 200)),
                     "respond_due": created + timedelta(hours=4), "resolve_due": created + timedelta(days=3),
                     "remind_respond_at": created + timedelta(hours=3),
                     "remind_resolve_at": created + timedelta(days=2),
                     "closed_at": created + timedelta(days=4) if status == "closed" else None})
    alert_rows = []
    for i in range(alerts):
        opened = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
        status = "pending" if rng.random() < 0.01 else rng.choice(["confirmed", "dismissed"])
        alert_rows.append({"kind": "mention", "level": rng.choice(["blue", "yellow", "orange", "red"]),
                           "status": status, "title": f"预警 {i}：停气降压（岱岳区）",
                           "category": rng.choice(CATEGORIES),
                           "opened_at": opened, "updated_at": opened, "last_seen_at": opened, "mention_count": 1})
    with db.write() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Ticket), rows[start:start + 5000])
        for start in range(0, len(alert_rows), 5000):
            session.execute(insert(Alert), alert_rows[start:start + 5000])
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    db.close()


def drop_secondary_indexes(url: str) -> list[str]:
    from sqlalchemy import inspect

    from alerts.db import Database

    db = Database(url)
    dropped = []
    with db.engine.begin() as connection:
        for table in ("tickets", "alerts"):
            for index in inspect(connection).get_indexes(table):
                connection.exec_driver_sql(f"DROP INDEX {index['name']}")
                dropped.append(index["name"])
        connection.exec_driver_sql("ANALYZE")
    db.close()
    return dropped


def tokens(url: str, settings) -> dict[str, str]:
    from alerts.db import Database, now_shanghai
    from alerts.users.service import create_user, issue_token
    from yuqing.records import Role

    db = Database(url)
    out = {}
    with db.write() as session:
        for name, role, department in (("sup", Role.supervisor, ""), ("pr", Role.pr, "")):
            user = create_user(session, username=f"bench-{name}-{os.getpid()}-{len(out)}{random.randrange(10**6)}",
                               password="bench-password-1", role=role, department=department, settings=settings,
                               now=now_shanghai())
            out[name] = issue_token(session, user=user, settings=settings, now=now_shanghai())[0]
    db.close()
    return out


def serve(url: str, data_dir: str, port: int, cache_seconds: float) -> None:
    """Child process: the real app on uvicorn."""
    import logging

    import uvicorn

    from api.app import create_app
    from yuqing.settings import AlertSettings, ApiSettings, Settings, StorageSettings

    logging.disable(logging.WARNING)
    settings = Settings(storage=StorageSettings(data_dir=Path(data_dir)), alerts=AlertSettings(database_url=url),
                        api=ApiSettings(cache_seconds=cache_seconds))
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="error", access_log=False)


async def _client(port: int, path: str, token: str, count: int, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
               "Connection: keep-alive\r\n\r\n").encode()
    for _ in range(count):
        start = time.perf_counter()
        writer.write(request)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors.append(status)
    writer.close()


def load(port: int, path: str, token: str, requests: int, clients: int) -> tuple[float, float, float, int]:
    """p50 ms, p99 ms, requests per second, errors."""
    latencies: list[float] = []
    errors: list[int] = []

    async def run() -> float:
        await asyncio.gather(*[_client(port, path, token, max(1, requests // clients // 10), [], [])
                               for _ in range(clients)])  # warm-up
        start = time.perf_counter()
        await asyncio.gather(*[_client(port, path, token, requests // clients, latencies, errors)
                               for _ in range(clients)])
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    quantiles = statistics.quantiles(latencies, n=100)
    return quantiles[49] * 1000, quantiles[98] * 1000, len(latencies) / elapsed, len(errors)


@dataclass
class Result:
    backend: str
    variant: str
    endpoint: str
    p50: float
    p99: float
    rps: float
    errors: int


ENDPOINTS = {"alert list": "/api/alerts?status=pending&size=20", "ticket board": "/api/tickets/board"}
OURS, INDEXED, BASELINE = "indexes + cache", "indexes, no cache", "no indexes, no cache"


def measure(url: str, backend: str, variant: str, args: argparse.Namespace, work: Path) -> list[Result]:
    from tools.pg_server import free_port
    from yuqing.settings import Settings

    token = tokens(url, Settings())
    port = free_port()
    cache = str(args.cache_seconds if variant == OURS else 0)
    server = subprocess.Popen([sys.executable, __file__, "serve", url, str(work / "data"), str(port), cache],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import socket

        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"server did not start: {server.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.2)
        results = []
        for endpoint, path in ENDPOINTS.items():
            who = "pr" if endpoint == "alert list" else "sup"
            requests = args.requests if variant != BASELINE else max(args.clients * 4, args.requests // 4)
            results.append(Result(backend, variant, endpoint, *load(port, path, token[who], requests, args.clients)))
        return results
    finally:
        server.terminate()
        server.wait(30)


def bench_api(args: argparse.Namespace) -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="yuqing-bench-"))
    results: list[Result] = []
    backends: list[tuple[str, str]] = [("SQLite", f"sqlite:///{work / 'data' / 'bench.sqlite'}")]
    pg = None
    if not args.skip_pg:
        from tools.pg_server import PostgresUnavailable, start_server

        try:
            pg = start_server()
            backends.append(("PostgreSQL", pg.url))
        except PostgresUnavailable as exc:
            print(f"PostgreSQL skipped: {exc}")
    try:
        for backend, url in backends:
            started = time.perf_counter()
            populate(url, args.tickets, args.alerts)
            print(f"{backend}: {args.tickets} tickets, {args.alerts} alerts loaded in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            results += measure(url, backend, OURS, args, work)
            results += measure(url, backend, INDEXED, args, work)
            drop_secondary_indexes(url)
            results += measure(url, backend, BASELINE, args, work)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    return table(results, args)


def table(results: list[Result], args: argparse.Namespace) -> list[str]:
    by = {(r.backend, r.variant, r.endpoint): r for r in results}
    lines = [f"API latency: {args.tickets:,} tickets, {args.alerts:,} alerts, {args.clients} concurrent keep-alive "
             f"clients on loopback, one uvicorn worker, {args.requests} requests per run "
             f"({args.requests // 4} for the baseline); ours = indexes + {args.cache_seconds:g} s read cache",
             "| backend | endpoint | baseline p50 / p99 ms (no indexes, no cache) | indexes, no cache p50 / p99 "
             "| ours p50 / p99 | ratio baseline / ours p50 · p99 | ours req/s | errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (backend, variant, endpoint), ours in by.items():
        base, middle = by.get((backend, BASELINE, endpoint)), by.get((backend, INDEXED, endpoint))
        if variant != OURS or base is None or middle is None:
            continue
        errors = ours.errors + middle.errors + base.errors
        lines.append(f"| {backend} | {endpoint} | {base.p50:.1f} / {base.p99:.1f} "
                     f"| {middle.p50:.1f} / {middle.p99:.1f} | {ours.p50:.1f} / {ours.p99:.1f} "
                     f"| {base.p50 / ours.p50:.1f}x · {base.p99 / ours.p99:.1f}x "
                     f"| {ours.rps:.0f} | {errors} |")
    for variant in (OURS, INDEXED):
        for endpoint in ENDPOINTS:
            lite, pg = by.get(("SQLite", variant, endpoint)), by.get(("PostgreSQL", variant, endpoint))
            if lite and pg:
                lines.append(f"PostgreSQL / SQLite p50, {endpoint}, {variant}: {pg.p50 / lite.p50:.2f}x")
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--mentions", type=int, default=2000)
    parser.add_argument("--cache-seconds", type=float, default=2.0)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    report = bench_rules(args.mentions)
    print("\n".join(report), flush=True)
    print("\n".join(bench_api(args)))


if __name__ == "__main__":
    main()
