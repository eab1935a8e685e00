"""The notification delivery log (no URLs, no secrets: channel names and outcomes only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from alerts.notify.models import DeliveryStatus
from alerts.notify.service import delivery_log
from api.deps import ReadSession

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    kind: str
    ref: str
    subject: str
    status: DeliveryStatus
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None


@router.get("", response_model=list[DeliveryOut], summary="Newest deliveries and their outcome")
def deliveries(session: ReadSession, status: DeliveryStatus | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:
    return [DeliveryOut.model_validate(row) for row in delivery_log(session, limit=limit,
                                                                    status=status.value if status else None)]
