"""Alembic, driven from code: `upgrade(engine)` brings a database to the newest revision.

There is no alembic.ini to keep in step; `yuqing db upgrade`, `yuqing init`, the service and
the tests all call this.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from alerts.db import MIGRATIONS


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current(engine: Engine) -> str:
    """The revision a database is at ("" when it has none yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or ""


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply every migration up to `revision` (idempotent); returns the revision reached."""
    config = alembic_config()
    if current(engine) == head() and revision == "head":
        return head()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current(engine)
