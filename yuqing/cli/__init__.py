"""The `yuqing` command line. Each module registers its commands on the one Typer app."""

from yuqing.cli import config, core, imports, nlp, reports, sites, sources  # noqa: F401  (importing registers the commands)
from yuqing.cli.app import app


def main() -> None:
    app()
