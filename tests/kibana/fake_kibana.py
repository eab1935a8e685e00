"""A local stand-in for Kibana's saved-objects import endpoint, strict the way Kibana is:

- only `POST /api/saved_objects/_import` or `POST /s/<space>/api/saved_objects/_import` of a
  space that exists (else 404);
- the `kbn-xsrf` header is required (else 400, Kibana's message);
- credentials: `Authorization: ApiKey <key>` or basic auth, when the server has them (else 401);
- a `multipart/form-data` body with one part `file` whose file name ends in `.ndjson`, one JSON
  object per line (else 400 / 415);
- each object needs type, id and attributes; its references must resolve to an object in the
  same file or already stored (else an error `missing_references` in a 200 answer, as Kibana
  does); without `overwrite=true` an existing object is a `conflict`.

Every request is recorded for the test to inspect. With `not_kibana=True` it is any web server
instead, answering every request with 200 and a web page.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    objects: list[dict] = field(default_factory=list)
    file_name: str = ""


class FakeKibana:
    def __init__(self, *, api_key: str = "", username: str = "", password: str = "",
                 spaces: tuple[str, ...] = ("default",), not_kibana: bool = False) -> None:
        self.api_key, self.username, self.password, self.spaces = api_key, username, password, spaces
        self.not_kibana = not_kibana
        self.stored: dict[tuple[str, str], dict] = {}
        self.requests: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner._answer(self, "GET")

            def do_POST(self) -> None:
                owner._answer(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeKibana:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the endpoint ---------------------------------------------------------------------
    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        seen = Seen(method, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in handler.headers.items()})
        self.requests.append(seen)
        status, answer = (200, None) if self.not_kibana else self._import(seen, body)
        data = b"<html><body>welcome</body></html>" if answer is None else json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html" if answer is None else "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _space(self, path: str) -> str | None:
        if path == "/api/saved_objects/_import":
            return "default"
        pieces = path.split("/")
        if len(pieces) == 6 and pieces[1] == "s" and "/".join(pieces[3:]) == "api/saved_objects/_import":
            return pieces[2]
        return None

    def _authorised(self, headers: dict[str, str]) -> bool:
        given = headers.get("authorization", "")
        if self.api_key:
            return given == f"ApiKey {self.api_key}"
        if self.username:
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return given == f"Basic {expected}"
        return True

    def _import(self, seen: Seen, body: bytes) -> tuple[int, dict | None]:
        space = self._space(seen.path)
        if space is None or seen.method != "POST":
            return 404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}
        if not self._authorised(seen.headers):
            return 401, {"statusCode": 401, "error": "Unauthorized",
                         "message": "[security_exception]: missing authentication credentials for REST request"}
        if space not in self.spaces:
            return 404, {"statusCode": 404, "error": "Not Found", "message": f"Saved object [space/{space}] not found"}
        if "kbn-xsrf" not in seen.headers:
            return 400, {"statusCode": 400, "error": "Bad Request",
                         "message": "Request must contain a kbn-xsrf header."}
        kind = seen.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            return 415, {"statusCode": 415, "error": "Unsupported Media Type", "message": "Unsupported Media Type"}
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body)
        files = [p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "file"]
        if len(files) != 1 or not (files[0].get_filename() or "").endswith(".ndjson"):
            return 400, {"statusCode": 400, "error": "Bad Request",
                         "message": "Invalid file extension, the file must be an .ndjson file"}
        seen.file_name = files[0].get_filename()
        try:
            seen.objects = [json.loads(line) for line in files[0].get_content().splitlines() if line.strip()]
        except ValueError as exc:
            return 400, {"statusCode": 400, "error": "Bad Request", "message": f"Unexpected token: {exc}"}
        return 200, self._store(seen.objects, overwrite=seen.query.get("overwrite") == ["true"], space=space)

    def _store(self, objects: list[dict], *, overwrite: bool, space: str) -> dict:
        present = {(space, o["type"], o["id"]) for o in objects} | set(self.stored)
        errors, done = [], []
        for obj in objects:
            missing = [r for r in obj.get("references", []) if (space, r["type"], r["id"]) not in present]
            key = (space, obj["type"], obj["id"])
            title = obj.get("attributes", {}).get("title", "")
            if missing:
                errors.append({"id": obj["id"], "type": obj["type"], "title": title, "meta": {"title": title},
                               "error": {"type": "missing_references",
                                         "references": [{"type": r["type"], "id": r["id"]} for r in missing]}})
            elif key in self.stored and not overwrite:
                errors.append({"id": obj["id"], "type": obj["type"], "title": title, "meta": {"title": title},
                               "error": {"type": "conflict"}})
            else:
                self.stored[key] = obj
                done.append({"type": obj["type"], "id": obj["id"], "meta": {"title": title}})
        return {"success": not errors, "successCount": len(done), "successResults": done,
                **({"errors": errors} if errors else {})}
