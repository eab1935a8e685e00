"""The notification delivery log (no URLs, no secrets: channel names and outcomes only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from alerts.notify.models import DeliveryStatus
from alerts.notify.service import delivery_log
from api.deps import ReadSession, SettingsDep
from yuqing.settings import Settings

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
    channel_zh: str = ""  # the configured label, or the kind and the configured name


CHANNEL_KIND_ZH = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书", "email": "邮件", "sms": "短信"}


def channel_name(settings: Settings, channel: str) -> str:
    """How staff read a channel: its label, else its kind and key (a channel since removed: its key)."""
    configured = settings.notify.channels.get(channel)
    if configured is None:
        return channel
    return configured.label or f"{CHANNEL_KIND_ZH[configured.kind]} · {channel}"


@router.get("", response_model=list[DeliveryOut], summary="Newest deliveries and their outcome")
def deliveries(session: ReadSession, settings: SettingsDep, status: DeliveryStatus | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:
    rows = delivery_log(session, limit=limit, status=status.value if status else None)
    return [DeliveryOut.model_validate(row).model_copy(update={"channel_zh": channel_name(settings, row.channel)})
            for row in rows]
