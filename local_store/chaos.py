"""The local store's chaos and bookkeeping: the fixed-window rate limiter and its headers, the seeded
faults (5xx, dropped connections, cut-short bodies), and the request statistics tests read."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Callable, Mapping, Optional


if TYPE_CHECKING:
    from .server import LocalStoreOptions

UNLIMITED_QUOTA = 1_000_000  # what the headers advertise when no quota is configured


# --------------------------------------------------------------------------------------------------
# Rate limit, faults, stats
# --------------------------------------------------------------------------------------------------


class FixedWindowLimiter:
    """BigCommerce's quota: N requests per fixed window, counted per store. Every answer carries the
    four headers; an answer past the quota is 429 (and does not use up more of the window).

    The quota is the store's, shared by its apps: another app spends `other_app_share` of every
    window as the window opens, and `initially_spent` requests of the first window are gone before
    the sync starts."""

    def __init__(self, options: LocalStoreOptions, clock: Callable[[], float] = time.monotonic):
        self.options, self.clock, self.lock = options, clock, threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.origin, self.window = self.clock(), 0
            self.used = max(self.options.initially_spent, self._other_app())

    def _roll(self, now: float) -> float:
        """Move to the current window and count the other app's spending so far; return ms until it ends."""
        window_ms = max(1, self.options.quota_window_ms)
        elapsed_ms = (now - self.origin) * 1000
        current = int(elapsed_ms // window_ms)
        if current != self.window:
            self.window, self.used = current, self._other_app()
        return (current + 1) * window_ms - elapsed_ms

    def _other_app(self) -> int:
        """What the store's other app spends of a window as it opens."""
        quota = self.options.quota
        return round(quota * self.options.other_app_share) if quota is not None else 0

    def _headers(self, reset_ms: float) -> dict:
        quota = self.options.quota if self.options.quota is not None else UNLIMITED_QUOTA
        return {
            "X-Rate-Limit-Requests-Left": str(max(0, quota - self.used)),
            "X-Rate-Limit-Requests-Quota": str(quota),
            "X-Rate-Limit-Time-Reset-Ms": str(max(1, math.ceil(reset_ms))),
            "X-Rate-Limit-Time-Window-Ms": str(self.options.quota_window_ms),
        }

    def take(self) -> tuple:
        """Spend one request. -> (allowed, headers)."""
        with self.lock:
            reset_ms = self._roll(self.clock())
            quota = self.options.quota
            allowed = quota is None or self.used < quota
            if allowed:
                self.used += 1
            return allowed, self._headers(reset_ms)

    def peek(self) -> dict:
        with self.lock:
            return self._headers(self._roll(self.clock()))


class FaultPlan:
    """Seeded draws of what goes wrong with one data request: None, "5xx", "drop" or "truncate"."""

    def __init__(self, options: LocalStoreOptions):
        self.options, self.random, self.lock = options, random.Random(options.fault_seed), threading.Lock()

    def draw(self) -> tuple:
        """-> (fault kind or None, detail): detail is the 5xx status, or for a drop whether any of the
        body is sent before the socket closes."""
        o = self.options
        with self.lock:
            roll = self.random.random()
            if roll < o.fault_5xx:
                return "5xx", self.random.choice((500, 502, 503))
            if roll < o.fault_5xx + o.fault_drop:
                return "drop", self.random.choice(("after_headers", "mid_body"))
            if roll < o.fault_5xx + o.fault_drop + o.fault_truncate:
                return "truncate", None
            return None, None


FAULT_TITLES = {
    500: "Internal Server Error (local store fault)",
    502: "Bad Gateway (local store fault)",
    503: "Service Unavailable (local store fault)",
}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests, self.rate_limited, self.faults, self.changes = 0, 0, 0, 0
            self.by_route, self.by_status = Counter(), Counter()
            self.peak_concurrency = self.in_flight
            self.log = []

    def begin(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)

    def end(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def record(self, method: str, template: str, path: str, query: Mapping[str, str], status: int, fault: Optional[str],
               received: Optional[float] = None) -> None:
        """One request answered; `received` is when its request line arrived, `t` when its answer was ready."""
        with self.lock:
            self.requests += 1
            self.by_route[f"{method} {template} {status}"] += 1
            self.by_status[status] += 1
            self.rate_limited += status == 429
            self.faults += fault is not None
            entry = {"method": method, "path": path, "query": dict(query), "status": status, "t": time.time(), "received": received}
            if fault:
                entry["fault"] = fault
            self.log.append(entry)

    def count_change(self) -> None:
        with self.lock:
            self.changes += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "by_route": dict(self.by_route),
                "by_status": dict(self.by_status),
                "rate_limited": self.rate_limited,
                "faults": self.faults,
                "peak_concurrency": self.peak_concurrency,
                "changes": self.changes,
            }
