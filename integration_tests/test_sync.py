"""Whole-connector runs through the CLI against the local store, compared with its ground truth."""

import re
from datetime import datetime, timezone

import jsonschema
import pytest

from local_store import LocalStore
from local_store.resources_orders import reports_empty_line_items
from source_bigcommerce.dates import parse_date

from .connector import STREAMS, catalog_for, config_for, run_connector
from .expectations import SPECS, by_key, CHILDREN, INCREMENTAL, covered_by, expected_records, key_of

CURSORS = {name: spec.cursor for name, spec in SPECS.items() if spec.cursor}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")




def assert_state_never_ahead_of_emitted(run, expected):
    """Replaying the output in order: when a STATE says "everything dated before v (and inside each done
    stretch) is out", every expected record with such a date has already been emitted. Returns how many
    STATE messages held done stretches."""
    emitted = {s: set() for s in STREAMS}
    with_stretches = 0
    for message in run.messages:
        if message["type"] == "RECORD":
            stream = message["record"]["stream"]
            emitted[stream].add(key_of(stream, message["record"]["data"]))
        elif message["type"] == "STATE":
            stream = message["state"]["stream"]["stream_descriptor"]["name"]
            state = message["state"]["stream"].get("stream_state") or {}
            if stream not in CURSORS:
                continue
            with_stretches += bool(state.get("done"))
            covers = covered_by(state, CURSORS[stream])
            behind = [k for k, r in expected[stream].items() if covers(parse_date(r[CURSORS[stream]])) and k not in emitted[stream]]
            assert not behind, f"{stream} state {state} covers unemitted records {behind[:5]}"
    return with_stretches


def test_given_incremental_sync_then_states_never_pass_an_unemitted_record_and_checkpoint_per_page(store):
    run = run_connector("read", config_for(store.base_url, start_date="2015-01-01"), catalog_for())

    assert run.exit_code == 0
    expected = expected_records(store, start_date="2015-01-01")
    assert_state_never_ahead_of_emitted(run, expected)
    orders_states = [s for s in run.states if s["stream"]["stream_descriptor"]["name"] == "orders"]
    assert len(orders_states) >= len(run.records["orders"]) // 250, "orders should checkpoint at least once per page"
    for stream in CURSORS:  # the whole window was read: the state reaches the newest record, or near the sync's start
        newest = max(parse_date(r[CURSORS[stream]]) for r in expected[stream].values())
        final = parse_date(run.stream_state(stream)[CURSORS[stream]])
        assert newest <= final <= datetime.now(tz=timezone.utc), stream


def test_given_changes_after_a_sync_when_incremental_then_changed_and_new_arrive_and_children_cost_scales(store):
    config, catalog = config_for(store.base_url), catalog_for()
    first = run_connector("read", config, catalog)
    assert first.exit_code == 0
    orders = sorted(store.data.records["orders"])
    changed = {
        "orders": {store.touch("orders", k)["id"] for k in orders[:4] + orders[-3:]} | {store.add("orders")["id"] for _ in range(2)},
        "customers": {store.touch("customers", k)["id"] for k in sorted(store.data.records["customers"])[:3]},
        "products": {store.touch("products", k)["id"] for k in sorted(store.data.records["products"])[:3]},
        "channels": {store.touch("channels", 1)["id"]},
    }
    store.reset_stats()

    second = run_connector("read", config, catalog, state=first.final_state())

    assert second.exit_code == 0, second.stderr[-2000:]
    truth = expected_records(store)
    for stream, keys in changed.items():
        got = by_key(stream, second.records[stream])
        assert keys <= set(got), f"{stream}: changed records missing"
        assert all(got[k] == truth[stream][k] for k in keys), f"{stream}: stale version emitted"
    # unchanged records are not re-read beyond the boundary (the group sharing the previous state's second)
    for stream in ("orders", "customers", "products", "channels"):
        boundary = parse_date(first.stream_state(stream)["date_modified"])
        extra = {k for k, r in by_key(stream, second.records[stream]).items() if k not in changed[stream]}
        assert all(parse_date(truth[stream][k]["date_modified"]) == boundary for k in extra), stream
    # children are read for the changed orders (and the boundary order), not for every order
    emitted_orders = {r["order_id"] for r in second.records["order_products"]}
    assert set(changed["orders"]) <= emitted_orders
    read_orders = by_key("orders", second.records["orders"])
    per_order = [e for e in store.request_log() if re.search(r"/v3/orders/\d+/transactions$", e["path"])]
    assert len(per_order) == len(read_orders) == len(changed["orders"]), "one transactions request per changed order, none for the rest"
    fallbacks = [e for e in store.request_log() if re.search(r"/v2/orders/\d+/products$", e["path"])]
    assert len(fallbacks) == sum(1 for k, o in read_orders.items() if reports_empty_line_items(k) and o["items_total"])
    for stream in CHILDREN:
        assert {r["id"] for r in second.records[stream]} >= {k for k, r in truth[stream].items() if r["order_id"] in changed["orders"]}
    # the state advanced
    assert parse_date(second.stream_state("orders")["date_modified"]) > parse_date(first.stream_state("orders")["date_modified"])


