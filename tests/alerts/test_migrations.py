"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from alerts.db import Database
from alerts.migrate import alembic_config, current, head
from alerts.schema import metadata


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert current(db.engine) == head() == "0001"
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert differences == []
    assert db.migrate() == head()  # upgrading an up-to-date database changes nothing


def test_downgrade_removes_everything_and_upgrade_restores_it(db: Database) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    assert db.migrate() == "0001"
    assert {"alerts", "tickets", "ticket_events", "users", "deliveries"} <= set(inspect(db.engine).get_table_names())
