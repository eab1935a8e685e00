"""Top-level commands: init, demo, crawl, run, search."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit
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
    """Create the data directory and the empty index."""
    from yuqing.wiring import open_mention_store

    settings = settings_or_exit(config)
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    open_mention_store(settings).close()
    typer.echo(f"data directory ready: {settings.storage.data_dir.resolve()}")


@app.command()
def demo(config: ConfigOption = None) -> None:
    """Load the demo: bundled Weibo responses through the real spider and pipeline."""
    from yuqing.demo import run_demo

    settings_or_exit(config)
    if config is not None:  # the replay runs in a child process: it must read the same config
        os.environ[CONFIG_ENV] = str(config.resolve())
    with tempfile.TemporaryDirectory(prefix="yuqing-demo-") as work:
        done = run_demo(Path(work), date.today())
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

    settings = settings_or_exit(config)
    if source not in SPIDERS:
        fail(f"unknown source '{source}' (known: {', '.join(sorted(SPIDERS))})")
    if replay is not None and not (replay / "responses.json").is_file():
        fail(f"{replay}: no responses.json in the replay directory")
    if keyword:
        sources = settings.sources.model_copy(update={
            source: getattr(settings.sources, source).model_copy(update={"keywords": keyword})})
        settings = settings.model_copy(update={"sources": sources})
    stats = run_crawl(settings, source, replay, state)
    ours = {k.removeprefix(f"yuqing/{source}/"): v for k, v in stats.items() if k.startswith("yuqing/")}
    typer.echo(json.dumps({"source": source, "finish_reason": stats.get("finish_reason"), **ours},
                          ensure_ascii=False, sort_keys=True))


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
    from yuqing.scheduler import build_scheduler

    settings = settings_or_exit(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs = build_scheduler(settings) if scheduler else None
    if jobs:
        jobs.start()
    try:
        uvicorn.run(create_app(settings), host=host or settings.api.host,
                    port=port or settings.api.port, log_level="info")
    finally:
        if jobs:
            jobs.shutdown(wait=False)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="words to search for")] = "",
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    relevant: Annotated[bool | None, typer.Option(help="only relevant / irrelevant mentions")] = None,
) -> None:
    """Search the index from the terminal (newest first)."""
    from store.base import MentionQuery
    from yuqing.wiring import open_mention_store

    settings = settings_or_exit(config)
    with open_mention_store(settings) as store:
        page = store.search(MentionQuery(text=text, relevant=relevant, limit=limit))
    typer.echo(f"{page.total} mentions")
    for item in page.items:
        m = item.mention
        typer.echo(f"{m.published_at:%Y-%m-%d %H:%M} {m.platform} {item.sentiment:<8} "
                   f"{','.join(item.categories) or '-':<20} {m.author.name}: {m.text[:60]}")
