"""The delivery log names each channel as staff read it: its configured label, else its kind and
configured name; a channel removed from the configuration since keeps its stored name."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from pydantic import SecretStr

from alerts.notify.models import Delivery
from api.app import create_app
from tests.api.helpers import sign_in
from tests.conftest import make_settings
from yuqing.records import SHANGHAI, Role
from yuqing.settings_ops import ChannelSettings, NotifySettings

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)


def test_channels_are_named_by_their_label_or_kind(tmp_path, store, sqlite_db) -> None:
    channels = {"pr_group": ChannelSettings(kind="wecom", label="公关群", url=SecretStr("https://robot.example/k")),
                "it_mail": ChannelSettings(kind="email", to=["it@example.cn"])}
    settings = make_settings(tmp_path / "data", notify=NotifySettings(channels=channels))
    with sqlite_db.write() as session:
        for channel in ("pr_group", "it_mail", "retired_robot"):
            session.add(Delivery(channel=channel, kind="alert", subject="【橙色预警】", body="…", created_at=NOW,
                                 updated_at=NOW))
    with TestClient(create_app(settings, store=store, db=sqlite_db)) as client:
        sign_in(client, sqlite_db, settings, Role.supervisor)
        log = client.get("/api/notifications").json()
    assert {d["channel"]: d["channel_zh"] for d in log} == {
        "pr_group": "公关群", "it_mail": "邮件 · it_mail", "retired_robot": "retired_robot"}
    assert "robot.example" not in str(log) and "it@example.cn" not in str(log)
