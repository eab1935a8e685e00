"""What every HTTP request goes through before its route: a request id, the body size limit,
the latency histogram by route template, and one access-log line.

- Request id: the caller's `X-Request-ID` when it is a plain token (letters, digits, `._-`,
  up to 64), else a new one; it is sent back in `X-Request-ID` and carried by every log line
  written while the request runs (`yuqing.logs.request_id`).
- Body limit: a body larger than `api.max_body_kb` (uploads: `clippings.max_upload_mb`) is
  refused with 413 — before it is read when it declares its length, as soon as it passes the
  limit when it is streamed.
- Metrics: `yuqing_http_request_duration_seconds{method, route, status}` where `route` is the
  route's template (`/api/tickets/{ticket_id}`), never the raw path.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import Histogram
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yuqing.logs import new_id, request_id

log = logging.getLogger("yuqing.api.access")
HTTP_SECONDS = Histogram("yuqing_http_request_duration_seconds", "API request latency by route template",
                         ["method", "route", "status"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and headers around an uploaded file


def route_templates(routes: Iterable[BaseRoute], prefix: str = "") -> dict[int, str]:
    """id(route object) → its full path template, walking included routers (this FastAPI keeps
    them nested) and mounts."""
    found: dict[int, str] = {}
    for route in routes:
        if hasattr(route, "original_router"):
            found.update(route_templates(route.original_router.routes, prefix + route.include_context.prefix))
        elif getattr(route, "path", None) is not None:
            found[id(route)] = prefix + route.path
    return found


class RequestContext:
    """Pure ASGI middleware (no extra task or buffering per request)."""

    def __init__(self, app: ASGIApp, *, max_body: int, upload_paths: dict[str, int], access_log: bool) -> None:
        self.app = app
        self.max_body, self.upload_paths, self.access_log = max_body, upload_paths, access_log
        self._templates: dict[int, str] | None = None

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return "unmatched"
        if self._templates is None:
            self._templates = route_templates(scope["app"].routes)
        return self._templates.get(id(route)) or getattr(route, "path", None) or "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _GOOD_ID.match(given) else new_id()
        token = request_id.set(rid)
        started, status = time.perf_counter(), 500
        limit = self.upload_paths.get(scope["path"], self.max_body)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            declared = headers.get(b"content-length", b"")
            if declared.isdigit() and int(declared) > limit:
                await _too_large(limit, send_with_id)
            else:
                await self.app(scope, _limited(receive, limit), send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            raise
        finally:
            self._finish(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = self._template(scope)
        HTTP_SECONDS.labels(scope["method"], route, str(status)).observe(seconds)
        if self.access_log:
            log.info("%s %s %d %.1f ms", scope["method"], scope["path"], status, seconds * 1000,
                     extra={"route": route, "status": status, "duration_ms": round(seconds * 1000, 1)})


def _limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:  # an HTTPException: the app's handler turns it into JSON
                raise HTTPException(413, _too_large_text(limit))
        return message

    return wrapped


def _too_large_text(limit: int) -> str:
    return f"请求内容过大（上限 {limit // 1024} KB）"


async def _too_large(limit: int, send: Send) -> None:
    body = json.dumps({"detail": _too_large_text(limit)}, ensure_ascii=False).encode()
    start: dict[str, Any] = {"type": "http.response.start", "status": 413,
                             "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                         (b"content-length", str(len(body)).encode())]}
    await send(start)
    await send({"type": "http.response.body", "body": body})
