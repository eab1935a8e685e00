"""Local stand-ins for the group robots and the SMTP server: a real HTTP server on loopback
that answers like WeCom / DingTalk / Feishu (and can fail, flake or hang on request), and a
real aiosmtpd server that keeps what it receives."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from tools.pg_server import free_port


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class RobotServer:
    """Paths: /ok (errcode 0), /feishu (code 0), /error (errcode 310000), /down (HTTP 500 always),
    /flaky (HTTP 503 for the first `flaky_failures` calls), /hang (waits until `release` is set)."""

    flaky_failures: int = 2
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    calls: dict[str, int] = field(default_factory=dict)

    def start(self) -> RobotServer:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                robot.calls[parts.path] = robot.calls.get(parts.path, 0) + 1
                robot.received.append(Received(parts.path, parse_qs(parts.query), body))
                status, answer = robot.answer(parts.path)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        if path == "/down":
            return 500, {"errcode": -1}
        if path == "/error":
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        if path == "/flaky" and self.calls[path] <= self.flaky_failures:
            return 503, {}
        if path == "/hang":
            self.release.wait(20)
        if path == "/feishu":
            return 200, {"code": 0, "msg": "success"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def bodies(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"


class MailServer:
    """A real SMTP server (aiosmtpd) on loopback."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[tuple[str, list[str], str]]:
        return self.inbox.messages

    def start(self) -> MailServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class SilentServer:
    """Accepts TCP connections and never says a word (an SMTP server or a robot that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.closed = threading.Event()

    def start(self) -> SilentServer:
        def accept() -> None:
            while not self.closed.is_set():
                try:
                    connection, _ = self.sock.accept()
                except OSError:
                    return
                self.held.append(connection)  # kept open, never answered

        threading.Thread(target=accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.closed.set()
        self.sock.close()
        for connection in self.held:
            connection.close()
