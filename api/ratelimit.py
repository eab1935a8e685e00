"""Login rate limits: failed logins counted per client address and per user name.

Beyond `auth.login_failures_per_address` (or `_per_user`) failures within
`auth.login_window_minutes`, a login is answered 429 with `Retry-After` before its password
is checked, so guessing costs the guesser time and costs the server no Argon2 work. The
account lockout (`auth.max_failed_logins`, kept in the database) still applies; these limits
also cover unknown user names and a guesser spreading over many names.

The counters live in this process's memory (bounded: the least recently seen keys are
forgotten first). Several API instances behind a load balancer count separately; the
database lockout is shared by all of them.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from alerts.errors import ServiceError
from yuqing.settings_ops import AuthSettings


class TooManyRequests(ServiceError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"登录尝试过于频繁，请在 {retry_after} 秒后再试")
        self.retry_after = retry_after


class SlidingWindow:
    """Failures per key in the last `window` seconds, for at most `max_keys` keys."""

    def __init__(self, limit: int, window: float, max_keys: int = 50_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may try again (0 when it may now)."""
        hits = self._hits.get(key)
        if hits is None:
            return 0.0
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return 0.0
        return hits[0] + self.window - now if len(hits) >= self.limit else 0.0

    def hit(self, key: str, now: float) -> None:
        hits = self._hits.setdefault(key, deque())
        hits.append(now)
        self._hits.move_to_end(key)
        while len(hits) > self.limit:
            hits.popleft()
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)

    def __len__(self) -> int:
        return len(self._hits)


class LoginLimiter:
    def __init__(self, auth: AuthSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        window = auth.login_window_minutes * 60
        self.by_address = SlidingWindow(auth.login_failures_per_address, window)
        self.by_user = SlidingWindow(auth.login_failures_per_user, window)
        self.clock = clock
        self._lock = threading.Lock()

    @staticmethod
    def _user(username: str) -> str:
        return username.strip().lower()

    def check(self, *, address: str, username: str) -> None:
        """TooManyRequests (429, Retry-After) when the address or the name used up its failures."""
        with self._lock:
            now = self.clock()
            wait = max(self.by_address.wait(address, now), self.by_user.wait(self._user(username), now))
        if wait > 0:
            raise TooManyRequests(max(1, math.ceil(wait)))

    def failed(self, *, address: str, username: str) -> None:
        with self._lock:
            now = self.clock()
            self.by_address.hit(address, now)
            self.by_user.hit(self._user(username), now)

    def succeeded(self, *, username: str) -> None:
        """The right password clears the name's failures (the address keeps its count)."""
        with self._lock:
            self.by_user.clear(self._user(username))
