"""Serve saved responses instead of the network: the demo and the tests feed the real
spiders this way, since the platforms are unreachable here.

A replay directory holds `responses.json`, a list of
`{"url": ..., "file": ..., "status": 200, "headers": {...}}`; URLs are compared in
canonical form (query parameters sorted). POST APIs that keep their parameters in the body
list several entries for one URL, each with `"body_contains": [...]` strings that the
request body must hold (with `\"` read as `"`, so a JSON string inside JSON reads plainly).
A request with no saved response gets a 404, which the spiders count as a problem like any
other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request, Response, TextResponse
from w3lib.url import canonicalize_url


class ReplayDownloaderMiddleware:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        entries = json.loads((directory / "responses.json").read_text(encoding="utf-8"))
        self.responses: dict[str, list[dict]] = {}
        self._bodies: dict[str, bytes] = {}
        for entry in entries:
            self.responses.setdefault(canonicalize_url(entry["url"]), []).append(entry)

    def _entry(self, request: Request) -> dict | None:
        body = request.body.decode("utf-8", "replace").replace('\\"', '"')
        for entry in self.responses.get(canonicalize_url(request.url), []):
            if all(part in body for part in entry.get("body_contains", [])):
                return entry
        return None

    def _body(self, name: str) -> bytes:
        if name not in self._bodies:
            self._bodies[name] = (self.directory / name).read_bytes()
        return self._bodies[name]

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReplayDownloaderMiddleware:
        return cls(Path(crawler.settings["YUQING_REPLAY_DIR"]))

    def process_request(self, request: Request, spider: Any = None) -> Response:
        entry = self._entry(request)
        if entry is None:
            return Response(request.url, status=404, body=b"", request=request)
        headers = entry.get("headers") or {}
        body = self._body(entry["file"]) if entry.get("file") else b""
        url = entry.get("final_url") or request.url  # where a redirect would have landed
        content_type = str(headers.get("Content-Type", ""))
        cls = HtmlResponse if "html" in content_type else TextResponse
        encoding = entry.get("encoding")  # else Scrapy infers it from headers and body
        extra = {"encoding": encoding} if encoding else {}
        return cls(url, status=int(entry.get("status", 200)), headers=headers, body=body,
                   request=request, **extra)
