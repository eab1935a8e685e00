"""Settings for running the service: `[logging]` and `[metrics]`.

Kept beside `yuqing/settings.py`, which includes them; like it, this module imports no stage.
Every key is documented with its default in `yuqing.example.toml`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from yuqing.settings_base import Section as _Section


class LoggingSettings(_Section):
    """Where the log lines go (stderr: the journal or `docker logs`) and how they look."""

    # "json": one JSON object a line (time, level, logger, message, request_id, job_id, ...);
    # "text": the same fields for people at a terminal.
    format: Literal["json", "text"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = True  # one line per API request: method, route, status, milliseconds


class MetricsSettings(_Section):
    """Prometheus `/metrics`. It answers administrators (login or API key) and, when set,
    a scraper bearing `token`; everyone else gets 401. It never holds secrets."""

    enabled: bool = True
    token: SecretStr | None = None  # Prometheus: `authorization: {credentials_file: ...}`
    cache_seconds: float = Field(default=10, ge=0, le=600)  # figures read from the databases, this fresh

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None  # YUQING_METRICS__TOKEN= (empty, as compose passes an unset variable): no token
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("use at least 16 characters (python -c 'import secrets; print(secrets.token_urlsafe())')")
        return value
