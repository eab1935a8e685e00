"""The `[kibana]` section: where `yuqing kibana import` sends the saved objects. Kept beside
`yuqing/settings.py`, which includes it; imports no stage. Credentials come from the
environment (`YUQING_KIBANA__API_KEY`, or `YUQING_KIBANA__USERNAME` + `YUQING_KIBANA__PASSWORD`)
or the secrets file, never from the URL."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from yuqing.settings_base import Section, http_url

_SPACE = re.compile(r"^[a-z0-9_-]{1,100}$")


class KibanaSettings(Section):
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
        return http_url(value, "kibana") if value else value

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
