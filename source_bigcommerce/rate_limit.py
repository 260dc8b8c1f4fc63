"""One call budget shared by every worker, fed by BigCommerce's rate-limit headers, so the connector
slows down before the store's quota runs out instead of after (airbyte-cdk's HttpAPIBudget; the CDK
blocks each request in `acquire_call` until the budget has room)."""

from __future__ import annotations

import datetime
import itertools
import threading
from typing import Any, Dict, Optional

import requests
from airbyte_cdk.sources.streams.call_rate import FixedWindowCallRatePolicy, HttpAPIBudget

REQUESTS_LEFT = "X-Rate-Limit-Requests-Left"
RESET_MS = "X-Rate-Limit-Time-Reset-Ms"
WINDOW_MS = "X-Rate-Limit-Time-Window-Ms"

# Until the first response tells the real quota, assume plenty: at most `num_workers` requests can be
# in flight before BigCommerce's headers take over, and every plan's window allows more than that.
UNKNOWN_QUOTA = 1_000_000
DEFAULT_WINDOW = datetime.timedelta(seconds=30)
FORGET_AFTER = 1000
# The reset time is "milliseconds from when BigCommerce answered"; wait this much longer so the first
# request of our next window does not land in the last moment of theirs.
RESET_MARGIN = datetime.timedelta(milliseconds=10)


class BigCommerceBudget(HttpAPIBudget):
    """`X-Rate-Limit-Requests-Left` counts the requests BigCommerce had received when it answered, not
    the ones still on their way from our other workers. So the calls left are taken as that header less
    the requests we sent *after* the one being answered (those sent before it were counted already):
    without this, each window overshoots by up to `num_workers` requests and earns 429s."""

    def __init__(self, max_in_flight: int = 1_000) -> None:
        # `num_workers` requests at most on the wire at once. A thread holds its slot from acquire until
        # the answer; a request that died without one leaves the slot to that thread's next request
        # (the CDK retries on the same thread), so no slot is ever lost.
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._holding = threading.local()
        self._sequence = itertools.count()
        self._in_flight: Dict[int, int] = {}  # id(request) -> when it was sent, in send order
        self._lock = threading.Lock()
        super().__init__(
            ratelimit_reset_header=RESET_MS,
            ratelimit_remaining_header=REQUESTS_LEFT,
            status_codes_for_ratelimit_hit=[429],
            policies=[FixedWindowCallRatePolicy(
                # The CDK's fixed window compares naive local times, so these are naive too.
                next_reset_ts=datetime.datetime.now() + DEFAULT_WINDOW,
                period=DEFAULT_WINDOW,
                call_limit=UNKNOWN_QUOTA,
                matchers=[],
            )],
        )

    def acquire_call(self, request: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        if not getattr(self._holding, "slot", False):
            if not self._slots.acquire(blocking=block, timeout=timeout):
                raise TimeoutError("no request slot free")
            self._holding.slot = True
        super().acquire_call(request, block=block, timeout=timeout)
        with self._lock:
            sequence = self._in_flight[id(request)] = next(self._sequence)
            if len(self._in_flight) > FORGET_AFTER:  # requests that died without an answer
                self._in_flight = {k: v for k, v in self._in_flight.items() if v > sequence - FORGET_AFTER}

    def update_from_response(self, request: Any, response: Any) -> None:
        if getattr(self._holding, "slot", False):
            self._holding.slot = False
            self._slots.release()
        with self._lock:
            sent = self._in_flight.pop(id(request), None)
            sent_later = sum(1 for other in self._in_flight.values() if sent is not None and other > sent)
        policy = self.get_matching_policy(request)
        if policy is None or not isinstance(response, requests.Response):
            return
        left = self.get_calls_left_from_response(response)
        policy.update(available_calls=None if left is None else max(0, left - sent_later),
                      call_reset_ts=self.get_reset_ts_from_response(response))

    def get_reset_ts_from_response(self, response: requests.Response) -> Optional[datetime.datetime]:
        try:
            milliseconds = float(response.headers[RESET_MS])
        except (KeyError, TypeError, ValueError):
            return None
        return datetime.datetime.now() + datetime.timedelta(milliseconds=max(0.0, milliseconds)) + RESET_MARGIN

    def get_calls_left_from_response(self, response: requests.Response) -> Optional[int]:
        try:
            return max(0, int(response.headers[REQUESTS_LEFT]))
        except (KeyError, TypeError, ValueError):
            return 0 if response.status_code == 429 else None
