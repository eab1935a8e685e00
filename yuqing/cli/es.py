"""`yuqing es`: set up, fill and look after the Elasticsearch mention index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from yuqing.cli.app import ConfigOption, app, fail, settings_or_exit, store_or_exit
from yuqing.settings import Settings

if TYPE_CHECKING:
    from store.elasticsearch import ElasticsearchStore

T = TypeVar("T")
es_app = typer.Typer(help="Set up, fill and look after the Elasticsearch mention index.", no_args_is_help=True)
app.add_typer(es_app, name="es")


def _es_store(settings: Settings) -> ElasticsearchStore:
    if not settings.es.url:
        fail("no Elasticsearch configured: set YUQING_ES_URL (or es.url in the config file)")
    store = store_or_exit(settings)
    from store.elasticsearch import ElasticsearchStore

    assert isinstance(store, ElasticsearchStore)
    return store


@es_app.command("init")
def es_init(config: ConfigOption = None) -> None:
    """Create (or bring up to date) the index template, this month's index and the alias."""
    from store.base import StoreError

    settings = settings_or_exit(config)
    with _es_store(settings) as store:
        try:
            done = store.setup(force=True)
            indices = store.indices()
        except StoreError as exc:
            fail(str(exc))
    for line in done:
        typer.echo(f"created/updated: {line}")
    typer.echo(f"alias {store.alias} over {len(indices)} indices: {', '.join(indices) or '-'}")


@es_app.command("reindex")
def es_reindex(
    config: ConfigOption = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="mentions per bulk request")] = 500,
) -> None:
    """Copy every mention (with corrections) from the SQLite index into Elasticsearch."""
    from store.base import MentionQuery, StoreError
    from store.sqlite import SQLiteStore
    from yuqing.wiring import query_tokenizer

    settings = settings_or_exit(config)
    source_path = settings.storage.mentions_db
    if not source_path.is_file():
        fail(f"{source_path}: no SQLite index to copy from")
    copied = inserted = 0
    failed: list[tuple[str, str]] = []
    with SQLiteStore(source_path, query_tokenizer(settings)) as source, _es_store(settings) as target:
        total = source.count(MentionQuery())
        with typer.progressbar(length=total, label="copying mentions") as bar:
            for chunk in _chunks(source.iter_stored(batch), batch):
                try:
                    result = target.copy_in(chunk)
                except StoreError as exc:
                    fail(str(exc))
                inserted += result.inserted
                failed += result.failed
                copied += len(chunk)
                bar.update(len(chunk))
    typer.echo(f"copied {copied - len(failed)} of {total} mentions ({inserted} new in Elasticsearch)")
    for mention_id, reason in failed:
        typer.echo(f"not copied: {mention_id}: {reason}", err=True)
    if failed:
        raise typer.Exit(1)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@es_app.command("outbox")
def es_outbox(
    config: ConfigOption = None,
    replay: Annotated[bool, typer.Option("--replay", help="send waiting mentions to Elasticsearch now")] = False,
    retry_rejected: Annotated[bool, typer.Option(
        "--retry-rejected", help="queue rejected mentions again (after fixing the cause) and replay")] = False,
    discard: Annotated[str | None, typer.Option(help="delete the rejected entries of this mention id")] = None,
    limit: Annotated[int, typer.Option(min=1, help="rejected entries to list")] = 50,
) -> None:
    """List mentions waiting for Elasticsearch and those it rejected (with the reason)."""
    from store.outbox import Outbox, OutboxStatus

    settings = settings_or_exit(config)
    path = settings.storage.es_outbox_db
    if not path.is_file():
        typer.echo(f"outbox empty ({path} does not exist)")
        return
    outbox = Outbox(path)
    try:
        if discard:
            typer.echo(f"discarded {outbox.discard(discard)} rejected entries of {discard}")
        if retry_rejected:
            typer.echo(f"queued again: {outbox.requeue_rejected()} rejected entries")
    finally:
        outbox.close()
    if replay or retry_rejected:
        with _es_store(settings) as store:
            counts = store.replay_outbox()
        typer.echo(f"replayed: {counts['stored']} stored, {counts['rejected']} rejected, "
                   f"{counts['waiting']} still waiting")
    outbox = Outbox(path)
    try:
        counts = outbox.counts()
        typer.echo(f"pending: {counts[OutboxStatus.pending]}  rejected: {counts[OutboxStatus.rejected]}")
        for entry in outbox.entries(OutboxStatus.rejected, limit=limit):
            typer.echo(f"rejected {entry.mention_id} queued {entry.queued_at:%Y-%m-%d %H:%M} "
                       f"attempts {entry.attempts}: {entry.reason}")
    finally:
        outbox.close()


@es_app.command("retention")
def es_retention(
    config: ConfigOption = None,
    months: Annotated[int | None, typer.Option(min=1, help="age in months (default: es.retention_months)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only list what would be dropped")] = False,
) -> None:
    """Drop whole monthly indices older than the retention age."""
    from yuqing.records import SHANGHAI

    settings = settings_or_exit(config)
    age = months or settings.es.retention_months
    if not age:
        fail("no retention age: set es.retention_months or pass --months")
    with _es_store(settings) as store:
        dropped = store.drop_expired(months=age, now=datetime.now(SHANGHAI), dry_run=dry_run)
    verb = "would drop" if dry_run else "dropped"
    typer.echo(f"{verb} {len(dropped)} indices older than {age} months: {', '.join(dropped) or '-'}")
