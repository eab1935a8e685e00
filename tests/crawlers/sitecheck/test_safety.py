"""Only configured hosts, only permitted addresses — checked on the resolved address of every
hop, with the servers' request logs proving nothing was fetched that should not be."""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import quote

import pytest

from crawlers.sitecheck.errors import Reason
from crawlers.sitecheck.safety import GuardedBackend, RefusedAddress, is_public, permitted
from tests.crawlers.sitecheck.conftest import check, target
from tools.site_server import SiteServer


def paths(server: SiteServer) -> list[str]:
    return [hit.path for hit in server.hits]


def test_loopback_is_refused_unless_the_target_allows_it(site: SiteServer, tmp_path) -> None:
    results = check(tmp_path, {"name": "plain", "url": site.url("/?probe=plain")},
                    target("allowed", site.url("/?probe=allowed")))
    assert results["plain"].reason == Reason.address_refused
    assert "127.0.0.1" in results["plain"].detail and results["plain"].http_status is None
    assert results["allowed"].ok
    assert "/?probe=plain" not in paths(site) and "/?probe=allowed" in paths(site)


def test_a_name_is_judged_by_the_address_it_resolves_to(site: SiteServer, tmp_path) -> None:
    # "localhost" is not an IP literal; it resolves to loopback and is refused for that.
    result = check(tmp_path, {"name": "n", "url": site.url("/?probe=name", host="localhost")})["n"]
    assert result.reason == Reason.address_refused and "localhost" in result.detail
    assert "/?probe=name" not in paths(site)


def test_every_redirect_hop_is_checked_again(site: SiteServer, other_host: SiteServer, tmp_path) -> None:
    hop = other_host.url("/index.html?probe=hop")
    via = site.url("/redirect/to?url=" + quote(hop, safe=""))
    # 127.0.0.2 is a configured host, but its address is outside what the target allows.
    refused = check(tmp_path, target("t", via), extra_hosts=["127.0.0.2"])["t"]
    assert refused.reason == Reason.address_refused, refused.detail
    assert refused.final_url == hop
    assert "/index.html?probe=hop" not in paths(other_host)
    # The same hop with its address allowed is followed: the refusal was the address's.
    followed = check(tmp_path, target("t", via, allow_addresses=["127.0.0.1/32", "127.0.0.2/32"]),
                     extra_hosts=["127.0.0.2"])["t"]
    assert followed.ok and followed.final_url == hop
    assert "/index.html?probe=hop" in paths(other_host)


def test_a_redirect_to_another_host_is_reported_not_followed(site: SiteServer, other_host: SiteServer,
                                                            tmp_path) -> None:
    foreign = other_host.url("/?probe=foreign")
    result = check(tmp_path, target("t", site.url("/redirect/to?url=" + quote(foreign, safe=""))))["t"]
    assert result.reason == Reason.foreign_redirect and result.http_status == 302
    assert "127.0.0.2" in result.detail and "未跟随" in result.detail
    assert "/?probe=foreign" not in paths(other_host)


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://foreign.invalid/"])
def test_redirects_off_the_web_or_off_the_list_are_not_followed(site: SiteServer, tmp_path, location: str) -> None:
    result = check(tmp_path, target("t", site.url("/redirect/to?url=" + quote(location, safe=""))))["t"]
    assert result.reason == Reason.foreign_redirect


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2400:3200::1", True), ("127.0.0.1", False), ("10.1.2.3", False),
    ("192.168.1.1", False), ("172.16.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("::1", False), ("fe80::1", False), ("fc00::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:8.8.8.8", True), ("224.0.0.1", False),
])
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_allowed_networks_open_only_themselves() -> None:
    nets = [ipaddress.ip_network("10.1.0.0/16")]
    assert permitted(ipaddress.ip_address("10.1.9.9"), nets)
    assert not permitted(ipaddress.ip_address("10.2.0.1"), nets)
    assert permitted(ipaddress.ip_address("8.8.8.8"), [])
    assert not permitted(ipaddress.ip_address("::ffff:10.2.0.1"), nets)


def test_the_backend_refuses_before_connecting() -> None:
    async def connect() -> None:
        await GuardedBackend().connect_tcp("127.0.0.1", 1)

    with pytest.raises(RefusedAddress, match=r"127\.0\.0\.1"):
        asyncio.run(connect())


def test_a_queries_own_headers_go_to_its_host_only(site: SiteServer, other_host: SiteServer, tmp_path) -> None:
    hop = other_host.url("/api/progress?probe=headers")
    fields = {"request": {"headers": {"X-Service-Token": "s3cret"}}, "json_field": "code",
              "allow_addresses": ["127.0.0.1/32", "127.0.0.2/32"]}
    results = check(tmp_path, target("direct", site.url("/api/progress?probe=direct"), **fields),
                    target("moved", site.url("/redirect/to?url=" + quote(hop, safe="")), **fields),
                    extra_hosts=["127.0.0.2"])
    assert results["direct"].ok and results["moved"].ok
    sent = {h.path: h.headers for h in site.hits + other_host.hits}
    assert sent["/api/progress?probe=direct"]["X-Service-Token"] == "s3cret"
    assert "X-Service-Token" in sent["/redirect/to?url=" + quote(hop, safe="")]
    assert "X-Service-Token" not in sent["/api/progress?probe=headers"]
