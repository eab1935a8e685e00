"""Check many targets at once: an async HTTP client per address policy and TLS setup, a
concurrency limit, one `CheckResult` per target whatever happens to the others."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Sequence
from datetime import datetime

import httpx

from crawlers.sitecheck.errors import CheckFailure, ConnectFailed, Timeout
from crawlers.sitecheck.expect import cert_days_left, evaluate
from crawlers.sitecheck.fetch import Clock, fetch
from crawlers.sitecheck.records import CheckResult, CheckStatus
from crawlers.sitecheck.safety import GuardedTransport
from yuqing.records import SHANGHAI
from yuqing.settings_sites import SitesSettings, SiteTarget

log = logging.getLogger("yuqing.sitecheck")


def ssl_context_for(target: SiteTarget) -> ssl.SSLContext:
    """System-independent trust (certifi) plus the target's own CA file; or no verification."""
    if not target.verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = httpx.create_ssl_context()
    if target.ca_file is not None:
        context.load_verify_locations(cafile=str(target.ca_file))
    return context


class ClientPool:
    """One client per (allowed networks, TLS setup), shared by the targets that match."""

    def __init__(self, *, user_agent: str, max_connections: int) -> None:
        self._clients: dict[tuple, httpx.AsyncClient] = {}
        self._headers = {"User-Agent": user_agent, "Accept-Language": "zh-CN,zh;q=0.9"}
        self._max = max_connections

    def client_for(self, target: SiteTarget) -> httpx.AsyncClient:
        key = (tuple(sorted(str(n) for n in target.networks)), target.verify_tls, str(target.ca_file))
        if key not in self._clients:
            transport = GuardedTransport(networks=target.networks, ssl_context=ssl_context_for(target),
                                         max_connections=self._max)
            self._clients[key] = httpx.AsyncClient(transport=transport, headers=self._headers,
                                                   follow_redirects=False, timeout=None, trust_env=False)
        return self._clients[key]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


async def check_one(pool: ClientPool, target: SiteTarget, *, sites: SitesSettings,
                    allowed_hosts: frozenset[str], now: datetime | None = None,
                    clock: Clock = time.perf_counter) -> CheckResult:
    """Fetch one target and hold it against its expectations; never raises."""
    checked_at = now or datetime.now(SHANGHAI)
    started = clock()

    def elapsed() -> float:
        return (clock() - started) * 1000

    try:
        async with asyncio.timeout(target.timeout_seconds):
            fetched = await fetch(pool.client_for(target), target, allowed_hosts=allowed_hosts, clock=clock)
    except TimeoutError:
        failure: CheckFailure = Timeout(f"{target.timeout_seconds:g} 秒内未完成", url=target.url)
        return CheckResult.failed(target, failure, checked_at=checked_at, latency_ms=elapsed())
    except CheckFailure as failure:
        return CheckResult.failed(target, failure, checked_at=checked_at, latency_ms=elapsed())
    except Exception as exc:  # one broken target must not take the run down
        log.exception("site check %s: unexpected error", target.name)
        failure = ConnectFailed(f"检查出错: {type(exc).__name__}: {exc}", url=target.url)
        return CheckResult.failed(target, failure, checked_at=checked_at, latency_ms=elapsed())
    days = cert_days_left(fetched, checked_at)
    try:
        evaluate(target, fetched, now=checked_at, error_texts=sites.error_texts)
    except CheckFailure as failure:
        return CheckResult.failed(target, failure, checked_at=checked_at, latency_ms=fetched.latency_ms,
                                  cert_days_left=days, size=fetched.size)
    return CheckResult(target=target.name, kind=target.kind, url=target.url, final_url=fetched.final_url,
                       status=CheckStatus.ok, http_status=fetched.status, latency_ms=fetched.latency_ms,
                       size=fetched.size, cert_days_left=days, checked_at=checked_at)


async def check_targets(targets: Sequence[SiteTarget], *, sites: SitesSettings, user_agent: str,
                        now: datetime | None = None, concurrency: int | None = None,
                        clock: Clock = time.perf_counter) -> list[CheckResult]:
    """Check every target, at most `concurrency` (default: the configured one) at a time."""
    limit = asyncio.Semaphore(concurrency or sites.concurrency)
    allowed_hosts = sites.allowed_hosts() | {t.host for t in targets}
    pool = ClientPool(user_agent=user_agent, max_connections=concurrency or sites.concurrency)

    async def limited(target: SiteTarget) -> CheckResult:
        async with limit:
            return await check_one(pool, target, sites=sites, allowed_hosts=allowed_hosts, now=now, clock=clock)

    try:
        return list(await asyncio.gather(*(limited(t) for t in targets)))
    finally:
        await pool.aclose()