def test_given_store_changing_while_syncing_when_synced_twice_then_nothing_lost():
    with LocalStore(seed=3, scale=0.25, change_every=7, shuffle_ties=True) as store:
        config, catalog = config_for(store.base_url), catalog_for()
        started = datetime.now(tz=timezone.utc).replace(microsecond=0)
        before = expected_records(store)
        first = run_connector("read", config, catalog)
        assert first.exit_code == 0, first.stderr[-2000:]
        changes_during_first = store.stats()["changes"]
        store.options.change_every = None
        second = run_connector("read", config, catalog, state=first.final_state())
        assert second.exit_code == 0
        after = expected_records(store)

    assert changes_during_first > 10
    for stream in INCREMENTAL + CHILDREN:
        # a record untouched during the first sync arrives in the first sync
        untouched = {k for k, r in after[stream].items() if before[stream].get(k) == r}
        assert untouched <= set(by_key(stream, first.records[stream])), f"{stream}: skipped during a changing sync"
        # and after the follow-up sync every record is there in its latest version
        latest = {**by_key(stream, first.records[stream]), **by_key(stream, second.records[stream])}
        assert latest == after[stream], f"{stream}: lost or stale after the follow-up sync"
    assert_state_never_ahead_of_emitted(first, after)
    for stream in INCREMENTAL + CHILDREN:  # the window of the first sync ended when it began (the store's clock is the host's here)
        value = (first.stream_state(stream) or {}).get(SPECS[stream].cursor)
        assert value and parse_date(value) <= started, f"{stream}: state {value} is past the moment the sync began"


# One stream of each kind: date keyset, cursor, by id, unpaged, one object, embedded in its parent,
# read per parent (by the parent's window, or by its own), composite keys (the full sync covers every stream).
ONE_OF_EACH_KIND = ("customers", "orders", "order_products", "transactions", "products", "brands", "store", "category_trees",
                    "price_list_records", "shipping_methods", "product_options", "product_metafields", "sites", "inventory_items",
                    "order_refunds")


@pytest.mark.parametrize("stream", ONE_OF_EACH_KIND)
def test_given_one_stream_selected_when_read_then_only_it_is_read(store, stream):
    run = run_connector("read", config_for(store.base_url), catalog_for([stream]))

    assert run.exit_code == 0
    assert set(run.records) == {stream}
    assert by_key(stream, run.records[stream]) == expected_records(store)[stream]


def test_given_sync_then_estimates_from_bigcommerce_totals_and_a_summary_line_per_stream(store):
    run = run_connector("read", config_for(store.base_url), catalog_for())

    expected = expected_records(store)
    estimates = {m["trace"]["estimate"]["name"]: m["trace"]["estimate"]["row_estimate"]
                 for m in run.of_type("TRACE") if m["trace"]["type"] == "ESTIMATE"}
    estimating = [spec.name for spec in SPECS.values() if spec.api_version == "v3" and spec.parent is None and spec.estimates_rows]
    assert estimates == {s: len(expected[s]) for s in estimating}
    summaries = {m["log"]["message"].split(":")[0]: m["log"]["message"] for m in run.of_type("LOG") if m["log"]["message"].startswith("Stream ")}
    for stream in STREAMS:
        assert f"Stream {stream}: {len(run.records[stream])} records" in summaries[f"Stream {stream}"]
    requests_made = sum(int(re.search(r"(\d+) requests", line).group(1)) for line in summaries.values())
    assert requests_made == store.stats()["requests"]


@pytest.mark.timeout(180)
def test_given_one_worker_and_more_orders_than_the_listing_holds_when_synced_then_it_completes_with_the_ground_truth():
    with LocalStore(seed=4, scale=0.6) as store:  # 720 orders: three children list them while the readers work
        run = run_connector("read", config_for(store.base_url, num_workers=1), catalog_for(), timeout=150)
        expected = expected_records(store)
        peak = store.stats()["peak_concurrency"]

    assert run.exit_code == 0
    for stream in STREAMS:
        assert by_key(stream, run.records[stream]) == expected[stream], stream
    assert peak == 1, "one worker: one request on the wire at a time"


