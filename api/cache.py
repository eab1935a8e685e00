"""A short-lived cache for the answers many people poll: the ticket board and the review queue.

An entry lives `api.cache_seconds` and dies as soon as this process commits any write, so
whoever just acted sees the change at once; changes committed by other processes (a crawl
opening an alert) show within the TTL. Concurrent requests for the same missing entry wait
for one computation instead of all running it. Keys must carry everything that changes the
answer, including who may see what (a handler's department).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ResponseCache:
    def __init__(self, ttl: float, size: int = 512, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: OrderedDict[Hashable, tuple[int, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def _fresh(self, key: Hashable, generation: int) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stamp, expires, body = entry
        if stamp != generation or expires <= self.clock():
            return None
        self._entries.move_to_end(key)
        return body

    def get(self, key: Hashable, generation: int, compute: Callable[[], bytes]) -> bytes:
        """The cached body for `key` at this write generation, computing it when missing."""
        if self.ttl <= 0:
            return compute()
        with self._lock:
            body = self._fresh(key, generation)
            if body is not None:
                return body
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                body = self._fresh(key, generation)
            if body is not None:
                return body
            body = compute()
            with self._lock:
                self._entries[key] = (generation, self.clock() + self.ttl, body)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
                self._computing.pop(key, None)
            return body
