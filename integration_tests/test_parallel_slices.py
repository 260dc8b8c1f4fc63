"""Parallel date slices (`parallel_date_slices`, on by default): where the store's quota is not the limit,
a sorted date listing reads a long stretch as one slice per worker, all at once, with every record and
every checkpoint exact; where the quota is the limit, or with the option false, one window."""

from datetime import timedelta

from local_store import LocalStore
from source_bigcommerce.dates import parse_date

from .connector import catalog_for, config_for, run_connector
from .expectations import by_key, expected_records
from .test_newest_first import assert_first_sync_exact, newest_days

START = "2015-01-01T00:00:00+00:00"


def first_pages(store, path: str = "/v2/orders", low: str = "min_date_modified"):
    """(min, max) of every window the listing asked for, oldest first."""
    high = low.replace("min", "max")
    windows = {(parse_date(e["query"][low]), parse_date(e["query"][high])) for e in store.request_log()
               if e["path"].endswith(path) and low in e["query"] and high in e["query"]}
    starts = {}
    for start, end in windows:  # a keyset's later pages start later within the same window: keep its first
        starts[end] = min(start, starts.get(end, start))
    return sorted((start, end) for end, start in starts.items())


def most_at_once(store, path, low, windows) -> int:
    """The most requests of the listing's given windows the store was answering at one moment."""
    ends, high = {end for _, end in windows}, low.replace("min", "max")
    spans = [(e["received"], e["t"]) for e in store.request_log()
             if e["path"].endswith(path) and high in e["query"] and parse_date(e["query"][high]) in ends]
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def test_given_a_quota_the_workers_cannot_spend_then_the_history_is_read_in_one_slice_per_worker_at_once_and_every_record_and_checkpoint_is_exact():
    with LocalStore(seed=3, scale=0.5, latency_ms=30) as store:
        days = newest_days(store)
        run = run_connector("read", config_for(store.base_url, start_date="2015-01-01", newest_first_days=days, num_workers=4),
                            catalog_for())

        assert_first_sync_exact(run, store)
        assert len(first_pages(store)) > 2, "the orders' history was read in one window"

    # Each listing read alone, at 200 ms a request: its newest days, then the history in four slices
    # joined end to start from the start date, the slices' requests answered side by side.
    with LocalStore(seed=3, scale=0.2, latency_ms=200) as store:
        for stream, path, low in (("orders", "/v2/orders", "min_date_modified"), ("products", "/v3/catalog/products", "date_modified:min")):
            store.reset_stats()
            assert run_connector("read", config_for(store.base_url, start_date="2015-01-01", newest_first_days=days, num_workers=4,
                                                    parallel_date_slices=True), catalog_for([stream])).exit_code == 0
            windows = first_pages(store, path, low)
            clock = windows[-1][1]
            history = [w for w in windows if w[1] < clock - timedelta(days=days)]
            assert len(history) == 4, (path, windows)
            assert history[0][0] == parse_date(START), path
            assert all(b[0] == a[1] + timedelta(seconds=1) for a, b in zip(history, history[1:])), (path, history)
            assert history[-1][1] == clock - timedelta(days=days, seconds=1), path
            assert most_at_once(store, path, low, history) >= 3, f"{path}: the slices were read one after another"


def test_given_a_quota_that_is_the_limit_then_the_history_is_one_window():
    with LocalStore(seed=3, scale=0.1, quota=30, quota_window_ms=2000) as store:
        days = newest_days(store)
        run = run_connector("read", config_for(store.base_url, start_date="2015-01-01", newest_first_days=days, num_workers=4,
                                               parallel_date_slices=True), catalog_for(["orders"]))

        assert run.exit_code == 0
        assert by_key("orders", run.records["orders"]) == expected_records(store, start_date="2015-01-01")["orders"]
        windows = first_pages(store)
        assert len(windows) == 2 and windows[0][0] == parse_date(START), windows  # the history, then the newest days


def test_given_slices_turned_off_then_the_history_is_one_window(store):
    run = run_connector("read", config_for(store.base_url, start_date="2015-01-01", newest_first_days=newest_days(store),
                                           parallel_date_slices=False), catalog_for(["orders"]))

    assert run.exit_code == 0
    windows = first_pages(store)
    assert len(windows) == 2 and windows[0][0] == parse_date(START), windows
