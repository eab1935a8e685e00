"""Log lines of every process (the service, its jobs, its crawl children) in one shape.

`configure_logging(settings)` puts one handler on the root logger, writing to stderr (the
journal under systemd, `docker logs` under Compose): one JSON object a line with
`[logging] format = "json"`, or the same fields as text. Every line carries the request id
of the API request (`X-Request-ID`, set by the API middleware) or the job id of the
scheduler job it belongs to; a crawl child inherits its job's id through `YUQING_JOB_ID`.

Secrets never reach the log: each formatted line has every configured secret value
(cookies, passwords, webhook URLs and keys, the database URL, API keys) replaced by `***`,
whatever code wrote it. Secrets are kept out of log calls in the first place; this is the
second line of defence.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import datetime
from typing import IO, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from yuqing.records import SHANGHAI

JOB_ENV = "YUQING_JOB_ID"
MASK = "***"

request_id: ContextVar[str] = ContextVar("yuqing_request_id", default="")
job_id: ContextVar[str] = ContextVar("yuqing_job_id", default=os.environ.get(JOB_ENV, ""))  # noqa: B039 (a str)

# Attributes every LogRecord has; anything else on a record was passed as `extra=` and is a field.
# Not extras: the record's own fields, and uvicorn's copy of its message with colour codes.
_STANDARD = (set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
             | {"message", "asctime", "taskName", "color_message"})
# Chatty: a line per scheduler run, per HTTP request of a client library (whose URLs may embed a
# robot's key), a traceback per retried Elasticsearch request (the store reports outages itself).
QUIET = {"apscheduler.executors.default": logging.WARNING, "apscheduler.scheduler": logging.WARNING,
         "httpx": logging.WARNING, "httpcore": logging.WARNING, "elastic_transport": logging.ERROR,
         "uvicorn.access": logging.WARNING, "alembic": logging.WARNING,  # alembic: its plugins at start
         # Scrapy's multi-line dumps per crawl (settings, middlewares, stats) and per-minute
         # progress: each crawl's outcome is one line of the scheduler's, its problems warnings.
         **dict.fromkeys(("scrapy.addons", "scrapy.core.engine", "scrapy.crawler",
                          "scrapy.extensions.logstats", "scrapy.middleware", "scrapy.statscollectors",
                          "scrapy.utils.log"), logging.WARNING)}


def new_id() -> str:
    return uuid.uuid4().hex[:16]


@contextlib.contextmanager
def job_scope(name: str) -> Iterator[str]:
    """Run a scheduler job under its own id, `<name>:<random>`; log lines inside carry it."""
    token = job_id.set(f"{name}:{uuid.uuid4().hex[:8]}")
    try:
        yield job_id.get()
    finally:
        job_id.reset(token)


def _secret_strings(value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        yield secret
        parts = urlsplit(secret) if "://" in secret else None
        if parts is not None and parts.password:  # a database URL: its password alone, too
            yield parts.password
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_strings(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_strings(item)


def secret_values(settings: BaseModel) -> list[str]:
    """Every secret in the settings (longest first, so a URL is masked before its parts)."""
    found = {s for s in _secret_strings(settings) if len(s) >= 4}
    return sorted(found, key=len, reverse=True)


class _Formatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, SHANGHAI).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in (("request_id", request_id.get()), ("job_id", job_id.get())):
            if value:
                data[key] = value
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        return data

    def mask(self, line: str) -> str:
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, MASK)
        return line


class JsonFormatter(_Formatter):
    """One JSON object a line: time, level, logger, message, request_id/job_id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(json.dumps(self.fields(record), ensure_ascii=False, default=str))


class TextFormatter(_Formatter):
    """`time level logger [request or job id]: message key=value ...` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        data = self.fields(record)
        head = f"{data.pop('time')} {data.pop('level')} {data.pop('logger')}"
        data.pop("pid")
        ids = " ".join(f"{k}={data.pop(k)}" for k in ("request_id", "job_id") if k in data)
        message, exception = data.pop("message"), data.pop("exception", "")
        extra = " ".join(f"{k}={v}" for k, v in data.items())
        line = f"{head}{f' [{ids}]' if ids else ''}: {message}{f' {extra}' if extra else ''}"
        return self.mask(f"{line}\n{exception}" if exception else line)


def quiet_chatty_loggers() -> None:
    """Set the QUIET levels (again after Scrapy's logging set-up, which resets its children)."""
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)


def configure_logging(settings: Any, *, level: str | None = None, stream: IO[str] | None = None) -> logging.Handler:
    """Replace the root logger's handlers with ours (format and level from `[logging]`)."""
    formatter_class = JsonFormatter if settings.logging.format == "json" else TextFormatter
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter_class(secret_values(settings)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or settings.logging.level)
    quiet_chatty_loggers()
    logging.captureWarnings(True)
    return handler
