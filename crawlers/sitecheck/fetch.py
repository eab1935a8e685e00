"""One target fetched: redirects followed by hand (each hop checked), the body streamed and
measured, the TLS certificate's expiry read from the connection.

Everything that can go wrong on the way is raised as a typed `CheckFailure`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from cryptography import x509

from crawlers.sitecheck.errors import (
    AddressRefused,
    CheckFailure,
    ConnectFailed,
    ForeignRedirect,
    HostNotAllowed,
    RedirectLoop,
    Timeout,
    TlsInvalid,
    TooManyRedirects,
    Truncated,
)
from crawlers.sitecheck.safety import RefusedAddress, host_allowed
from yuqing.settings_sites import SiteTarget

KEEP_BYTES = 4 * 1024 * 1024  # body bytes kept for text checks; the rest is only counted
REDIRECTS = (301, 302, 303, 307, 308)
Clock = Callable[[], float]


@dataclass(slots=True)
class Fetched:
    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes
    size: int  # bytes received (after content decoding), even beyond KEEP_BYTES
    latency_ms: float
    redirects: list[str] = field(default_factory=list)
    cert_not_after: datetime | None = None

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _ssl_error(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _failure(exc: Exception, url: str) -> CheckFailure:
    """A transport exception as the typed failure it means."""
    if isinstance(exc, RefusedAddress):
        return AddressRefused(str(exc), url=url)
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(f"请求超时 ({type(exc).__name__})", url=url)
    tls = _ssl_error(exc)
    if tls is not None:
        why = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls)
        return TlsInvalid(f"TLS 握手失败: {why}", url=url)
    return ConnectFailed(f"连接失败: {type(exc).__name__}: {exc}", url=url)


def _cert_not_after(response: httpx.Response) -> datetime | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return x509.load_der_x509_certificate(der).not_valid_after_utc


@dataclass(slots=True)
class _Hop:
    status: int
    headers: httpx.Headers
    body: bytes
    size: int
    cert_not_after: datetime | None


async def _read(response: httpx.Response, url: str) -> tuple[bytes, int]:
    kept = bytearray()
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if len(kept) < KEEP_BYTES:
                kept += chunk[: KEEP_BYTES - len(kept)]
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        declared = response.headers.get("content-length", "?")
        raise Truncated(f"下载中断：声明 {declared} 字节，只收到 {size} 字节",
                        url=url, status=response.status_code) from exc
    except httpx.DecodingError as exc:
        raise Truncated(f"内容解码失败: {exc}", url=url, status=response.status_code) from exc
    return bytes(kept), size


async def _hop(client: httpx.AsyncClient, method: str, url: httpx.URL, kwargs: dict[str, Any]) -> _Hop:
    try:
        async with client.stream(method, url, **kwargs) as response:
            cert = _cert_not_after(response)
            if response.status_code in REDIRECTS and "location" in response.headers:
                return _Hop(response.status_code, response.headers, b"", 0, cert)
            body, size = await _read(response, str(url))
            return _Hop(response.status_code, response.headers, body, size, cert)
    except CheckFailure:
        raise
    except (httpx.HTTPError, RefusedAddress, OSError) as exc:
        raise _failure(exc, str(url)) from exc


def _request_args(target: SiteTarget) -> tuple[str, dict[str, Any]]:
    query = target.request
    if query is None:
        return "GET", {}
    headers = {name: value.get_secret_value() for name, value in query.headers.items()}
    kwargs: dict[str, Any] = {"params": query.params or None, "headers": headers or None}
    if query.json_body is not None:
        kwargs["json"] = query.json_body
    elif query.form:
        kwargs["data"] = query.form
    return query.method, kwargs


def _next_url(target: SiteTarget, url: httpx.URL, hop: _Hop, followed: list[str],
              allowed_hosts: frozenset[str]) -> httpx.URL:
    """Where a redirect points, if we may follow it; otherwise the failure it is."""
    location = url.join(hop.headers["location"])
    shown = str(location)
    if not host_allowed(location, allowed_hosts):
        raise ForeignRedirect(f"跳转到未配置的站点 {location.host or shown}，未跟随",
                              url=str(url), status=hop.status, location=shown)
    if shown in (str(httpx.URL(target.url)), *followed):
        raise RedirectLoop(f"循环跳转：{shown} 已经访问过（第 {len(followed) + 1} 次跳转）",
                           url=str(url), status=hop.status)
    if len(followed) >= target.max_redirects:
        raise TooManyRedirects(f"跳转超过 {target.max_redirects} 次", url=str(url), status=hop.status)
    return location


async def fetch(client: httpx.AsyncClient, target: SiteTarget, *, allowed_hosts: frozenset[str],
                clock: Clock = time.perf_counter) -> Fetched:
    """Fetch the target, following redirects on configured hosts only; CheckFailure if not."""
    url = httpx.URL(target.url)
    if not host_allowed(url, allowed_hosts):
        raise HostNotAllowed(f"{url.host} 不在配置的站点中", url=target.url)
    method, kwargs = _request_args(target)
    origin = (url.scheme, url.host, url.port)
    followed: list[str] = []
    started = clock()
    while True:
        hop = await _hop(client, method, url, kwargs)
        if hop.status not in REDIRECTS or "location" not in hop.headers:
            break
        url = _next_url(target, url, hop, followed, allowed_hosts)
        followed.append(str(url))
        if hop.status in (301, 302, 303):  # browsers re-ask with GET and no body
            method, kwargs = "GET", {"headers": kwargs.get("headers")}
        kwargs = {k: v for k, v in kwargs.items() if k != "params"}  # the Location is the whole URL
        if (url.scheme, url.host, url.port) != origin:  # the target's own headers (tokens) stay home
            kwargs.pop("headers", None)
    return Fetched(url=target.url, final_url=str(url), status=hop.status, headers=hop.headers,
                   body=hop.body, size=hop.size, latency_ms=(clock() - started) * 1000,
                   redirects=followed, cert_not_after=hop.cert_not_after)
