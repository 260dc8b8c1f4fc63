"""One call budget shared by every worker, fed by BigCommerce's rate-limit headers, so the connector
slows down before the store's quota runs out instead of after (airbyte-cdk's HttpAPIBudget and fixed
window policy; the CDK's HttpClient asks `acquire_call` before each request, which blocks until the
window has room)."""

from __future__ import annotations

import datetime
import math
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

import requests
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit, FixedWindowCallRatePolicy, HttpAPIBudget

REQUESTS_LEFT = "X-Rate-Limit-Requests-Left"
REQUESTS_QUOTA = "X-Rate-Limit-Requests-Quota"
RESET_MS = "X-Rate-Limit-Time-Reset-Ms"
WINDOW_MS = "X-Rate-Limit-Time-Window-Ms"

# Until the first response tells the real quota, one request at a time (`_wait_for_first_answer`), and
# no limit of the CDK's window; from then on a new window starts with the quota the store announced.
UNKNOWN_QUOTA = 1_000_000
DEFAULT_WINDOW = datetime.timedelta(seconds=30)
# The reset time is "milliseconds from when BigCommerce answered"; wait this much longer so the first
# request of our next window does not land in the last moment of theirs.
RESET_MARGIN = datetime.timedelta(milliseconds=10)
# A request still unanswered after this long has died (the read timeout is shorter): stop counting it.
LOST_AFTER = datetime.timedelta(minutes=5)
# Before the store's first answer only one request goes; the others wait for it, at most this long
# (should it die unanswered, they go anyway).
FIRST_ANSWER_WAIT = datetime.timedelta(seconds=30)
LARGEST_HEADER_NUMBER = 1e9  # a day is 8.64e7 ms; anything past this is garbage


