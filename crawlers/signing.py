"""Pluggable request signing for platforms that sign their web API requests (Douyin's
`a_bogus` / `X-Bogus` parameters).

A signer is any callable `sign(url: str, headers: dict[str, str]) -> str` returning the URL
to request (the original URL plus its signature parameters). It is named in the settings as
`"package.module:function"` (`sources.douyin.signer`), so a deployment can plug in a local
signing service client without changing the spider. Without a signer (and without a cookie)
the spider does not crawl silently: it reports the source as blocked, reason
`needs_signer` ("blocked: needs signer/cookie").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

Signer = Callable[[str, dict[str, str]], str]


class SignerError(Exception):
    """The configured signer cannot be loaded or failed to sign."""


def load_signer(spec: str | None) -> Signer | None:
    """The signer named by "module:function", None when not configured; SignerError if broken."""
    if not spec:
        return None
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise SignerError(f"signer {spec!r}: expected 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SignerError(f"signer {spec!r}: cannot import {module_name}: {exc}") from None
    signer = getattr(module, attribute, None)
    if not callable(signer):
        raise SignerError(f"signer {spec!r}: {attribute} is not a function in {module_name}")
    return signer


def sign(signer: Signer | None, url: str, headers: dict[str, str]) -> str:
    """The URL to request: signed when a signer is configured; SignerError when it fails."""
    if signer is None:
        return url
    try:
        signed = signer(url, dict(headers))
    except Exception as exc:  # a plug-in may fail in any way; the spider reports it
        raise SignerError(f"signer failed: {exc.__class__.__name__}: {exc}") from None
    if not isinstance(signed, str) or not signed.startswith(("http://", "https://")):
        raise SignerError("signer did not return a URL")
    return signed
