"""State that can be trusted and failures that end: the settling bound, the store's clock, records out
of order, page shifts under deletes, and requests that die by exception.

In-process through airbyte-cdk's `entrypoint_wrapper`, against the local store (real HTTP) or, for
answers the local store never gives, against airbyte-cdk's `HttpMocker`.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse

from local_store import LocalStore
from source_bigcommerce.cursors import SETTLING_TIME
from source_bigcommerce.dates import format_date, parse_date
from source_bigcommerce.source import SourceBigCommerce

from .connector import catalog_for, config_for, run_connector
from .expectations import by_key, expected_records, without_top_level_nulls

UTC = timezone.utc


def sync(config, streams, state=None, mode="incremental"):
    catalog = ConfiguredAirbyteCatalogSerializer.load(catalog_for(streams, mode=mode))
    return read(SourceBigCommerce(catalog, config, state), config, catalog, state)


def last_state(output, stream):
    states = [m.state for m in output.state_messages if m.state.stream.stream_descriptor.name == stream]
    return states[-1].stream.stream_state.__dict__ if states else None


def test_given_one_worker_and_a_stream_whose_every_answer_drops_when_synced_then_it_fails_the_others_finish_and_the_sync_ends(
        store, no_backoff_sleep):
    store.options.dropping_routes = frozenset({"/v3/catalog/brands"})
    output = sync(config_for(store.base_url, num_workers=1), ["brands", "pages", "store", "categories"], mode="full_refresh")

    errors = [m.trace.error for m in output.errors]
    assert [e.stream_descriptor.name for e in errors if e.stream_descriptor] == ["brands"]
    assert errors[0].failure_type.value == "transient_error" and "brands" in errors[0].message
    assert {m.record.stream for m in output.records} == {"pages", "store", "categories"}
    brand_requests = [e for e in store.request_log() if e["path"].endswith("/v3/catalog/brands")]
    assert len(brand_requests) == 9, "one try and eight retries, each a dropped connection"


def test_given_a_record_edited_a_minute_ago_when_synced_then_the_state_still_keeps_the_settling_allowance(store):
    order_id = next(iter(store.data.records["orders"]))
    store.touch("orders", order_id)  # its date_modified is the store's "now"

    output = sync(config_for(store.base_url), ["orders"])

    assert order_id in {m.record.data["id"] for m in output.records}
    state = parse_date(last_state(output, "orders")["date_modified"])
    assert state <= store.now() - SETTLING_TIME, f"state {state} gives the newest records no settling allowance"


def test_given_a_store_clock_an_hour_behind_the_host_when_synced_twice_then_an_edit_between_them_is_read():
    with LocalStore(seed=7, scale=0.25, strict=True, clock_offset_seconds=-3600) as store:
        config = config_for(store.base_url)
        first = sync(config, ["orders"])
        state = last_state(first, "orders")
        assert parse_date(state["date_modified"]) <= store.now() - SETTLING_TIME, "the window must end at the store's clock"

        edited = store.touch("orders", next(iter(store.data.records["orders"])))
        second = sync(config, ["orders"], state=_state_list(first))

        assert edited["id"] in {m.record.data["id"] for m in second.records}, "an edit made after the first sync was skipped"


def _state_list(output):
    latest = {}
    for message in output.state_messages:
        latest[message.state.stream.stream_descriptor.name] = message.state
    return list(latest.values())


BASE = "https://api.bigcommerce.com/stores/abc123"
# A start date 12 days before the clock: the sync's range is one window (under the newest-first 15 days).
CONFIG = {"store_hash": "abc123", "access_token": "t0ken", "start_date": "2024-05-20T12:00:00Z"}
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _time(http_mocker):
    http_mocker.get(HttpRequest(f"{BASE}/v2/time"), HttpResponse(json.dumps({"time": int(NOW.timestamp())})))


def _order(oid, moment):
    return {"id": oid, "date_modified": moment.strftime("%a, %d %b %Y %H:%M:%S +0000"), "date_created": "", "date_shipped": ""}


def test_given_orders_answered_out_of_date_order_when_synced_then_the_stream_fails_and_the_state_stays_behind():
    with HttpMocker() as http_mocker:
        _out_of_order(http_mocker)


def _out_of_order(http_mocker):
    _time(http_mocker)
    late, early = NOW - timedelta(days=2), NOW - timedelta(days=9)
    http_mocker.get(HttpRequest(f"{BASE}/v2/orders", query_params={
        "limit": "250", "min_date_modified": "2024-05-20T12:00:00+00:00", "max_date_modified": format_date(NOW),
        "sort": "date_modified:asc"}), HttpResponse(json.dumps([_order(1, early), _order(2, late), _order(3, early)])))

    output = sync(CONFIG, ["orders"])

    errors = [m.trace.error for m in output.errors]
    assert errors and "out of date order" in errors[0].message and errors[0].failure_type.value == "system_error"
    state = last_state(output, "orders") or {}
    assert not state.get("date_modified") or parse_date(state["date_modified"]) <= early, "state moved past records not read"


def test_given_a_brand_deleted_between_pages_when_synced_then_the_next_page_starts_after_the_last_id_read():
    with HttpMocker() as http_mocker:
        _deleted_between_pages(http_mocker)


def _deleted_between_pages(http_mocker):
    first_page = [{"id": i, "name": f"b{i}"} for i in range(1, 251)]
    http_mocker.get(HttpRequest(f"{BASE}/v3/catalog/brands", query_params={"limit": "250"}),
                    HttpResponse(json.dumps({"data": first_page, "meta": {"pagination": {"total": 300, "current_page": 1, "total_pages": 2}}})))
    # Brand 3 was deleted meanwhile: by page number, page 2 would now start at id 252 and skip 251.
    http_mocker.get(HttpRequest(f"{BASE}/v3/catalog/brands", query_params={"limit": "250", "id:greater": "250"}),
                    HttpResponse(json.dumps({"data": [{"id": i, "name": f"b{i}"} for i in range(251, 301)],
                                             "meta": {"pagination": {"total": 49, "current_page": 1, "total_pages": 1}}})))

    output = sync(CONFIG, ["brands"], mode="full_refresh")

    assert not output.errors
    assert [m.record.data["id"] for m in output.records] == list(range(1, 301))


def test_given_a_full_sync_through_the_cli_then_null_fields_arrive_as_keys_with_null(store):
    run = run_connector("read", config_for(store.base_url), catalog_for(["orders", "transactions", "products"], mode="full_refresh"))
    expected = expected_records(store)
    for stream in ("orders", "transactions", "products"):
        got = by_key(stream, run.records[stream])
        nulls = sum(value is None for record in got.values() for value in record.values())
        assert nulls > 0, f"{stream}: no top-level null arrived"
        assert got == expected[stream], f"{stream}: every key BigCommerce sends must arrive, nulls included"


def test_given_one_orders_transactions_always_failing_when_synced_then_the_rest_completes_and_the_state_stays_before_it(
        store, no_backoff_sleep):
    orders = sorted(store.data.records["orders"].values(), key=lambda o: (o["date_modified"], o["id"]))
    in_range = [o for o in orders if o["date_modified"] >= "2020-01-01"]
    failing = in_range[len(in_range) // 2]
    store.options.broken_paths = {f"/v3/orders/{failing['id']}/transactions": 503}

    output = sync(config_for(store.base_url), ["transactions", "orders", "brands"])

    errors = [m.trace.error for m in output.errors]
    named = [e for e in errors if e.stream_descriptor and e.stream_descriptor.name == "transactions"]
    assert named and f"/orders/{failing['id']}/transactions" in named[0].message and "503" in named[0].message
    expected = {s: without_top_level_nulls(r) for s, r in expected_records(store).items()}  # in-process: the CDK's serializer
    got = by_key("transactions", [m.record.data for m in output.records if m.record.stream == "transactions"])
    assert got == {k: r for k, r in expected["transactions"].items() if r["order_id"] != failing["id"]}, "every other order's transactions"
    assert {m.record.stream for m in output.records} >= {"orders", "brands"}
    state = last_state(output, "transactions")
    assert state is None or parse_date(state["order_date_modified"]) <= parse_date(failing["date_modified"]), \
        "the state moved past an order whose transactions were not read"


BAD_REQUEST = json.dumps({"status": 400, "title": "Bad Request"})


def test_given_a_token_answered_400_when_checked_then_the_failure_names_access_token():
    with HttpMocker() as http_mocker:
        http_mocker.get(HttpRequest(f"{BASE}/v2/time"), HttpResponse(BAD_REQUEST, 400))

        status = SourceBigCommerce(None, CONFIG, None).check(logging.getLogger("airbyte"), CONFIG)

    assert status.status.value == "FAILED"
    assert "(400 Bad Request)" in status.message and "`access_token`" in status.message


def test_given_a_token_answered_400_when_read_then_a_config_error_names_access_token_and_no_log_holds_a_traceback():
    logged = []

    class Keep(logging.Handler):
        def emit(self, record):
            logged.append(record)

    keep = Keep()
    logging.getLogger("airbyte").addHandler(keep)  # sees what the logger's filters let through, as written
    try:
        with HttpMocker() as http_mocker:
            _time(http_mocker)
            http_mocker.get(HttpRequest(f"{BASE}/v3/catalog/brands", query_params={"limit": "250"}), HttpResponse(BAD_REQUEST, 400))

            output = sync(CONFIG, ["brands"], mode="full_refresh")
    finally:
        logging.getLogger("airbyte").removeHandler(keep)

    [error] = [m.trace.error for m in output.errors if m.trace.error.stream_descriptor]
    assert error.failure_type.value == "config_error" and "`access_token`" in error.message and "brands" in error.message
    [failure] = [r for r in logged if r.getMessage().startswith("Exception while syncing stream brands")]
    assert "`access_token`" in failure.getMessage() and failure.exc_info is None, "the fix in the message, no traceback"


def test_given_a_page_number_listing_whose_count_never_settles_when_synced_then_five_passes_then_a_transient_error_and_no_state_move():
    with HttpMocker() as http_mocker:
        _time(http_mocker)
        window = {"date_modified:min": "2024-05-20T12:00:00+00:00", "date_modified:max": format_date(NOW), "limit": "250"}

        def page(number, total):
            records = [{"id": i, "email": f"s{i}@example.com", "date_modified": "2024-05-25T00:00:00Z"}
                       for i in range(250 * (number - 1) + 1, min(250 * number, total) + 1)]
            return HttpResponse(json.dumps({"data": records, "meta": {"pagination": {
                "total": total, "count": len(records), "per_page": 250, "current_page": number, "total_pages": 2}}}))

        # Every pass: 300 subscribers at page 1, one fewer by page 2 (someone keeps editing them).
        http_mocker.get(HttpRequest(f"{BASE}/v3/customers/subscribers", query_params={**window, "page": "1"}),
                        [page(1, 300 - 2 * n) for n in range(5)])
        http_mocker.get(HttpRequest(f"{BASE}/v3/customers/subscribers", query_params={**window, "page": "2"}),
                        [page(2, 299 - 2 * n) for n in range(5)])

        output = sync(CONFIG, ["subscribers"])

    [error] = [m.trace.error for m in output.errors if m.trace.error.stream_descriptor]
    assert error.failure_type.value == "transient_error" and "subscribers" in error.message and "5 passes" in error.message
    ids = [m.record.data["id"] for m in output.records]
    assert sorted(ids) == list(range(1, 300)), "each record once, whatever the passes"
    assert not (last_state(output, "subscribers") or {}).get("date_modified"), "the state did not move"


def test_given_a_429_when_read_then_the_wait_is_said_with_its_quota_reset_and_nothing_is_printed_around_the_protocol(capsys):
    with HttpMocker() as http_mocker:
        _time(http_mocker)
        brands = {"data": [{"id": 1, "name": "b1"}], "meta": {"pagination": {"total": 1, "current_page": 1, "total_pages": 1}}}
        http_mocker.get(HttpRequest(f"{BASE}/v3/catalog/brands", query_params={"limit": "250"}), [
            HttpResponse(json.dumps({"status": 429, "title": "Too many requests"}), 429,
                         {"X-Rate-Limit-Time-Reset-Ms": "20", "X-Rate-Limit-Requests-Quota": "150",
                          "X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Window-Ms": "30000"}),
            HttpResponse(json.dumps(brands)),
        ])

        output = sync(CONFIG, ["brands"], mode="full_refresh")

    assert [m.record.data["id"] for m in output.records] == [1] and not output.errors
    waits = [m.trace.stream_status for m in output.trace_messages
             if m.trace.type.value == "STREAM_STATUS" and any(r.type.value == "RATE_LIMITED" for r in m.trace.stream_status.reasons or [])]
    assert waits and all(w.reasons[0].rate_limited and w.reasons[0].rate_limited.quota_reset for w in waits)
    assert "RATE_LIMITED" not in capsys.readouterr().out, "the CDK's own status, without quota_reset, printed past the protocol"


def test_given_an_order_child_read_per_order_then_a_checkpoint_follows_about_every_50_orders():
    with LocalStore(seed=1, scale=1) as store:
        orders = list(store.data.records["orders"].values())
        output = sync(config_for(store.base_url, start_date="2015-01-01"), ["transactions"])

    states = [m for m in output.state_messages if m.state.stream.stream_descriptor.name == "transactions"]
    assert len(orders) >= 1000, "enough orders for the checkpoints to count"
    # A checkpoint is due after 6 partitions of 8 orders and goes out when the state moved (partitions
    # finish out of order, so some due ones have nothing new): more than one per 100 orders.
    assert len(states) >= len(orders) // 100, f"{len(states)} checkpoints for {len(orders)} orders"
