"""Top-level commands: init, demo, crawl, run, search."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, database_or_exit, fail, settings_or_exit, store_or_exit
from yuqing.records import Role
from yuqing.settings import CONFIG_ENV

ReplayOption = Annotated[
    Path | None, typer.Option(help="serve saved responses from this directory instead of the network")
]
StateOption = Annotated[
    Path | None, typer.Option(help="crawl-state file (high-water marks) instead of the data directory's")
]
KeywordOption = Annotated[
    list[str] | None, typer.Option(help="search these keywords instead of the configured ones")
]


@app.command()
def init(config: ConfigOption = None) -> None:
    """Create the data directory, the empty index, the database (migrated), the rule file, and
    on a fresh installation the first administrator, whose generated password is printed once."""
    from alerts.db import now_shanghai
    from alerts.rules.loader import RuleBook
    from alerts.users.service import count_users, create_user, generate_password
    from yuqing.wiring import rules_path

    settings = settings_or_exit(config)
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    store_or_exit(settings).close()
    db = database_or_exit(settings)
    try:
        RuleBook(rules_path(settings), db=db)
        with db.write() as session:
            first = count_users(session) == 0
            if first:
                password = generate_password()
                create_user(session, username="admin", password=password, role=Role.admin, settings=settings,
                            now=now_shanghai(), display_name="管理员")
    finally:
        db.close()
    typer.echo(f"data directory ready: {settings.storage.data_dir.resolve()}")
    if settings.es.url:
        typer.echo(f"mention index: Elasticsearch, alias {settings.es.index_prefix}")
    if first:
        typer.echo(f"created the first administrator: user 'admin', password '{password}' (shown only now; "
                   "change it after logging in, or set another with: yuqing users password admin)")
    else:
        typer.echo("users exist already: log in as one of them (yuqing users list; "
                   "a forgotten password: yuqing users password NAME)")


@app.command()
def demo(config: ConfigOption = None) -> None:
    """Load the demo: bundled Weibo responses through the real spider and pipeline."""
    from yuqing.demo import demo_today, run_demo

    settings = settings_or_exit(config)
    if config is not None:  # the replay runs in a child process: it must read the same config
        os.environ[CONFIG_ENV] = str(config.resolve())
    with tempfile.TemporaryDirectory(prefix="yuqing-demo-") as work:
        done = run_demo(Path(work), demo_today(settings.timezone))
    if done.returncode != 0:
        fail(f"demo crawl failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}", 1)
    typer.echo(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "demo loaded")


@app.command()
def crawl(
    source: Annotated[str, typer.Argument(help="source to crawl, e.g. weibo")],
    config: ConfigOption = None,
    replay: ReplayOption = None,
    state: StateOption = None,
    keyword: KeywordOption = None,
) -> None:
    """Crawl one source once, then print what was stored and what went wrong."""
    from crawlers.run import SPIDERS, run_crawl
    from yuqing.logs import configure_logging
    from yuqing.metrics import NLP
    from yuqing.ops.runlock import DataDirInUse, RunLock

    settings = settings_or_exit(config)
    if source not in SPIDERS:
        fail(f"unknown source '{source}' (known: {', '.join(sorted(SPIDERS))})")
    if replay is not None and not (replay / "responses.json").is_file():
        fail(f"{replay}: no responses.json in the replay directory")
    store_or_exit(settings).close()  # a wrong index address or credentials: one line, before crawling
    try:
        lock = RunLock(settings.storage.data_dir).share()
    except DataDirInUse as exc:
        fail(str(exc))
    if keyword:
        sources = settings.sources.model_copy(update={
            source: getattr(settings.sources, source).model_copy(update={"keywords": keyword})})
        settings = settings.model_copy(update={"sources": sources})
    configure_logging(settings, level=settings.crawl.log_level)
    try:
        stats = run_crawl(settings, source, replay, state, install_root_handler=False)
    finally:
        lock.release()
    ours = {k.removeprefix(f"yuqing/{source}/"): v for k, v in stats.items() if k.startswith("yuqing/")}
    typer.echo(json.dumps({"source": source, "finish_reason": stats.get("finish_reason"), **ours,
                           "nlp": NLP.snapshot()}, ensure_ascii=False, sort_keys=True))
    if stats.get("finish_reason") == "disk_full":
        raise typer.Exit(1)


@app.command()
def run(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
    scheduler: Annotated[bool, typer.Option(help="run the crawl scheduler too")] = True,
) -> None:
    """Start the service: the API and web pages, and the crawl scheduler."""
    import uvicorn

    from api.app import create_app
    from yuqing.logs import configure_logging
    from yuqing.ops.memory import MallocTrimmer, tune_malloc
    from yuqing.ops.runlock import DataDirInUse, RunLock
    from yuqing.scheduler import build_scheduler, open_loop

    tune_malloc()  # before the service's threads start (see yuqing/ops/memory.py)
    settings = settings_or_exit(config)
    try:
        lock = RunLock(settings.storage.data_dir).share()
    except DataDirInUse as exc:
        fail(str(exc))
    store = store_or_exit(settings)  # a wrong address or credentials: one line and exit 2
    configure_logging(settings)
    loop = open_loop(settings, store=store)
    jobs = build_scheduler(settings, loop=loop) if scheduler else None
    if jobs:
        jobs.start()
    trimmer = MallocTrimmer().start()
    address = f"http://{host or settings.api.host}:{port or settings.api.port}"
    typer.echo(f"yuqing: open {address}/ and log in (the administrator `yuqing init` printed, or "
               f"yuqing users add NAME --role admin); API docs at {address}/docs")
    try:
        uvicorn.run(create_app(settings, loop.store, db=loop.db, notifier=loop.notifier, rules=loop.rules),
                    host=host or settings.api.host, port=port or settings.api.port, log_config=None,
                    access_log=False, proxy_headers=True, forwarded_allow_ips=settings.api.forwarded_allow_ips,
                    server_header=False)
    finally:
        trimmer.stop()
        if jobs:
            jobs.shutdown(wait=False)
        loop.close()
        lock.release()


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="words to search for")] = "",
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    relevant: Annotated[bool | None, typer.Option(help="only relevant / irrelevant mentions")] = None,
) -> None:
    """Search the index from the terminal (newest first)."""
    from store.base import MentionQuery, StoreError

    settings = settings_or_exit(config)
    with store_or_exit(settings) as store:
        try:
            page = store.search(MentionQuery(text=text, relevant=relevant, limit=limit))
        except StoreError as exc:
            fail(str(exc))
    typer.echo(f"{page.total} mentions")
    for item in page.items:
        m = item.mention
        typer.echo(f"{m.published_at:%Y-%m-%d %H:%M} {m.platform} {item.sentiment:<8} "
                   f"{','.join(item.categories) or '-':<20} {m.author.name}: {m.text[:60]}")
