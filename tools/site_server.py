"""A local stand-in for the utility's web site, for the site-check tests and benchmark.

Serves a directory of files (tests/fixtures/sitecheck/site) on loopback over HTTP or
HTTPS, plus the misbehaviour a real site shows now and then:

    /status/<code>               that status with a short page
    /slow/<ms>/<path>            <path> (any of these routes) after <ms> milliseconds
    /redirect/loop-a, loop-b     a redirect loop
    /redirect/chain/<n>          n redirects, then the home page
    /redirect/to?url=<url>       a redirect to anywhere (another host)
    /truncated/<path>            <path> with a Content-Length larger than the body
    /api/<name>                  GET or POST: api/<name>.json as application/json
    /gen/<n>.html?total=<t>      generated pages (n links to 2n+1 and 2n+2 below t)

Every request is recorded (method, path, body, headers) so tests can tell what reached the server.

    python tools/site_server.py [--port 8080] [--root DIR]
"""

from __future__ import annotations

import argparse
import mimetypes
import re
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO / "tests" / "fixtures" / "sitecheck" / "site"


@dataclass(frozen=True, slots=True)
class Hit:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many checks connect at once
    root: Path
    hits: list[Hit]
    lock: threading.Lock


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes; don't let them wait for an ACK
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def do_POST(self) -> None:
        self._route("POST")

    # --- answers -------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, b"", headers={"Location": location})

    def _file(self, path: str, *, extra_length: int = 0) -> None:
        relative = unquote(path).lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        file = (self.server.root / relative).resolve()
        if self.server.root not in file.parents or not file.is_file():
            self._send(404, "<html><head><title>404</title></head><body>页面不存在</body></html>".encode())
            return
        body = file.read_bytes()
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind != "text/html" and (kind.startswith("text/") or kind.endswith(("javascript", "json"))):
            kind += "; charset=utf-8"  # pages name their charset in <meta>, as many real sites do
        self._send(200, body, kind, length=len(body) + extra_length if extra_length else None)

    def _generated(self, n: int, total: int, prefix: str = "") -> None:
        links = "".join(f'<a href="{prefix}/gen/{k}.html?total={total}">第{k}页</a>'
                        for k in (2 * n + 1, 2 * n + 2) if k < total)
        page = (f"<html><head><title>第{n}页</title></head><body><h1>泰山港华燃气 第{n}页</h1>"
                f'<img src="/img/logo.png">{links}</body></html>')
        self._send(200, page.encode())

    def _route(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.hits.append(Hit(method, self.path, body, dict(self.headers.items())))
        parts = urlsplit(self.path)
        self._dispatch(parts.path, parse_qs(parts.query))

    def _dispatch(self, path: str, query: dict[str, list[str]], prefix: str = "") -> None:
        if m := re.fullmatch(r"/status/(\d{3})", path):
            self._send(int(m.group(1)), f"<html><body>错误 {m.group(1)}</body></html>".encode())
        elif m := re.fullmatch(r"/slow/(\d+)(/.*)", path):
            time.sleep(int(m.group(1)) / 1000)
            self._dispatch(m.group(2), query, prefix=f"/slow/{m.group(1)}")  # generated links stay slow
        elif path in ("/redirect/loop-a", "/redirect/loop-b"):
            self._redirect("/redirect/loop-b" if path.endswith("a") else "/redirect/loop-a")
        elif m := re.fullmatch(r"/redirect/chain/(\d+)", path):
            n = int(m.group(1))
            self._redirect(f"/redirect/chain/{n - 1}" if n > 0 else "/index.html")
        elif path == "/redirect/to":
            self._redirect(query.get("url", ["/"])[0])
        elif path.startswith("/truncated/"):
            self._file(path.removeprefix("/truncated"), extra_length=5000)
        elif m := re.fullmatch(r"/api/([\w-]+)", path):
            self._file(f"/api/{m.group(1)}.json")
        elif m := re.fullmatch(r"/gen/(\d+)\.html", path):
            self._generated(int(m.group(1)), int(query.get("total", ["100"])[0]), prefix)
        else:
            self._file(path)


class SiteServer:
    """The test site on 127.0.0.1 (or another loopback address) in a background thread."""

    def __init__(self, root: Path = DEFAULT_ROOT, *, host: str = "127.0.0.1", port: int = 0,
                 tls: tuple[Path, Path] | None = None) -> None:
        self.httpd = _Server((host, port), SiteHandler)
        self.httpd.root = root.resolve()
        self.httpd.hits = []
        self.httpd.lock = threading.Lock()
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.host, self.port = self.httpd.server_address[:2]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    @property
    def hits(self) -> list[Hit]:
        with self.httpd.lock:
            return list(self.httpd.hits)

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args()
    with SiteServer(args.root, port=args.port) as server:
        print(f"serving {args.root} on {server.url()}", flush=True)  # bench/site_check.py reads this line
        threading.Event().wait()


if __name__ == "__main__":
    main()
