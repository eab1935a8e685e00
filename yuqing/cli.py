"""The `yuqing` command line."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from yuqing.settings import ConfigError, Settings, load_settings

app = typer.Typer(help="泰山港华燃气舆情监测 yuqing: crawl, analyse, index and serve mentions.",
                  no_args_is_help=True, add_completion=False)
config_app = typer.Typer(help="Check or show the configuration.", no_args_is_help=True)
nlp_app = typer.Typer(help="Run the NLP stage on your own data.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(nlp_app, name="nlp")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="config file (default: $YUQING_CONFIG or ./yuqing.toml)")
]
ReplayOption = Annotated[
    Path | None, typer.Option(help="serve saved responses from this directory instead of the network")
]
StateOption = Annotated[
    Path | None, typer.Option(help="crawl-state file (high-water marks) instead of the data directory's")
]
KeywordOption = Annotated[
    list[str] | None, typer.Option(help="search these keywords instead of the configured ones")
]


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr and a non-zero exit: how every user error ends."""
    typer.echo(f"yuqing: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(str(exc))


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


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the configuration; exit code 2 with the key and problem if it is broken."""
    settings_or_exit(config)
    typer.echo("configuration OK")


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Print the effective configuration as JSON (secrets masked)."""
    settings = settings_or_exit(config)
    typer.echo(json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, indent=2))


@nlp_app.command("analyze")
def nlp_analyze(
    file: Annotated[Path | None, typer.Argument(help="JSON lines file; standard input if omitted")] = None,
    config: ConfigOption = None,
) -> None:
    """Analyse JSON lines ({"id", "text", "platform"?}) and write one JSON line per input."""
    from nlp.analyze import Analyzer

    analyzer = Analyzer(settings_or_exit(config))
    stream = file.open(encoding="utf-8", errors="replace") if file else sys.stdin
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = str(record.get("text") or "")
        except (ValueError, AttributeError):
            typer.echo(json.dumps({"line": number, "error": "not a JSON object"}))
            continue
        result = analyzer.analyze_text(text)
        typer.echo(json.dumps({
            "id": record.get("id", number),
            "relevant": result.relevant,
            "relevance_score": result.relevance_score,
            "sentiment": {"label": result.sentiment.label.value, "score": result.sentiment.score},
            "categories": [hit.model_dump(mode="json") for hit in result.categories],
            "place": result.place,
            "keywords": result.keywords,
        }, ensure_ascii=False))


def main() -> None:
    app()
