"""Errors service functions raise; the API turns each into a status code with the message.

Messages are Simplified Chinese: staff read them.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    """An illegal transition or a stale update: nothing was changed."""

    status = 409


class Invalid(ServiceError):
    status = 422


def check_length(text: str | None, *, limit: int, name: str) -> None:
    """Invalid when `text` is longer than `limit` characters; the message gives the sizes, never
    the text (a pasted page must not come back in the answer or the log)."""
    if text is not None and len(text) > limit:
        raise Invalid(f"{name}最多 {limit} 字，提交了 {len(text)} 字，请精简后再提交")
