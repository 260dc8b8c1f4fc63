"""Newest days first: a sync whose range is long reads each date stream's newest days (and their
orders' children) before the older history, with a state exact at every checkpoint and after a kill."""

import json
import signal
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from local_store import LocalStore
from local_store.data import END
from source_bigcommerce.dates import parse_date

from .connector import EXECUTABLE, STREAMS, catalog_for, config_for, run_connector
from .expectations import SPECS, by_key, covered_by, expected_records, key_of
from .test_sync import CURSORS, assert_state_never_ahead_of_emitted

WINDOWED = {"/v2/orders": "min_date_modified", "/v3/catalog/products": "date_modified:min", "/v3/customers": "date_modified:min",
            "/v3/customers/subscribers": "date_modified:min", "/v3/channels": "date_modified:min",
            "/v3/orders/payment_actions/refunds": "created:min"}


def newest_days(store) -> int:
    """Enough days that the newest window holds the local store's last 200 days of changes (its data ends at END)."""
    return (store.now() - (END - timedelta(days=200))).days


def assert_first_sync_exact(run, store) -> None:
    """A first sync from 2015 of every stream read ahead of its history: every record exact, a checkpoint
    with a stretch read ahead, none ahead of what was emitted, and each final state one joined stretch."""
    assert run.exit_code == 0
    expected = expected_records(store, start_date="2015-01-01")
    for stream in STREAMS:
        assert by_key(stream, run.records[stream]) == expected[stream], stream
    assert assert_state_never_ahead_of_emitted(run, expected) > 0, "no checkpoint ever held a stretch read ahead of the history"
    for stream in CURSORS:
        final = run.stream_state(stream)
        assert "done" not in final and parse_date(final[CURSORS[stream]]) >= store.now() - timedelta(minutes=10), f"{stream}: {final}"


def test_given_a_long_range_when_synced_then_the_newest_days_are_a_window_of_their_own_and_every_checkpoint_is_exact(store):
    days = newest_days(store)
    # Parallel slices off: the history is then one window (test_parallel_slices checks it sliced).
    run = run_connector("read", config_for(store.base_url, start_date="2015-01-01", newest_first_days=days, parallel_date_slices=False),
                        catalog_for())

    assert_first_sync_exact(run, store)
    # Every date listing asked for its newest days (from the clock less `days`) in a window of their own.
    windows = {}
    for entry in store.request_log():
        path = entry["path"].split("/stores/localstore", 1)[-1]
        low = WINDOWED.get(path)
        if low and low in entry["query"]:
            high = low.replace("min", "max")
            windows.setdefault(path, set()).add((parse_date(entry["query"][low]), parse_date(entry["query"][high])))
    for path in WINDOWED:
        clock = max(end for _, end in windows[path])  # the newest window ends at the store's clock
        assert (clock - timedelta(days=days), clock) in windows[path], f"{path}: no window of the newest {days} days"
        history = [end for start, end in windows[path] if start == parse_date("2015-01-01T00:00:00+00:00")]
        assert history == [clock - timedelta(days=days, seconds=1)], f"{path}: the history window ends where the newest begins"


def test_given_newest_first_off_when_synced_then_one_window_from_the_start_date(store):
    run = run_connector("read", config_for(store.base_url, start_date="2015-01-01", newest_first_days=0, parallel_date_slices=False),
                        catalog_for(["orders"]))

    assert run.exit_code == 0
    windows = {(e["query"]["min_date_modified"], e["query"]["max_date_modified"]) for e in store.request_log()
               if e["path"].endswith("/v2/orders") and "min_date_modified" in e["query"]}
    assert {start for start, _ in windows if start.startswith("2015-01-01")}, "the one window starts at the start date"
    assert len({end for _, end in windows}) == 1, "and ends at the clock"
    assert not any(s.get("stream", {}).get("stream_state", {}).get("done") for s in run.states)


def test_given_a_sync_killed_after_its_newest_days_when_resumed_then_they_are_not_read_again_and_the_union_is_exact():
    with LocalStore(seed=11, scale=0.5, latency_ms=3) as store, tempfile.TemporaryDirectory() as folder:
        days = newest_days(store)
        settings = config_for(store.base_url, start_date="2015-01-01", newest_first_days=days, num_workers=2)
        streams = ["orders", "transactions", "order_products", "products", "customers"]
        config, catalog = Path(folder, "config.json"), Path(folder, "catalog.json")
        config.write_text(json.dumps(settings))
        catalog.write_text(json.dumps(catalog_for(streams)))
        process = subprocess.Popen([EXECUTABLE, "read", "--config", str(config), "--catalog", str(catalog)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        first, states, dates, ahead = [], {}, {name: [] for name in streams}, []

        def ahead_with_records():  # streams whose state holds a stretch read ahead that some emitted record lies in
            found = []
            for name, state in states.items():
                done = state["stream"]["stream_state"].get("done") or []
                if any(parse_date(a) <= d < parse_date(b) for a, b in done for d in dates[name]):
                    found.append(name)
            return found

        for line in process.stdout:
            message = json.loads(line)
            first.append(message)
            if message["type"] == "RECORD":
                stream = message["record"]["stream"]
                dates[stream].append(parse_date(message["record"]["data"][SPECS[stream].cursor]))
            elif message["type"] == "STATE":
                states[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
                ahead = ahead_with_records()
                if len(ahead) >= 2:
                    process.send_signal(signal.SIGKILL)  # two streams hold a stretch read ahead of their history
                    break
        process.wait()
        assert len(ahead) >= 2, "the sync ended before two streams checkpointed records of their newest days"
        second = run_connector("read", settings, catalog_for(streams), state=list(states.values()))
        expected = expected_records(store, start_date="2015-01-01")

    assert second.exit_code == 0
    emitted_first = {}
    for message in first:
        if message["type"] == "RECORD":
            emitted_first.setdefault(message["record"]["stream"], []).append(message["record"]["data"])
    for stream in streams:
        union = {**by_key(stream, emitted_first.get(stream, [])), **by_key(stream, second.records[stream])}
        assert union == expected[stream], f"{stream}: lost across the kill"
    for stream in ahead:
        cursor = SPECS[stream].cursor
        covers = covered_by(states[stream]["stream"]["stream_state"], cursor)
        again = [key_of(stream, r) for r in second.records[stream] if covers(parse_date(r[cursor]))]
        assert not again, f"{stream}: {len(again)} records the state covered were read again"
