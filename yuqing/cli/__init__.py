"""The `yuqing` command line. Each module registers its commands on the one Typer app."""

from yuqing.cli import (  # noqa: F401  (importing registers the commands)
    alerts,
    config,
    core,
    es,
    es_snapshot,
    imports,
    kibana,
    nlp,
    ops,
    reports,
    sites,
    sources,
    users,
)
from yuqing.cli.app import app


def main() -> None:
    app()
