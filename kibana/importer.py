"""Import saved objects through Kibana's saved-objects API.

    POST <url>[/s/<space>]/api/saved_objects/_import?overwrite=true
    kbn-xsrf: true
    Authorization: ApiKey <base64 id:key>   (or HTTP basic with user name and password)
    multipart/form-data, one part "file": the NDJSON

Kibana answers 200 with `{"success": bool, "successCount": n, "errors": [...]}`: objects it
refused are listed with the reason (a missing reference, an unknown type ...). Every way it can
fail becomes one `KibanaError` with a sentence for the operator; credentials never appear in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx

IMPORT_PATH = "/api/saved_objects/_import"
FILE_NAME = "yuqing-kibana.ndjson"


class KibanaError(Exception):
    """Kibana could not be reached, or refused the import (the message says which and why)."""


@dataclass(frozen=True)
class ImportResult:
    imported: int
    titles: list[str] = field(default_factory=list)  # "type id (title)" of each imported object


def import_url(url: str, space: str = "") -> str:
    base = url.rstrip("/")
    return f"{base}/s/{space}{IMPORT_PATH}" if space else f"{base}{IMPORT_PATH}"


def _auth_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"ApiKey {api_key}"} if api_key else {}


def _message(response: httpx.Response) -> str:
    """Kibana's own one-line reason ({"statusCode", "error", "message"}), else the status."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    message = body.get("message") if isinstance(body, dict) else None
    return str(message).splitlines()[0][:300] if message else f"HTTP {response.status_code}"


def _refused(errors: list[dict]) -> str:
    parts = []
    for error in errors[:5]:
        reason = error.get("error", {})
        kind = reason.get("type", "unknown")
        missing = ", ".join(f"{r.get('type')} {r.get('id')}" for r in reason.get("references", []))
        parts.append(f"{error.get('type')} {error.get('id')} ({kind}{': ' + missing if missing else ''})")
    more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def _check(response: httpx.Response, *, where: str, space: str, count: int) -> ImportResult:
    if response.status_code in (401, 403):
        raise KibanaError(f"Kibana at {where} refused the credentials (HTTP {response.status_code}: "
                          f"{_message(response)}): check kibana.api_key or kibana.username/kibana.password")
    if response.status_code == 404:
        what = f"has no space '{space}'" if space else "has no saved-objects import API here"
        raise KibanaError(f"Kibana at {where} {what} (HTTP 404: {_message(response)})")
    if response.status_code >= 300:
        raise KibanaError(f"Kibana at {where} refused the import (HTTP {response.status_code}: {_message(response)})")
    try:
        body = response.json()
        success, errors = bool(body["success"]), list(body.get("errors") or [])
    except (ValueError, KeyError, TypeError):
        raise KibanaError(f"{where} answered HTTP {response.status_code} with something that is not Kibana's "
                          "import result: is the URL Kibana's?") from None
    if not success or errors:
        done = int(body.get("successCount") or 0)
        raise KibanaError(f"Kibana at {where} imported {done} of {count} objects and refused {_refused(errors)}")
    titles = [f"{r.get('type')} {r.get('id')}" + (f" ({r['meta']['title']})" if r.get("meta", {}).get("title")
                                                 else "") for r in body.get("successResults") or []]
    return ImportResult(imported=int(body.get("successCount") or 0), titles=titles)


def import_objects(ndjson: bytes, *, url: str, space: str = "", api_key: str | None = None, username: str = "",
                   password: str | None = None, ca_certs: Path | None = None, verify_certs: bool = True,
                   timeout: float = 30) -> ImportResult:
    """Send the NDJSON to Kibana, overwriting objects with the same ids; KibanaError otherwise."""
    count = sum(1 for line in ndjson.splitlines() if line.strip())
    for number, line in enumerate(ndjson.splitlines(), 1):
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                raise KibanaError(f"line {number} of the saved objects is not JSON; nothing was sent") from None
    target = import_url(url, space)
    verify: bool | str = str(ca_certs) if ca_certs and verify_certs else verify_certs
    auth = httpx.BasicAuth(username, password) if username and password is not None else None
    try:
        with httpx.Client(timeout=timeout, verify=verify, follow_redirects=False) as client:
            response = client.post(target, params={"overwrite": "true"}, auth=auth,
                                   headers={"kbn-xsrf": "true", **_auth_headers(api_key)},
                                   files={"file": (FILE_NAME, ndjson, "application/ndjson")})
    except httpx.TimeoutException:
        raise KibanaError(f"Kibana at {url} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KibanaError(f"Kibana at {url} cannot be reached: {reason}") from None
    return _check(response, where=url, space=space, count=count)
