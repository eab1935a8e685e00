"""`yuqing kibana`: the saved objects (data view, visualizations, dashboard) into Kibana."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit
from yuqing.settings import Settings

kibana_app = typer.Typer(help="Kibana 8 dashboards of the mention index: import or export the saved objects.",
                         no_args_is_help=True)
app.add_typer(kibana_app, name="kibana")

FileOption = Annotated[Path | None, typer.Option(
    "--file", help="saved objects to send instead of the shipped kibana/saved_objects.ndjson", dir_okay=False)]


def _objects(settings: Settings, path: Path | None) -> list[dict]:
    """The saved objects, their data view on the configured alias (es.index_prefix)."""
    from kibana.objects import NDJSON, for_alias, load

    source = path or NDJSON
    try:
        objects = load(source)
    except OSError as exc:
        fail(f"{source}: cannot read: {exc.strerror or exc}")
    except ValueError as exc:
        fail(f"{source}: not NDJSON (one JSON object per line): {exc}")
    if not all(isinstance(o, dict) and {"type", "id", "attributes"} <= o.keys() for o in objects):
        fail(f"{source}: every line must be a saved object with type, id and attributes")
    return for_alias(objects, settings.es.index_prefix)


@kibana_app.command("import")
def kibana_import(
    url: Annotated[str, typer.Option(help="Kibana's address, e.g. https://kibana.example:5601 (default: kibana.url)")]
    = "",
    space: Annotated[str, typer.Option(help="a Kibana space id (default: kibana.space, else the default space)")] = "",
    file: FileOption = None,
    config: ConfigOption = None,
) -> None:
    """Import the data view, visualizations and dashboard through Kibana's saved-objects API,
    overwriting earlier copies. Credentials from YUQING_KIBANA__API_KEY, or YUQING_KIBANA__USERNAME
    and YUQING_KIBANA__PASSWORD (or the secrets file)."""
    from pydantic import ValidationError

    from kibana.importer import KibanaError, import_objects
    from kibana.objects import DASHBOARD_ID, to_ndjson
    from yuqing.settings_kibana import KibanaSettings

    settings = settings_or_exit(config)
    try:
        kibana = KibanaSettings.model_validate({**settings.kibana.model_dump(), **({"url": url} if url else {}),
                                                **({"space": space} if space else {})})
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"--{first['loc'][0] if first['loc'] else 'url'}: {first['msg'].removeprefix('Value error, ')}")
    if not kibana.url:
        fail("no Kibana address: give --url or set kibana.url in the config file")
    ndjson = to_ndjson(_objects(settings, file))
    try:
        result = import_objects(
            ndjson, url=kibana.url, space=kibana.space, username=kibana.username,
            api_key=kibana.api_key.get_secret_value() if kibana.api_key else None,
            password=kibana.password.get_secret_value() if kibana.password else None,
            ca_certs=kibana.ca_certs, verify_certs=kibana.verify_certs, timeout=kibana.timeout_seconds)
    except KibanaError as exc:
        fail(str(exc))
    where = f"{kibana.url}/s/{kibana.space}" if kibana.space else kibana.url
    typer.echo(f"imported {result.imported} saved objects into Kibana at {where} "
               f"(data view on {settings.es.index_prefix}):")
    for title in result.titles:
        typer.echo(f"  {title}")
    typer.echo(f"dashboard: {where}/app/dashboards#/view/{DASHBOARD_ID}")


@kibana_app.command("export")
def kibana_export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write here instead of standard output",
                                             dir_okay=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Print the saved objects as NDJSON for the configured alias, for Kibana's own
    Stack Management → Saved objects → Import."""
    from kibana.objects import to_ndjson

    settings = settings_or_exit(config)
    ndjson = to_ndjson(_objects(settings, None))
    if out is None:
        typer.echo(ndjson.decode("utf-8"), nl=False)
        return
    try:
        out.write_bytes(ndjson)
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}")
    typer.echo(f"wrote {out}")


@kibana_app.command("check")
def kibana_check(file: FileOption = None, config: ConfigOption = None) -> None:
    """Check the saved objects against the configured Elasticsearch, without Kibana: references,
    every field in the mapping with the type its chart needs, and that each visualization's
    aggregation returns buckets. Exit code 1 when something is wrong."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    from kibana.validate import check_against
    from store.es_client import describe, make_client

    settings = settings_or_exit(config)
    if not settings.es.url:
        fail("no Elasticsearch configured: set YUQING_ES_URL (or es.url in the config file)")
    objects = _objects(settings, file)
    client = make_client(settings.es)
    try:
        report = check_against(client, objects)
    except (ApiError, TransportError) as exc:
        fail(describe(exc, [u.strip() for u in settings.es.url.split(",")], settings.es.request_timeout))
    finally:
        client.close()
    titles = {o["id"]: o["attributes"]["title"] for o in objects}
    for object_id, depths in report.buckets.items():
        typer.echo(f"{titles[object_id]}: {' × '.join(str(n) for n in depths) or 0} buckets")
    for object_id, found in report.hits.items():
        typer.echo(f"{titles[object_id]}: {found} mentions")
    for problem in report.problems:
        typer.echo(f"problem: {problem}", err=True)
    if report.problems:
        raise typer.Exit(1)
    typer.echo(f"all {len(objects)} saved objects fit {settings.es.index_prefix}")
