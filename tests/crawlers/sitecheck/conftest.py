"""The local test site (tools/site_server.py over tests/fixtures/sitecheck/site) on loopback,
over HTTP and over HTTPS with a freshly made self-signed certificate that expires soon."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from crawlers.sitecheck.records import CheckResult
from crawlers.sitecheck.service import run_site_checks
from tests.conftest import make_settings
from tools.site_server import SiteServer
from yuqing.records import SHANGHAI
from yuqing.settings import Settings
from yuqing.settings_sites import SitesSettings

LOOPBACK = ["127.0.0.1/32"]  # what the test targets allow; 127.0.0.2 stays refused
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=SHANGHAI)  # the fixture notices are from 2026-11-19/20
CERT_DAYS = 5


def make_certificate(directory: Path, *, days: float = CERT_DAYS) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost that expires in `days`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yuqing test site")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="session")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


@pytest.fixture(scope="session")
def other_host() -> Iterator[SiteServer]:
    """Another loopback address: a host no target names."""
    with SiteServer(host="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_site(certificate: tuple[Path, Path]) -> Iterator[SiteServer]:
    with SiteServer(tls=certificate) as server:
        yield server


def target(name: str, url: str, **fields: Any) -> dict[str, Any]:
    """A target allowed to reach 127.0.0.1 (and nothing else that is not public)."""
    return {"name": name, "url": url, "allow_addresses": LOOPBACK, **fields}


def site_settings(tmp_path: Path, targets: list[dict[str, Any]], **sites: Any) -> Settings:
    return make_settings(tmp_path / "data", sites=SitesSettings(targets=targets, **sites))


def check(tmp_path: Path, *targets: dict[str, Any], now: datetime | None = NOW, **sites: Any) -> dict[str, CheckResult]:
    """Check the targets once without storing; results by target name."""
    report = run_site_checks(site_settings(tmp_path, list(targets), **sites), now=now, save=False)
    return {r.target: r for r in report.results}
