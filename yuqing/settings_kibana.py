"""The `[kibana]` section: where `yuqing kibana import` sends the saved objects. Kept beside
`yuqing/settings.py`, which includes it; imports no stage. Credentials come from the
environment (`YUQING_KIBANA__API_KEY`, or `YUQING_KIBANA__USERNAME` + `YUQING_KIBANA__PASSWORD`)
or the secrets file, never from the URL."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_SPACE = re.compile(r"^[a-z0-9_-]{1,100}$")


class KibanaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = ""  # e.g. "https://kibana.example:5601" (a base path included: "https://host/kibana")
    space: str = ""  # a Kibana space id; empty: the default space
    api_key: SecretStr | None = None  # base64 "id:key" (sent as "Authorization: ApiKey ..."); or username + password
    username: str = ""
    password: SecretStr | None = None
    ca_certs: Path | None = None  # PEM file of the CA that signed Kibana's certificate
    verify_certs: bool = True
    timeout_seconds: float = Field(default=30, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{value}' is not an http(s)://host[:port] URL")
        if parts.username or parts.password:
            raise ValueError("put credentials in kibana.api_key or kibana.username/kibana.password, not in the URL")
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError:
            raise ValueError(f"'{value}' has an invalid port") from None
        return value

    @field_validator("space")
    @classmethod
    def _space(cls, value: str) -> str:
        if value and not _SPACE.match(value):
            raise ValueError("a Kibana space id: lower-case letters, digits, '_' and '-'")
        return value

    @model_validator(mode="after")
    def _one_way_to_log_in(self) -> KibanaSettings:
        if self.api_key and (self.username or self.password):
            raise ValueError("set either kibana.api_key or kibana.username/kibana.password, not both")
        if bool(self.username) != bool(self.password):
            raise ValueError("kibana.username and kibana.password go together")
        return self
