"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from alerts.db import Database
from alerts.migrate import alembic_config, current, head
from alerts.schema import metadata


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert current(db.engine) == head() == "0002"
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
    assert db.migrate() == "0002"
    assert {"alerts", "tickets", "ticket_events", "users", "deliveries"} <= set(inspect(db.engine).get_table_names())


def test_upgrading_a_0001_database_keeps_its_api_keys(db: Database) -> None:
    """0002 adds `api_keys.last_used_at`: keys made before it keep working, never used so far."""
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "last_used_at" not in {c["name"] for c in inspect(db.engine).get_columns("api_keys")}
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO api_keys (name, prefix, key_hash, role, department, created_by,"
                                " created_at) VALUES ('old-key', 'yqk_abcdef', 'x', 'viewer', '', 'admin',"
                                " '2026-11-01 08:00:00')"))
    assert db.migrate() == "0002"
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT name, role, last_used_at FROM api_keys")).all()
    assert [tuple(r) for r in rows] == [("old-key", "viewer", None)]