@pytest.mark.timeout(180)
def test_given_more_workers_than_a_quota_window_allows_when_synced_then_no_429_and_the_ground_truth():
    # 16 requests may be on the wire at once, but a window allows 12: the budget must hold the rest
    # back from the store's headers, at the start of every window too. Windows of 2 s: the budget dates
    # a request from when it took its call, and a thread held up for a whole window between that and
    # the store counting it (seen with 500 ms windows while CI built the image) can be counted in the
    # wrong window (BigCommerce's windows are 30 s).
    with LocalStore(seed=2, scale=0.04, quota=12, quota_window_ms=2000, latency_ms=10) as store:  # ~60 requests
        run = run_connector("read", config_for(store.base_url, num_workers=16), catalog_for(), timeout=150)
        expected = expected_records(store)
        stats = store.stats()

    assert run.exit_code == 0
    for stream in STREAMS:
        assert by_key(stream, run.records[stream]) == expected[stream], stream
    assert stats["rate_limited"] == 0 and stats["by_status"].get(429, 0) == 0
    assert stats["requests"] > 4 * 12, "the sync spans several windows"
    waits = [m["trace"]["stream_status"] for m in run.of_type("TRACE") if m["trace"]["type"] == "STREAM_STATUS"
             and any(r.get("type") == "RATE_LIMITED" for r in m["trace"]["stream_status"].get("reasons") or [])]
    assert waits, "a stream waiting for the quota window says so"
    assert all(w["status"] == "RUNNING" and w["reasons"][0]["rate_limited"]["quota_reset"] > 1e12 and w["stream_descriptor"]["name"] in STREAMS
               for w in waits)


@pytest.mark.timeout(240)
def test_given_a_full_size_store_when_every_stream_is_synced_then_each_equals_the_ground_truth():
    """Scale 1: past the first page of every paged child (a price list's 250+ records, say)."""
    with LocalStore(seed=1, scale=1.0) as store:
        run = run_connector("read", config_for(store.base_url, start_date="2015-01-01"), catalog_for(mode="full_refresh"), timeout=200)
        expected = expected_records(store, start_date="2015-01-01")

    assert run.exit_code == 0 and run.errors() == [], run.errors()
    for stream in STREAMS:
        assert by_key(stream, run.records[stream]) == expected[stream], stream
    assert max(len(r) for r in expected.values()) > 2500


@pytest.mark.timeout(180)
def test_given_another_app_spending_half_of_every_window_when_synced_then_the_ground_truth_and_no_failure():
    with LocalStore(seed=2, scale=0.04, quota=12, quota_window_ms=500, other_app_share=0.5, initially_spent=9) as store:
        run = run_connector("read", config_for(store.base_url), catalog_for(), timeout=150)
        expected = expected_records(store)

    assert run.exit_code == 0, run.errors()
    for stream in STREAMS:
        assert by_key(stream, run.records[stream]) == expected[stream], stream


def test_given_a_state_saved_by_the_archived_connector_when_synced_then_it_continues_from_those_cursors_and_loses_nothing(store):
    """airbyte-source-bigcommerce 0.2.22 kept per-stream states: `date_modified` in its own ISO formats for
    customers, orders, products and channels; `{}` for pages, brands and categories; `{"states": []}`
    for order_products; `{"__ab_no_cursor_state_message": true}` for store."""
    since = "2022-03-01T00:00:00Z"
    old = {"customers": {"date_modified": "2022-03-01T00:00:00Z"}, "orders": {"date_modified": "2022-03-01 00:00:00+00:00"},
           "products": {"date_modified": "2022-03-01T00:00:00+00:00"}, "channels": {"date_modified": "2022-03-01T00:00:00.000Z"},
           "pages": {}, "brands": {}, "categories": {}, "order_products": {"states": []}, "store": {"__ab_no_cursor_state_message": True}}
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": value}} for name, value in old.items()]
    streams = [*old, "transactions"]

    run = run_connector("read", config_for(store.base_url), catalog_for(streams), state=state)

    assert run.exit_code == 0, run.errors()
    resumed, fresh = expected_records(store, since=parse_date(since)), expected_records(store)
    for name in ("customers", "orders", "products", "channels"):  # from the old cursor on, nothing before it
        assert by_key(name, run.records[name]) == resumed[name], name
    for name in ("pages", "brands", "categories", "store", "order_products", "transactions"):  # no usable cursor: everything
        assert by_key(name, run.records[name]) == fresh[name], name
    assert len(resumed["orders"]) < len(fresh["orders"]), "the old state really narrowed the sync"
