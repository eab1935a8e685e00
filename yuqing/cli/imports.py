"""`yuqing import clippings FILE`: newspaper, TV and radio clippings from CSV or XLSX."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit
from yuqing.records import SHANGHAI

import_app = typer.Typer(help="Import data entered by staff.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("clippings")
def import_clippings_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or XLSX: outlet, date, title, summary, "
                                              "link, media type")],
    config: ConfigOption = None,
) -> None:
    """Validate every row, ingest the good ones like crawled mentions, report the rejected ones.

    Exit code 0 when every row was accepted, 1 when some rows were rejected, 2 when the file
    cannot be read at all (then nothing is stored)."""
    from yuqing.clippings import ClippingFileError, import_clippings
    from yuqing.wiring import build_ingestor

    settings = settings_or_exit(config)
    if not file.is_file():
        fail(f"{file}: no such file")
    data = file.read_bytes()
    if len(data) > settings.clippings.max_upload_mb * 1024 * 1024:
        fail(f"{file}: larger than {settings.clippings.max_upload_mb:g} MB (clippings.max_upload_mb)")
    ingestor = build_ingestor(settings)
    try:
        report = import_clippings(data, file.name, ingestor=ingestor, now=datetime.now(SHANGHAI),
                                  max_rows=settings.clippings.max_rows)
    except ClippingFileError as exc:
        fail(f"{file}: {exc}")
    finally:
        ingestor.store.close()
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    if report.rejected:
        raise typer.Exit(1)
