"""All tables of the relational store, imported so the metadata is complete (Alembic, tests)."""

from alerts import models as alert_models
from alerts.calendar import models as calendar_models
from alerts.db import Base
from alerts.notify import models as notify_models
from alerts.tickets import models as ticket_models
from alerts.users import models as user_models

metadata = Base.metadata
__all__ = ["alert_models", "calendar_models", "metadata", "notify_models", "ticket_models", "user_models"]
