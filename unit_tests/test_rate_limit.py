"""The shipped pacing and backoff code, driven by crafted headers and a patched clock."""

import datetime
import random

import pytest
import requests
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit

from source_bigcommerce import rate_limit
from source_bigcommerce.errors import RateLimitBackoff
from source_bigcommerce.rate_limit import BigCommerceBudget


def response(status=200, left=None, reset_ms=None, window_ms=None, quota=None):
    made = requests.Response()
    made.status_code = status
    if quota is not None:
        made.headers["X-Rate-Limit-Requests-Quota"] = str(quota)
    if left is not None:
        made.headers["X-Rate-Limit-Requests-Left"] = str(left)
    if reset_ms is not None:
        made.headers["X-Rate-Limit-Time-Reset-Ms"] = str(reset_ms)
    if window_ms is not None:
        made.headers["X-Rate-Limit-Time-Window-Ms"] = str(window_ms)
    return made


def request(n):
    return requests.Request("GET", f"https://api.bigcommerce.com/stores/x/v2/orders/{n}/products").prepare()


class Clock:
    """Stands in for datetime.datetime.now() in the budget and the CDK's fixed window."""

    def __init__(self):
        self.now = datetime.datetime(2026, 1, 1, 12, 0, 0)

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()

    class FakeDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return fake.now

    monkeypatch.setattr(rate_limit.datetime, "datetime", FakeDatetime)
    import airbyte_cdk.sources.streams.call_rate as call_rate

    monkeypatch.setattr(call_rate.datetime, "datetime", FakeDatetime)
    return fake


class Budget(BigCommerceBudget):
    """The shipped budget, with each test request sent by a worker of its own (the tests play many
    workers from one thread)."""

    def _sender(self, request):
        return id(request)


def try_acquire(budget, req):
    """True when the budget lets the request go now, False when it would make it wait (any other
    exception is a defect and fails the test)."""
    try:
        budget.acquire_call(req, block=False)
        return True
    except CallRateLimitHit:
        return False


def test_given_requests_left_when_spent_then_budget_blocks_before_a_429(clock):
    budget = Budget()
    first = request(1)
    assert try_acquire(budget, first)
    budget.update_from_response(first, response(left=2, reset_ms=1500))

    assert try_acquire(budget, request(2))
    assert try_acquire(budget, request(3))
    assert not try_acquire(budget, request(4)), "the quota is spent: wait instead of earning a 429"

    clock.advance(1.6)  # past the reset BigCommerce announced
    assert try_acquire(budget, request(4))


def answered_once(budget, **headers):
    """The store's first answer, which lets more than one request go."""
    probe = request(0)
    assert try_acquire(budget, probe)
    budget.update_from_response(probe, response(**headers))


def test_given_no_answer_yet_when_requests_start_then_one_goes_and_the_rest_wait_for_its_answer(clock):
    import threading

    budget = Budget()
    first = request(1)
    assert try_acquire(budget, first)
    assert try_acquire(budget, first), "the first request's retry goes too"
    assert not try_acquire(budget, request(2)), "the quota is unknown until the store answers"
    waiting = threading.Thread(target=budget.acquire_call, args=(request(3),))
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive(), "a blocking request waits for the first answer"

    budget.update_from_response(first, response(left=29, reset_ms=1500, window_ms=2000))
    waiting.join(5)
    assert not waiting.is_alive()
    assert try_acquire(budget, request(2))


def test_given_requests_in_flight_when_an_older_one_answers_then_later_ones_count_against_the_quota(clock):
    budget = Budget()
    answered_once(budget, left=10, reset_ms=30000)
    sent = [request(n) for n in range(4)]
    for r in sent:
        assert try_acquire(budget, r)
    # BigCommerce answered the first one having seen only it: 3 left, but 3 more are on their way.
    budget.update_from_response(sent[0], response(left=3, reset_ms=30000))

    assert not try_acquire(budget, request(9))


def test_given_stale_higher_count_when_answered_then_budget_does_not_grow_back(clock):
    budget = Budget()
    a, b = request(1), request(2)
    try_acquire(budget, a), try_acquire(budget, b)
    budget.update_from_response(b, response(left=0, reset_ms=30000))
    budget.update_from_response(a, response(left=5, reset_ms=30000))  # an older answer arriving late

    assert not try_acquire(budget, request(3))


