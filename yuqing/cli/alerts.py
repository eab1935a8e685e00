"""`yuqing alerts` and `yuqing db`: rule files, labelled examples, the database schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from yuqing.cli.app import ConfigOption, app, database_or_exit, fail, settings_or_exit

alerts_app = typer.Typer(help="Alert rules and the examples reviewers labelled.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
db_app = typer.Typer(help="The relational database (alerts, tickets, users).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@alerts_app.command("check-rules")
def check_rules(file: Annotated[Path | None, typer.Argument(help="rule file (default: the one in force)")] = None,
                config: ConfigOption = None) -> None:
    """Validate a rule file; exit code 2 with the line and reason if it is invalid."""
    from alerts.rules.loader import RuleFileError, parse_rules
    from yuqing.wiring import rules_path

    path = file or rules_path(settings_or_exit(config))
    if not path.is_file():
        fail(f"{path}: no such rule file")
    try:
        rules = parse_rules(path.read_text(encoding="utf-8", errors="replace"))
    except RuleFileError as exc:
        fail(f"{path}: {exc}")
    typer.echo(f"{path}: OK ({len(rules.spec.rules)} rules, {len(rules.bursts)} burst rules)")


@alerts_app.command("export-labels")
def export_labels(output: Annotated[Path, typer.Argument(help="JSON lines file to write")],
                  config: ConfigOption = None) -> None:
    """Write the reviewers' corrections as labelled examples for retraining (one JSON per line)."""
    from alerts.service import labelled_examples

    db = database_or_exit(settings_or_exit(config))
    with db.read() as session, output.open("w", encoding="utf-8") as out:
        rows = labelled_examples(session)
        for row in rows:
            out.write(json.dumps({
                "id": f"review-{row.id}", "mention_id": row.mention_id, "platform": row.platform, "text": row.text,
                "sentiment": row.sentiment, "categories": row.categories, "model_sentiment": row.model_sentiment,
                "model_categories": row.model_categories, "by": row.by, "at": row.at.isoformat(),
            }, ensure_ascii=False) + "\n")
    db.close()
    typer.echo(f"{len(rows)} labelled examples written to {output}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the database migrations up to the newest schema."""
    from alerts.db import Database, database_url

    db = Database(database_url(settings_or_exit(config)))
    try:
        revision = db.migrate()
    except Exception as exc:  # a database that cannot be reached: one line, not a traceback
        fail(f"database upgrade failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        db.close()
    typer.echo(f"database at revision {revision}")
