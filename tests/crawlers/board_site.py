"""A 12345-style message board on a loopback HTTP server, rendered from the fixtures in
tests/fixtures/faults/ (list pages newest first, message pages), for tests that run the real
board spider in a real `yuqing crawl` or `yuqing run` process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from string import Template
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import FIXTURES
from yuqing.records import SHANGHAI

PER_PAGE = 10
FIRST = datetime(2026, 11, 1, 8, 0, tzinfo=SHANGHAI)
AREAS = ["泰山区", "岱岳区", "新泰市", "肥城市"]


def template(name: str) -> Template:
    return Template((FIXTURES / "faults" / name).read_text(encoding="utf-8"))


@dataclass
class Board:
    """A 12345-style board, newest message first; message pages answer after `delay` seconds."""

    messages: int = 0
    delay: float = 0.0
    fetched: list[int] = field(default_factory=list)  # message numbers, in the order asked for
    lock: threading.Lock = field(default_factory=threading.Lock)

    def published(self, n: int) -> datetime:
        return FIRST + timedelta(minutes=10 * n)

    def list_page(self, page: int) -> str:
        newest_first = range(self.messages, 0, -1)
        shown = list(newest_first)[(page - 1) * PER_PAGE:page * PER_PAGE]
        row = template("board-row.html")
        rows = "".join(row.substitute(n=n, title=f"燃气报修第{n}号留言",
                                      date=self.published(n).strftime("%Y-%m-%d %H:%M")) for n in shown)
        return template("board-list.html").substitute(rows=rows)

    def message_page(self, n: int) -> str:
        with self.lock:
            self.fetched.append(n)
        time.sleep(self.delay)
        text = f"泰山港华燃气第{n}号楼报修燃气表故障，师傅上门处理了，留言编号{n}。"
        return template("board-message.html").substitute(area=AREAS[n % len(AREAS)], text=text)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, str]:
        if path == "/list":
            return 200, self.list_page(int(query["page"][0]))
        if path.startswith("/msg/") and path.removeprefix("/msg/").isdigit():
            n = int(path.removeprefix("/msg/"))
            if 1 <= n <= self.messages:
                return 200, self.message_page(n)
        return 404, "<html><body>没有这个页面</body></html>"


@contextmanager
def serve_board(state: Board) -> Iterator[str]:
    """Serve `state` until the block ends; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, page = state.answer(parts.path, parse_qs(parts.query))
            body = page.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
