"""The site crawl's name resolver: Twisted's own, keeping only permitted addresses.

Installed through Scrapy's TWISTED_DNS_RESOLVER setting, it sees every connection the
crawl makes (IP literals included), so a link to a name that resolves to a private or
loopback address finds no address to connect to. Hosts refused that way are remembered in
`REFUSED` (one crawl per process) so the spider can give the right reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

from crawlers.sitecheck.safety import permitted
from yuqing.settings_sites import IPNetwork

REFUSED: dict[str, list[str]] = {}  # host -> the addresses it resolved to, all refused


@implementer(IResolutionReceiver)
class _PermittedOnly:
    def __init__(self, receiver: IResolutionReceiver, host: str, networks: Sequence[IPNetwork]) -> None:
        self._receiver = receiver
        self._host = host
        self._networks = networks
        self._kept = 0
        self._refused: list[str] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self._receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        ip = ipaddress.ip_address(address.host.split("%", 1)[0])  # type: ignore[attr-defined]
        if permitted(ip, self._networks):
            self._kept += 1
            self._receiver.addressResolved(address)
        else:
            self._refused.append(str(ip))

    def resolutionComplete(self) -> None:
        if not self._kept and self._refused:
            REFUSED[self._host] = self._refused
        self._receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedHostnameResolver:
    def __init__(self, reactor: Any, networks: Sequence[IPNetwork]) -> None:
        self.reactor = reactor
        self.original = reactor.nameResolver
        self.networks = tuple(networks)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedHostnameResolver:
        networks = [ipaddress.ip_network(n, strict=False) for n in crawler.settings.getlist("YUQING_ALLOW_ADDRESSES")]
        return cls(reactor, networks)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver: IResolutionReceiver, hostName: str, portNumber: int = 0,
                        addressTypes: Sequence[type[IAddress]] | None = None,
                        transportSemantics: str = "TCP") -> IHostResolution:
        return self.original.resolveHostName(_PermittedOnly(resolutionReceiver, hostName, self.networks),
                                             hostName, portNumber, addressTypes, transportSemantics)
