"""The official Elasticsearch client built from settings, and its failures as one line each.

Secrets (API key, password) go to the client only; messages name the URL and the problem,
never a credential (URLs with credentials in them are refused by the settings).
"""

from __future__ import annotations

import re
from typing import Any

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    ConnectionError,
    ConnectionTimeout,
    Elasticsearch,
    SSLError,
    TransportError,
    UnsupportedProductError,
)

from store.base import StoreUnavailable
from yuqing.settings import EsSettings

SUPPORTED_MAJORS = (8, 9)  # the 8.x client speaks to 8 natively and to 9 in compatibility mode
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})  # load shedding and gateways: try again later

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^)\]'\"]+)")
_TLS = re.compile(r"(certificate verify failed[^)'\"]*|wrong version number|handshake failure)", re.I)


def make_client(es: EsSettings) -> Elasticsearch:
    """A client for the configured cluster (nothing is sent until the first request)."""
    options: dict[str, Any] = {
        "hosts": es.hosts,
        "request_timeout": es.request_timeout,
        "max_retries": 2,
        "retry_on_timeout": True,  # safe: writes are idempotent (ids, sequence numbers)
    }
    if es.api_key:
        options["api_key"] = es.api_key.get_secret_value()
    if es.username and es.password:
        options["basic_auth"] = (es.username, es.password.get_secret_value())
    if any(h.startswith("https://") for h in es.hosts):
        options["verify_certs"] = es.verify_certs
        if es.ca_certs:
            options["ca_certs"] = str(es.ca_certs)
        if not es.verify_certs:
            options["ssl_show_warn"] = False
    try:
        return Elasticsearch(**options)
    except ValueError as exc:  # e.g. TLS options with a plain-http node
        raise StoreUnavailable(f"Elasticsearch at {', '.join(es.hosts)}: {exc}") from None


def api_reason(exc: ApiError) -> str:
    """The server's own explanation of an API error (type: reason)."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', exc.message)}: {error.get('reason', '')}".strip(": ")
    return str(error or exc.message)


def _short(exc: Exception) -> str:
    text = str(exc)
    for pattern in (_TLS, _ERRNO):
        found = pattern.search(text)
        if found:
            return found.group(1).strip()
    return text[-200:]


def describe(exc: Exception, hosts: list[str], timeout: float | None = None) -> str:
    """One line a person can act on, for any failure talking to the cluster."""
    where = f"Elasticsearch at {', '.join(hosts)}"
    if isinstance(exc, AuthenticationException):
        return f"{where} refused the credentials (HTTP 401): check es.api_key or es.username/es.password"
    if isinstance(exc, AuthorizationException):
        return f"{where}: permission denied (HTTP 403): {api_reason(exc)}"
    if isinstance(exc, UnsupportedProductError):
        return f"{where} answered, but it is not Elasticsearch (check es.url)"
    if isinstance(exc, ApiError):
        return f"{where}: HTTP {exc.status_code}: {api_reason(exc)}"
    if isinstance(exc, SSLError):
        return f"{where}: TLS failed ({_short(exc)}); check es.ca_certs"
    if isinstance(exc, ConnectionTimeout):
        return f"{where}: no answer within {timeout or '?'} s"
    if isinstance(exc, ConnectionError):
        return f"{where}: cannot connect ({_short(exc)})"
    return f"{where}: {type(exc).__name__}: {_short(exc)}"


def is_transient(exc: Exception) -> bool:
    """Worth retrying later: the cluster is down, unreachable or shedding load."""
    if isinstance(exc, ApiError):
        return exc.status_code in TRANSIENT_STATUSES
    return isinstance(exc, TransportError)  # connection refused, reset, timeout, TLS


def check(client: Elasticsearch, es: EsSettings) -> str:
    """Ask the cluster who it is; the version, or StoreUnavailable with one clear line."""
    try:
        info = client.info()
    except (ApiError, TransportError) as exc:
        raise StoreUnavailable(describe(exc, es.hosts, es.request_timeout)) from None
    version = str(info.get("version", {}).get("number", "?"))
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    if major not in SUPPORTED_MAJORS:
        raise StoreUnavailable(f"Elasticsearch at {', '.join(es.hosts)} runs {version}; yuqing needs 8.x or 9.x")
    return version
