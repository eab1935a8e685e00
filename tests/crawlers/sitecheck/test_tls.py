"""HTTPS against a self-signed certificate made for the test, expiring in five days."""

from __future__ import annotations

from pathlib import Path

from crawlers.sitecheck.errors import Reason
from tests.crawlers.sitecheck.conftest import CERT_DAYS, check, target
from tools.site_server import SiteServer


def test_a_certificate_about_to_expire_fails_with_the_days_left(tls_site: SiteServer, certificate, tmp_path) -> None:
    cert, _key = certificate
    results = check(tmp_path, target("strict", tls_site.url("/"), ca_file=cert, min_cert_days=14),
                    target("lenient", tls_site.url("/"), ca_file=cert, min_cert_days=3), now=None)
    strict, lenient = results["strict"], results["lenient"]
    assert strict.reason == Reason.tls_expiring and strict.http_status == 200
    assert "应至少剩 14 天" in strict.detail and "天后过期" in strict.detail
    assert CERT_DAYS - 0.1 < strict.cert_days_left <= CERT_DAYS
    assert lenient.ok and 0 < lenient.cert_days_left < CERT_DAYS


def test_an_untrusted_certificate_is_invalid(tls_site: SiteServer, tmp_path) -> None:
    result = check(tmp_path, target("t", tls_site.url("/")), now=None)["t"]
    assert result.reason == Reason.tls_invalid and "self-signed certificate" in result.detail


def test_without_verification_the_expiry_is_still_read(tls_site: SiteServer, tmp_path) -> None:
    result = check(tmp_path, target("t", tls_site.url("/"), verify_tls=False), now=None)["t"]
    assert result.reason == Reason.tls_expiring and result.cert_days_left < CERT_DAYS


def test_name_mismatch_is_invalid(tls_site: SiteServer, certificate, tmp_path: Path) -> None:
    # The certificate names 127.0.0.1 and localhost; 127.0.0.2 is another name.
    other = SiteServer(host="127.0.0.2", tls=certificate)
    with other:
        result = check(tmp_path, target("t", other.url("/"), ca_file=certificate[0],
                                        allow_addresses=["127.0.0.0/8"]), now=None)["t"]
    assert result.reason == Reason.tls_invalid


def test_plain_http_has_no_certificate(site: SiteServer, tmp_path) -> None:
    result = check(tmp_path, target("t", site.url("/")), now=None)["t"]
    assert result.ok and result.cert_days_left is None
