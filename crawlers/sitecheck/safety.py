"""What a check may fetch: configured hosts only, and public addresses unless a target
allows a non-public network.

Host names are checked before every request (and every redirect hop); addresses are
checked where the connection is made: the network backend below resolves the host
itself, keeps only permitted addresses and connects to one of those, so a name that
resolves to 127.0.0.1 or 10.x (or is re-pointed there between two requests) is refused
on every hop, not just when the name is first seen.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx

from yuqing.settings_sites import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """Raised at connect time: the host resolved only to addresses we may not reach."""

    def __init__(self, host: str, addresses: Sequence[IPAddress]) -> None:
        shown = ", ".join(str(a) for a in addresses) or "无"
        super().__init__(f"{host} 解析为非公网地址 ({shown})，未获准访问")
        self.host = host
        self.addresses = list(addresses)


def _unwrap(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public(ip: IPAddress) -> bool:
    """A globally routable unicast address (not private, loopback, link-local, reserved ...)."""
    ip = _unwrap(ip)
    return ip.is_global and not ip.is_multicast


def permitted(ip: IPAddress, networks: Iterable[IPNetwork] = ()) -> bool:
    """Public addresses always; others only inside a network the target allows."""
    ip = _unwrap(ip)
    return is_public(ip) or any(ip.version == net.version and ip in net for net in networks)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:  # socket.gaierror
        raise httpcore.ConnectError(f"无法解析域名 {host}: {exc}") from exc
    found: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    return found


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to permitted addresses."""

    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._networks = tuple(networks)

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        allowed = [ip for ip in addresses if permitted(ip, self._networks)]
        if not allowed:
            raise RefusedAddress(host, addresses)
        return await self._inner.connect_tcp(str(_unwrap(allowed[0])), port, timeout=timeout,
                                             local_address=local_address, socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress(path, [])

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that uses the guarded backend.

    httpx (pinned in pyproject.toml) takes no network backend argument, so the pool it
    builds is replaced by an equivalent one; tests/crawlers/sitecheck prove the guard works.
    """

    def __init__(self, *, networks: Iterable[IPNetwork], ssl_context: ssl.SSLContext,
                 max_connections: int = 100) -> None:
        super().__init__(verify=ssl_context)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=max_connections,
            max_keepalive_connections=min(20, max_connections), keepalive_expiry=5.0,
            http1=True, http2=False, retries=0, network_backend=GuardedBackend(networks),
        )


def host_allowed(url: httpx.URL, allowed_hosts: frozenset[str]) -> bool:
    """Only http(s) URLs on a configured host may be fetched."""
    return url.scheme in ("http", "https") and url.host.lower() in allowed_hosts
