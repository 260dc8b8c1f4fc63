"""The benchmark's CPU solve (bench.solve), which row 3 of `make bench` and `bench.compare --solve` print."""

import pytest

from bench.__main__ import solve


def _cpu(start_up: float, per_request: float, per_record: float, requests: int, records: int) -> float:
    return start_up + per_request * requests + per_record * records


@pytest.mark.parametrize("per_request, per_record", [(0.0005, 0.00003), (0.0012, 0.00007), (0.002, 0.0)])
def test_given_three_syncs_of_a_known_cost_then_the_solve_returns_that_cost(per_request: float, per_record: float) -> None:
    # The one-record read makes a request and holds a record, as the store stream's does: both are
    # subtracted with its CPU, so they must not count as start-up.
    syncs = [(1, 1), (201, 44_000), (4_947, 20_587)]
    figures = [(q, r, _cpu(1.3, per_request, per_record, q, r)) for q, r in syncs]

    solved_request, solved_record = solve(figures)

    assert solved_request == pytest.approx(per_request)
    assert solved_record == pytest.approx(per_record, abs=1e-12)


def test_given_a_start_up_that_grows_then_only_the_syncs_beyond_it_are_costed() -> None:
    # A heavier start-up shifts every sync's CPU alike and leaves the per-request and per-record costs.
    light = [(q, r, _cpu(1.0, 0.0007, 0.00003, q, r)) for q, r in [(1, 1), (201, 44_000), (4_947, 20_587)]]
    heavy = [(q, r, c + 0.8) for q, r, c in light]

    assert solve(heavy) == pytest.approx(solve(light))
