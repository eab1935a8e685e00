"""The notifier: notices → one delivery per matching channel, sent in the background.

Each delivery is logged (`deliveries`), sent on its own, retried with exponential backoff
(`notify.attempts`, `notify.backoff_seconds` doubled each time) and finally marked sent or
failed. Channels never wait for each other: a dead robot delays nobody, and no delivery
runs inside a transaction of the caller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.db import Database, now_shanghai
from alerts.levels import Level
from alerts.notify.channels import DeliveryError, send
from alerts.notify.models import Delivery, DeliveryStatus
from alerts.notify.outbox import Notice
from yuqing.settings import Settings
from yuqing.settings_ops import ChannelSettings

log = logging.getLogger("yuqing.notify")
# httpx logs every request's full URL at INFO, and robot webhook URLs embed their keys.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def channels_for(settings: Settings, notice: Notice) -> list[str]:
    """Names of the enabled channels that take this notice."""
    names = []
    for name, channel in settings.notify.channels.items():
        if not channel.enabled or notice.kind not in channel.events:
            continue
        if notice.level and Level(notice.level).rank < Level(channel.min_level).rank:
            continue
        if channel.departments and notice.department not in channel.departments:
            continue
        names.append(name)
    return names


class Notifier:
    def __init__(self, db: Database, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], datetime] = now_shanghai, workers: int = 8) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.client = httpx.Client(timeout=settings.notify.timeout_seconds, transport=transport)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yuqing-notify")
        self._outstanding = 0
        self._idle = threading.Condition()
        self._closed = False

    # -- bookkeeping so tests and shutdown can wait for every delivery ------------------
    def _start(self) -> None:
        with self._idle:
            self._outstanding += 1

    def _done(self) -> None:
        with self._idle:
            self._outstanding -= 1
            self._idle.notify_all()

    def _submit(self, function: Callable[..., None], *args: object) -> None:
        self._start()

        def run() -> None:
            try:
                function(*args)
            except Exception:  # a bug in one delivery must not kill the worker
                log.exception("notification: unexpected error")
            finally:
                self._done()

        if self._closed:
            self._done()
            return
        self._pool.submit(run)

    def drain(self, timeout: float = 30) -> bool:
        """Wait until every queued delivery is sent or has failed; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    def close(self, timeout: float = 30) -> None:
        self.drain(timeout)
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()

    # -- the work ------------------------------------------------------------------------
    def publish(self, notices: list[Notice]) -> None:
        """Queue notices for delivery and return at once (the after-commit hook calls this)."""
        for notice in notices:
            self._submit(self._fan_out, notice)

    def _fan_out(self, notice: Notice) -> None:
        names = channels_for(self.settings, notice)
        if not names:
            return
        now = self.clock()
        with self.db.write() as session:
            rows = [Delivery(channel=name, kind=notice.kind, ref=notice.ref, subject=notice.subject[:300],
                             body=notice.body, created_at=now, updated_at=now) for name in names]
            session.add_all(rows)
            session.flush()
            ids = [(row.id, row.channel) for row in rows]
        for delivery_id, name in ids:
            self._submit(self._attempt, delivery_id, name, 1)

    def _attempt(self, delivery_id: int, name: str, attempt: int) -> None:
        channel: ChannelSettings | None = self.settings.notify.channels.get(name)
        with self.db.read() as session:
            row = session.get(Delivery, delivery_id)
            subject, body = (row.subject, row.body) if row else ("", "")
        if row is None:
            return
        error = ""
        try:
            if channel is None:
                raise DeliveryError("渠道已从配置中删除")
            send(self.client, self.settings.notify.smtp, channel, subject, body)
        except DeliveryError as exc:
            error = str(exc)
        last = bool(error) and (attempt >= self.settings.notify.attempts or channel is None)
        self._record(delivery_id, attempt=attempt, error=error, last=last)
        if error and not last:
            delay = self.settings.notify.backoff_seconds * 2 ** (attempt - 1)
            log.warning("notification %s via %s: attempt %d failed (%s); retry in %.1fs",
                        delivery_id, name, attempt, error, delay)
            self._later(delay, delivery_id, name, attempt + 1)
        elif error:
            log.error("notification %s via %s: failed after %d attempts (%s)", delivery_id, name, attempt, error)

    def _later(self, delay: float, delivery_id: int, name: str, attempt: int) -> None:
        self._start()

        def fire() -> None:
            try:
                self._submit(self._attempt, delivery_id, name, attempt)
            finally:
                self._done()

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        timer.start()

    def _record(self, delivery_id: int, *, attempt: int, error: str, last: bool) -> None:
        now = self.clock()
        with self.db.write() as session:
            row = session.get(Delivery, delivery_id)
            if row is None:
                return
            row.attempts, row.updated_at, row.last_error = attempt, now, error
            if not error:
                row.status, row.sent_at = DeliveryStatus.sent.value, now
            elif last:
                row.status = DeliveryStatus.failed.value

    def resend_stale(self, *, now: datetime, older_than_minutes: int = 30) -> int:
        """Deliveries left pending by a stopped process are tried again (the scheduler calls this)."""
        cutoff = now - timedelta(minutes=older_than_minutes)
        with self.db.read() as session:
            stale = session.execute(select(Delivery.id, Delivery.channel, Delivery.attempts).where(
                Delivery.status == DeliveryStatus.pending.value, Delivery.updated_at < cutoff)).all()
        for delivery_id, name, attempts in stale:
            self._submit(self._attempt, delivery_id, name, attempts + 1)
        return len(stale)


def delivery_log(session: Session, *, limit: int = 100, status: str | None = None) -> list[Delivery]:
    """The newest deliveries, optionally only those with one status."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        query = query.where(Delivery.status == status)
    return list(session.scalars(query))
