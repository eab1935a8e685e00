"""Alembic, driven from code: `upgrade(engine)` brings a database to the newest revision.

There is no alembic.ini to keep in step; `yuqing db upgrade`, `yuqing init`, the service and
the tests all call this.
"""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from alerts.db import MIGRATIONS

log = logging.getLogger("yuqing.db")
logging.getLogger("alembic").setLevel(logging.WARNING)  # one line of ours instead of Alembic's chatter


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
    before = current(engine)
    if before == head() and revision == "head":
        return before
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    after = current(engine)
    log.info("database schema upgraded from revision %s to %s", before or "(empty)", after)
    return after
