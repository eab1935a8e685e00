"""The error answers every route may give, documented once for the OpenAPI description.

Every error is JSON `{"detail": "<one line in Chinese>"}` (422 adds `errors`). Routers are
included with `responses=` from here, and routes add their own (404, 409, 413, 415).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    detail: str


def problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


# Every route under /api that needs a login.
SIGNED_IN: dict[int | str, dict[str, Any]] = {
    401: problem("not logged in, or the token expired or was revoked"),
    403: problem("this role may not use the route"),
    413: problem("request body too large"),
    503: problem("the mention index or the database cannot be reached now (see Retry-After); nothing was changed, "
                 "unless the detail says it was saved or that the connection was lost while saving (look again)"),
}
NOT_FOUND = {404: problem("no such record")}
FORBIDDEN = {403: problem("not allowed for this caller")}
UNAUTHORIZED = {401: problem("not logged in or the token expired")}
CONFLICT = {409: problem("the record changed meanwhile or is in a state that does not allow this; nothing changed")}
INVALID = {422: problem("invalid parameters or body (the first problem as one line)")}
