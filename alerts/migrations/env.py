"""Alembic environment: the connection comes from `alerts.migrate.upgrade`."""

from __future__ import annotations

from alembic import context

from alerts.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through alerts.migrate.upgrade(engine)")

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