class BigCommerceBudget(HttpAPIBudget):
    """`X-Rate-Limit-Requests-Left` is what the store had left when it *received* that request, and the
    answers come back out of order (a page of 250 orders takes longer than an empty page). So, per quota
    window, the budget keeps the fewest requests left that any answer reported: the store's latest count,
    which already includes every request answered so far. Available is that number less the requests
    still on their way, which the count may not include yet. As those are answered the estimate rises
    again, so a window ends using exactly what the store has left, neither a 429 nor a request unspent.

    An answer is placed in a window by when its request took its call. A request held up for about a
    whole window between taking its call and reaching the store (a stalled thread) can be placed in
    the wrong one, and the budget may then let one request too many go: one 429, which costs the
    announced reset. BigCommerce's windows are 30 s long.
    """

    def __init__(self, on_wait: Optional[Callable[[Optional[str], datetime.timedelta], None]] = None) -> None:
        self.on_wait = on_wait  # told (stream, wait) when a request must wait for the quota window to reset
        # The requests on their way, by the thread that sent them: a thread sends one at a time, so its
        # next request means the last one is over, also when it ended in an exception and never reached
        # `update_from_response` (the CDK's limiter has no `finally`). Nothing is held across requests,
        # so nothing can be left held. Times are the CDK window's naive local clock, so the two agree.
        self._in_flight: Dict[int, datetime.datetime] = {}  # thread id -> when its request was sent
        self._window_ends: Optional[datetime.datetime] = None  # when the store's current window resets
        self._fewest_left: Optional[int] = None  # in that window
        self._lock = threading.Lock()
        self._answered = False  # the store has answered a request: its headers now pace the rest
        self._announced: Optional[float] = None  # the quota the latest answer announced, per second
        self._first_sender: Any = None
        self._first_answer = threading.Condition(self._lock)
        super().__init__(
            ratelimit_reset_header=RESET_MS,
            ratelimit_remaining_header=REQUESTS_LEFT,
            status_codes_for_ratelimit_hit=[429],
            policies=[QuotaWindowPolicy(
                # The CDK's fixed window compares naive local times, so these are naive too.
                next_reset_ts=datetime.datetime.now() + DEFAULT_WINDOW,
                period=DEFAULT_WINDOW,
                call_limit=UNKNOWN_QUOTA,
                matchers=[],
                requests_in_flight=lambda: len(self._in_flight),
            )],
        )

    def quota_per_second(self) -> Optional[float]:
        """The store's quota as its latest answer announced it (requests per second), None before any
        answer announced one."""
        with self._lock:
            return self._announced

    def acquire_call(self, request: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        """Take one call of the window, or wait for the window's reset (at most `timeout` seconds).

        Taking the call and counting the request in flight happen under one lock, which every answer's
        update takes too: an answer sets the window's count from the requests in flight, so an update
        between the two would forget a call just taken and let one request too many go."""
        sender = self._sender(request)
        policy = self.get_matching_policy(request)
        deadline = None if timeout is None else time.monotonic() + timeout
        told = False
        while True:
            with self._lock:
                self._in_flight.pop(sender, None)  # this thread's last request is over
                self._wait_for_first_answer(sender, block)
                try:
                    if policy is not None:
                        policy.try_acquire(request, weight=1)
                    self._in_flight[sender] = datetime.datetime.now()
                    return
                except CallRateLimitHit as spent:
                    if not block or (deadline is not None and time.monotonic() >= deadline):
                        raise
                    wait = max(datetime.timedelta(0), spent.time_to_wait)
            if not told and self.on_wait is not None:  # say so before waiting: "rate limited", not "stuck"
                self.on_wait(getattr(SENDING, "stream", None), wait)
                told = True
            if deadline is not None:
                wait = min(wait, datetime.timedelta(seconds=max(0.0, deadline - time.monotonic())))
            time.sleep(wait.total_seconds())

    def _wait_for_first_answer(self, sender: Any, block: bool) -> None:
        """Until the store has answered once, one request at a time: the quota is unknown, and every
        stream starting at once could otherwise spend a small window before its first header arrives.
        The first sender goes (its retries too); the others wait for the answer, or, should that request
        never be answered, for FIRST_ANSWER_WAIT. Called holding the lock."""
        if self._answered or self._first_sender in (None, sender):
            self._first_sender = sender if not self._answered else self._first_sender
            return
        if not block:
            raise CallRateLimitHit(error="waiting for the store's first answer", item=None, weight=1, rate="unknown",
                                   time_to_wait=FIRST_ANSWER_WAIT)
        self._first_answer.wait_for(lambda: self._answered, timeout=FIRST_ANSWER_WAIT.total_seconds())

    def update_from_response(self, request: Any, response: Any) -> None:
        policy = self.get_matching_policy(request)
        now = datetime.datetime.now()
        with self._lock:
            if not self._answered:
                self._answered = True
                self._first_answer.notify_all()
            sent = self._in_flight.pop(self._sender(request), now)
            self._in_flight = {k: t for k, t in self._in_flight.items() if now - t < LOST_AFTER}
            if policy is None or not isinstance(response, requests.Response):
                return
            window_ms = header_number(response, WINDOW_MS)
            available, reset_at = self._read_answer(sent, now, response, window_ms)
            quota = header_number(response, REQUESTS_QUOTA)
            if quota and window_ms:
                self._announced = quota / (window_ms / 1000)
            # Under the lock: `available` counts the requests in flight now, so no call may be taken
            # between working it out and the window being told it.
            policy.update(available_calls=available, call_reset_ts=reset_at, call_limit=int(quota) if quota else None,
                          period=datetime.timedelta(milliseconds=window_ms) if window_ms else None)

    def _sender(self, request: Any) -> Any:
        """Who sent the request: its thread, which sends one request at a time (retries resend it)."""
        return threading.get_ident()

    def _read_answer(self, sent: datetime.datetime, now: datetime.datetime, response: requests.Response,
                     window_ms: Optional[float]) -> Tuple[Optional[int], Optional[datetime.datetime]]:
        """-> (calls available now, when the window resets), None for what this answer cannot tell."""
        left, reset_ms = self.get_calls_left_from_response(response), header_number(response, RESET_MS)
        if self._window_ends is not None and now > self._window_ends:  # that window is over
            self._window_ends = self._fewest_left = None
        if left is None:
            return self._estimate(), None
        if reset_ms is None:  # no reset time to tell windows apart: this answer alone
            return max(0, left - len(self._in_flight)), None
        # The store counted the request between our sending it and its answer; dated from the sending,
        # an answer that took long cannot pass for one from the next window.
        ends = sent + datetime.timedelta(milliseconds=reset_ms)
        half_window = (datetime.timedelta(milliseconds=window_ms) if window_ms else DEFAULT_WINDOW) / 2
        if ends <= now or (self._window_ends is not None and ends < self._window_ends - half_window):
            return self._estimate(), None  # about a window already over: nothing on this one
        if self._window_ends is None or ends > self._window_ends + half_window:  # a new window
            self._window_ends, self._fewest_left = ends, left
        else:  # this window: the lowest count is the store's latest
            self._fewest_left = left if self._fewest_left is None else min(left, self._fewest_left)
        return self._estimate(), self.get_reset_ts_from_response(response)

    def _estimate(self) -> Optional[int]:
        return None if self._fewest_left is None else max(0, self._fewest_left - len(self._in_flight))

    def get_reset_ts_from_response(self, response: requests.Response) -> Optional[datetime.datetime]:
        milliseconds = header_number(response, RESET_MS)
        if milliseconds is None:
            return None
        return datetime.datetime.now() + datetime.timedelta(milliseconds=milliseconds) + RESET_MARGIN

    def get_calls_left_from_response(self, response: requests.Response) -> Optional[int]:
        try:
            return max(0, int(response.headers[REQUESTS_LEFT]))
        except (KeyError, TypeError, ValueError):
            return 0 if response.status_code == 429 else None


SENDING = threading.local()  # the stream whose request this thread is sending (`sending_for`)


def sending_for(stream: str, send: Callable[..., Any]) -> Callable[..., Any]:
    """`send`, telling the budget (through SENDING) which stream the request is for."""

    def send_for_stream(*args: Any, **kwargs: Any) -> Any:
        SENDING.stream = stream
        return send(*args, **kwargs)

    return send_for_stream


class InFlightLimit:
    """At most `limit` requests on the wire at once, across every stream: a request holds its slot from
    before it waits for the quota until its answer or its exception (`finally`), so no slot can be
    left held by a request that died."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    def around(self, send: Callable[..., Any]) -> Callable[..., Any]:
        def bounded_send(*args: Any, **kwargs: Any) -> Any:
            with self._slots:
                return send(*args, **kwargs)

        return bounded_send


class QuotaWindowPolicy(FixedWindowCallRatePolicy):
    """The CDK's fixed window, told the calls available both ways, and the store's quota and window
    length, so a window that starts before any answer speaks of it opens with the right quota and
    predicts the right reset (a worker blocked at its start sleeps until that reset).

    Its own `update` only ever lowers the count, which suits one client whose every answer is fresh;
    here the budget works out from all answers what the store has left, and that may rise as requests
    in flight are answered."""

    def __init__(self, *, requests_in_flight: Callable[[], int], **window: Any) -> None:
        self._requests_in_flight = requests_in_flight
        super().__init__(**window)

    def update(self, available_calls: Optional[int], call_reset_ts: Optional[datetime.datetime],
               call_limit: Optional[int] = None, period: Optional[datetime.timedelta] = None) -> None:
        with self._lock:
            if call_limit is not None and call_limit > 0:
                self._call_limit, self._calls_num = call_limit, min(self._calls_num, call_limit)
            if period is not None and period > datetime.timedelta(0):
                self._offset = period
            self._update_current_window()
            if available_calls is not None:
                self._calls_num = self._call_limit - available_calls
            if call_reset_ts is not None:
                self._next_reset_ts = call_reset_ts

    def _update_current_window(self) -> None:
        # As the CDK's, except that a new window counts the requests still in flight: sent at the end
        # of the last window, they may reach the store in this one.
        if datetime.datetime.now() > self._next_reset_ts:
            self._next_reset_ts = self._next_reset_ts + self._offset
            self._calls_num = min(self._call_limit, self._requests_in_flight())


def header_number(response: requests.Response, header: str) -> Optional[float]:
    """A numeric header, None when missing or not a sane number (a garbled header must not crash a sync)."""
    try:
        value = float(response.headers[header])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) and 0 <= value < LARGEST_HEADER_NUMBER else None