def test_given_answers_out_of_order_when_all_are_in_then_exactly_what_the_store_has_left_is_available(clock):
    budget = Budget()
    answered_once(budget, left=10, reset_ms=30000)
    first, second = request(1), request(2)
    assert try_acquire(budget, first) and try_acquire(budget, second)
    # The store received `second` first (9 left after it), then `first` (8 left); `first` answers first.
    budget.update_from_response(first, response(left=8, reset_ms=30000))
    budget.update_from_response(second, response(left=9, reset_ms=30000))

    granted = sum(try_acquire(budget, request(10 + n)) for n in range(12))

    assert granted == 8, "every request the store has left is used, and none more"


def test_given_an_answer_while_a_call_is_being_taken_then_that_call_still_counts(clock):
    # An answer sets the window's count from the requests in flight. Were it processed after a worker
    # took its call but before that request counted as in flight, the call would be forgotten and one
    # request too many would go (a 429 seen in CI with 16 workers against a 12-request window).
    import threading

    budget = Budget()
    answered_once(budget, left=11, reset_ms=30000, quota=12)
    answering, taking = request(2), request(1)
    assert try_acquire(budget, answering)
    policy = budget.get_matching_policy(taking)
    took, answered = threading.Event(), threading.Event()
    real_try_acquire = policy.try_acquire

    def take_then_give_the_answer_a_chance(req, weight):
        real_try_acquire(req, weight)
        took.set()
        answered.wait(0.5)  # the answer comes in now, unless the budget holds it back until the call counts

    policy.try_acquire = take_then_give_the_answer_a_chance
    taker = threading.Thread(target=budget.acquire_call, args=(taking, False))
    taker.start()
    assert took.wait(5)

    def answer():
        # The store counted the probe and `answering`; `taking` has not reached it yet.
        budget.update_from_response(answering, response(left=10, reset_ms=30000, quota=12))
        answered.set()

    answerer = threading.Thread(target=answer)
    answerer.start()
    taker.join(5), answerer.join(5)
    del policy.try_acquire

    granted = sum(try_acquire(budget, request(10 + n)) for n in range(12))

    assert granted == 9, "10 left at the store, less `taking`, still on its way"


def test_given_a_slow_answer_from_the_last_window_when_it_arrives_then_the_new_window_keeps_its_quota(clock):
    budget = Budget()
    answered_once(budget, left=2, reset_ms=1000, window_ms=2000)
    early, slow = request(1), request(2)
    assert try_acquire(budget, early) and try_acquire(budget, slow)
    budget.update_from_response(early, response(left=1, reset_ms=1000, window_ms=2000))
    clock.advance(1.1)  # the store's window has reset
    fresh = request(3)
    assert try_acquire(budget, fresh)
    budget.update_from_response(fresh, response(left=29, reset_ms=1900, window_ms=2000))
    # `slow` was counted in the old window (the store then had 950 ms to go) and is only now answered.
    budget.update_from_response(slow, response(left=0, reset_ms=950, window_ms=2000))

    granted = sum(try_acquire(budget, request(10 + n)) for n in range(40))

    assert granted == 29


def test_given_a_new_window_when_it_starts_then_no_more_than_the_announced_quota_goes_out_before_an_answer(clock):
    budget = Budget()
    first = request(1)
    assert try_acquire(budget, first)
    budget.update_from_response(first, response(left=0, reset_ms=1000, window_ms=2000, quota=5))
    assert not try_acquire(budget, request(2))

    clock.advance(1.1)  # the window resets; no answer has spoken about the new one yet
    granted = sum(try_acquire(budget, request(10 + n)) for n in range(5))
    with pytest.raises(CallRateLimitHit) as refused:
        budget.acquire_call(request(99), block=False)

    assert granted == 5
    # A worker refused now sleeps until the next reset: one store window (2 s) away, not the CDK's default.
    assert datetime.timedelta(0) < refused.value.time_to_wait <= datetime.timedelta(seconds=2)


