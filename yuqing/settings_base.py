"""What every settings section shares: unknown keys are errors, and service URLs are checked
the same way (scheme and host, a valid port, no credentials in the URL)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def http_url(value: str, section: str) -> str:
    """`value` if it is an http(s)://host[:port] URL; ValueError naming the problem otherwise.
    Credentials belong in the section's api_key or username/password, never in the URL."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{value}' is not an http(s)://host[:port] URL")
    if parts.username or parts.password:
        raise ValueError(f"put credentials in {section}.api_key or {section}.username/{section}.password, "
                         "not in the URL")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise ValueError(f"'{value}' has an invalid port") from None
    return value
