"""The `yuqing` Typer application and what every command module shares."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from yuqing.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from alerts.db import Database
    from store.base import MentionStore

app = typer.Typer(help="泰山港华燃气舆情监测 yuqing: crawl, analyse, index and serve mentions.",
                  no_args_is_help=True, add_completion=False)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="config file (default: $YUQING_CONFIG or ./yuqing.toml)")
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


def store_or_exit(settings: Settings) -> MentionStore:
    """The configured mention index, or one line and exit 2 (wrong URL, credentials, outage)."""
    from store.base import StoreError
    from yuqing.wiring import open_mention_store

    try:
        return open_mention_store(settings)
    except StoreError as exc:
        fail(str(exc))


def database_or_exit(settings: Settings) -> Database:
    """The migrated database, or one line and exit code 2 when it cannot be opened."""
    from alerts.db import open_database

    try:
        return open_database(settings)
    except Exception as exc:  # unreachable server, bad URL, no permission: say so in one line
        reason = (str(exc).strip().splitlines() or [""])[0]
        if settings.alerts.database_url is not None:
            reason = reason.replace(settings.alerts.database_url.get_secret_value(), "<database_url>")
        fail(f"cannot open the database: {type(exc).__name__}: {reason[:300]}")
