"""`yuqing config`: check or show the configuration."""

from __future__ import annotations

import json

import typer

from yuqing.cli.app import ConfigOption, app, settings_or_exit

config_app = typer.Typer(help="Check or show the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


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