def test_given_requests_still_in_flight_when_a_window_starts_then_they_count_against_it(clock):
    budget = Budget()
    first, straggler = request(1), request(2)
    assert try_acquire(budget, first)
    budget.update_from_response(first, response(left=1, reset_ms=1000, window_ms=2000, quota=5))
    assert try_acquire(budget, straggler)  # the window's last request, still on its way at the reset

    clock.advance(1.1)

    assert sum(try_acquire(budget, request(10 + n)) for n in range(8)) == 4


def test_given_answers_without_rate_limit_headers_then_nothing_is_held_back(clock):
    budget = Budget()
    for n in range(50):
        r = request(n)
        assert try_acquire(budget, r)
        budget.update_from_response(r, response())


@pytest.mark.parametrize("garbage", ["inf", "nan", "-5", "1e400", "soon", ""])
def test_given_garbled_rate_limit_headers_then_the_budget_carries_on(clock, garbage):
    budget = Budget()
    r = request(1)
    assert try_acquire(budget, r)
    made = response(left=10)
    for header in ("X-Rate-Limit-Time-Reset-Ms", "X-Rate-Limit-Time-Window-Ms", "X-Rate-Limit-Requests-Quota"):
        made.headers[header] = garbage
    budget.update_from_response(r, made)

    assert sum(try_acquire(budget, request(10 + n)) for n in range(12)) == 10


def test_given_429_without_headers_then_budget_treats_it_as_no_calls_left(clock):
    budget = Budget()
    r = request(1)
    try_acquire(budget, r)
    budget.update_from_response(r, response(status=429))

    assert not try_acquire(budget, request(2))


@pytest.mark.parametrize(
    "status, reset_ms, attempt, low, high",
    [
        (429, 1200, 1, 1.2, 1.2),  # first 429: exactly the announced reset
        (429, 1200, 3, 1.2 + 1.0, 1.2 + 2.0),  # it repeats: reset plus growing, jittered backoff
        (429, None, 1, 0.25, 0.5),  # platform under load (no headers): exponential backoff
        (429, "inf", 1, 0.25, 0.5),  # a reset that cannot be right: the same
        (429, "nan", 1, 0.25, 0.5),
        (429, 86_400_000, 1, 0.25, 0.5),
        (500, None, 1, 0.25, 0.5),
        (500, None, 4, 2.0, 4.0),
        (502, None, 20, 15.0, 30.0),  # capped
    ],
)
def test_backoff_table(status, reset_ms, attempt, low, high):
    wait = RateLimitBackoff(random.Random(1)).backoff_time(response(status=status, reset_ms=reset_ms), attempt)
    assert low <= wait <= high


def test_backoff_on_dropped_connection_is_exponential():
    wait = RateLimitBackoff(random.Random(1)).backoff_time(requests.ConnectionError("reset"), 2)
    assert 0.5 <= wait <= 1.0


def test_given_a_request_that_died_by_exception_when_its_thread_sends_again_then_it_no_longer_counts(clock):
    budget = BigCommerceBudget()  # one thread: the one running this test
    first = request(1)
    assert try_acquire(budget, first)
    budget.update_from_response(first, response(left=3, reset_ms=1000, window_ms=2000, quota=5))
    dead = request(2)
    assert try_acquire(budget, dead)  # its send raised (a dropped connection): no update_from_response
    assert try_acquire(budget, request(3))  # the thread's next request: the dead one is over
    assert len(budget._in_flight) == 1, "a request that ended in an exception must not stay in flight"


def test_given_answers_then_the_quota_per_second_is_what_the_latest_announced_and_none_before_any(clock):
    budget = BigCommerceBudget()
    assert budget.quota_per_second() is None
    budget.acquire_call(request(1))
    budget.update_from_response(request(1), response(left=149, reset_ms=29000, window_ms=30000, quota=150))
    assert budget.quota_per_second() == 5.0
    budget.acquire_call(request(2))
    budget.update_from_response(request(2), response(left=449, reset_ms=29000, window_ms=30000, quota=450))  # the plan changed
    assert budget.quota_per_second() == 15.0
