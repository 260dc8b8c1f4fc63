"""Faults, bad input, interruption and secrets, through the CLI against the local store (and, where retries
would take minutes of real waiting, in-process with the CDK's sleep patched)."""

import json
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from local_store import LocalStore
from source_bigcommerce.dates import parse_date

from .connector import EXECUTABLE, STREAMS, catalog_for, config_for, run_connector
from .expectations import SPECS, by_key, expected_records

SECRET = "s3cr3t-T0KEN-do-not-print"




def since_state(truth, run):
    """What an incremental sync from `run`'s final state must emit: records at or after each stream's state."""
    expected = {}
    for stream, records in truth.items():
        cursor = SPECS[stream].cursor if stream in SPECS else None
        state = (run.stream_state(stream) or {}).get(cursor or "-")
        if state:
            expected[stream] = {k: r for k, r in records.items() if parse_date(r[cursor]) >= parse_date(state)}
        else:
            expected[stream] = records
    return expected


def test_given_5xx_drops_and_truncated_bodies_when_full_then_incremental_sync_then_exactly_the_ground_truth():
    with LocalStore(seed=5, scale=0.15, fault_5xx=0.05, fault_drop=0.01, fault_truncate=0.01, fault_seed=11) as store:
        full = run_connector("read", config_for(store.base_url), catalog_for())
        faults_in_full = store.stats()["faults"]
        before = expected_records(store)  # what the full sync could see, before the edits below
        for key in sorted(store.data.records["orders"])[-5:]:
            store.touch("orders", key)
        store.touch("customers", sorted(store.data.records["customers"])[0])
        incremental = run_connector("read", config_for(store.base_url), catalog_for(), state=full.final_state())
        faults_in_incremental = store.stats()["faults"] - faults_in_full
        truth = expected_records(store)

    assert faults_in_full >= 10, "the local store should have injected faults"
    assert full.exit_code == 0 and incremental.exit_code == 0, full.stderr[-2000:]
    for stream in STREAMS:
        assert len(full.records[stream]) == len(by_key(stream, full.records[stream])), f"{stream}: doubled under faults"
        assert by_key(stream, full.records[stream]) == before[stream], f"{stream}: lost or mangled under faults"
    wanted = since_state(truth, full)
    for stream in STREAMS:
        assert by_key(stream, incremental.records[stream]) == wanted[stream], f"{stream}: incremental under faults"
    assert faults_in_incremental >= 1, "the incremental sync must meet faults too"


def test_given_one_resource_always_failing_when_synced_then_that_stream_fails_and_the_others_sync(store):
    store.options.broken_routes = {"/v3/catalog/categories": 422}

    run = run_connector("read", config_for(store.base_url), catalog_for())

    assert run.exit_code != 0, "the exit code must say the sync failed"
    [error] = [e for e in run.errors() if (e.get("stream_descriptor") or {}).get("name") == "categories"]
    assert error["failure_type"] == "system_error"
    assert "categories" in error["message"] and "422" in error["message"]
    expected = expected_records(store)
    for stream in set(STREAMS) - {"categories"}:
        assert by_key(stream, run.records[stream]) == expected[stream], stream
    assert "Traceback" not in run.stderr


def test_given_transient_outage_when_retries_run_out_then_stream_fails_as_transient_and_others_sync(store, no_backoff_sleep):
    """In-process, so the CDK's backoff sleeps can be skipped; the retry policy itself is the shipped one."""
    from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer
    from airbyte_cdk.test.entrypoint_wrapper import read

    from source_bigcommerce.source import SourceBigCommerce

    store.options.broken_routes = {"/v3/catalog/brands": 503}
    config = config_for(store.base_url)
    catalog = ConfiguredAirbyteCatalogSerializer.load(catalog_for(["brands", "pages", "store"]))

    output = read(SourceBigCommerce(catalog, config, None), config, catalog)

    errors = [m.trace.error for m in output.errors]
    brand_errors = [e for e in errors if e.stream_descriptor and e.stream_descriptor.name == "brands"]
    assert brand_errors and brand_errors[0].failure_type.value == "transient_error"
    assert "brands" in brand_errors[0].message and "503" in brand_errors[0].message
    emitted = {m.record.stream for m in output.records}
    assert {"pages", "store"} <= emitted
    brand_requests = [e for e in store.request_log() if e["path"].endswith("/v3/catalog/brands")]
    assert len(brand_requests) == 9, "one try and eight retries, then give up"


@pytest.mark.parametrize("kill_after", [150, 700, 1500])
def test_given_sync_killed_when_rerun_from_its_last_state_then_union_is_the_ground_truth(kill_after):
    # As Airbyte runs it: the catalog names the sync (`sync_id`), so the full-refresh streams resume too.
    with LocalStore(seed=9, scale=0.25, latency_ms=2) as store:
        first, states = _killed_after(config_for(store.base_url), catalog_for(sync_id=41), kill_after)
        second = run_connector("read", config_for(store.base_url), catalog_for(sync_id=41), state=list(states.values()))
        expected = expected_records(store)

    assert second.exit_code == 0
    emitted_first = {}
    for message in first:
        if message["type"] == "RECORD":
            emitted_first.setdefault(message["record"]["stream"], []).append(message["record"]["data"])
    for stream in STREAMS:
        union = {**by_key(stream, emitted_first.get(stream, [])), **by_key(stream, second.records[stream])}
        assert union == expected[stream], f"{stream}: lost across the kill"
        before = by_key(stream, emitted_first.get(stream, []))
        # Only what was in flight after the stream's last checkpoint (or before its first) comes again.
        twice, unit = _pages_worth(stream, before, set(before) & set(by_key(stream, second.records[stream])))
        assert twice <= 300, f"{stream}: {twice} {unit} emitted twice"


# Full refreshes that take pages: paged by number, embedded in a dated parent's pages, and streams that
# could sync incrementally (a date keyset, its embedded child, an unsorted listing) read in full.
FULL_REFRESHES = ("customer_addresses", "product_variants", "inventory_items", "product_images", "orders", "order_products",
                  "customer_attribute_values")


def _killed_after(config, catalog, kill_after, when=lambda states: True):
    """A read killed once `kill_after` records are out and `when(last state per stream)` holds: its
    messages and the last state per stream."""
    with tempfile.TemporaryDirectory() as folder:
        config_path, catalog_path = Path(folder, "config.json"), Path(folder, "catalog.json")
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog))
        process = subprocess.Popen([EXECUTABLE, "read", "--config", str(config_path), "--catalog", str(catalog_path)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        first, records, states = [], 0, {}
        for line in process.stdout:
            message = json.loads(line)
            first.append(message)
            records += message["type"] == "RECORD"
            if message["type"] == "STATE":
                states[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
            if records >= kill_after and when(states):
                process.send_signal(signal.SIGKILL)
                break
        process.wait()
    return first, states


@pytest.mark.parametrize("kill_after", [400, 2500, 6000])
def test_given_a_full_refresh_killed_when_an_attempt_of_the_same_sync_resumes_then_at_most_a_page_comes_twice(kill_after):
    with LocalStore(seed=9, scale=1.0, latency_ms=2) as store:
        config = config_for(store.base_url)
        assert all(len(store.data.records[s]) > 500 for s in FULL_REFRESHES), "each stream must take pages"
        # Killed once a checkpoint of this sync is out too: pages of several streams can be out before the first of their checkpoints.
        first, states = _killed_after(config, catalog_for(FULL_REFRESHES, mode="full_refresh", sync_id=41), kill_after,
                                      when=lambda states: any(s["stream"]["stream_state"].get("sync_id") == 41 for s in states.values()))
        attempt = run_connector("read", config, catalog_for(FULL_REFRESHES, mode="full_refresh", sync_id=41), state=list(states.values()))
        next_sync = run_connector("read", config, catalog_for(FULL_REFRESHES, mode="full_refresh", sync_id=42), state=attempt.final_state())
        expected = expected_records(store)

    assert attempt.exit_code == 0 and next_sync.exit_code == 0, attempt.errors() + next_sync.errors()
    assert any(s["stream"]["stream_state"].get("sync_id") == 41 for s in states.values()), "the killed read checkpointed"
    for stream in FULL_REFRESHES:
        before, after = by_key(stream, _emitted(first, stream)), by_key(stream, attempt.records[stream])
        assert {**before, **after} == expected[stream], f"{stream}: lost across the kill"
        twice, unit = _pages_worth(stream, before, set(before) & set(after))
        assert twice <= 250, f"{stream}: {twice} {unit} emitted twice"
        assert attempt.stream_state(stream)["sync_id"] == 41
        # A new sync replaces the table: it reads everything, whatever state the platform hands it.
        assert by_key(stream, next_sync.records[stream]) == expected[stream], f"{stream}: the next sync did not read it whole"
        assert len(next_sync.records[stream]) == len(expected[stream])


def _pages_worth(stream, records, keys):
    """How much of a page the records under `keys` make: their count, or for a child taken from its
    parents' pages (order products, product images), the count of parents they belong to, since one
    page of the parents' listing holds 250 parents with all their children."""
    spec = SPECS[stream]
    if spec.embedded is None:
        return len(keys), "records"
    parent_field = next(field for field, source in spec.parent_fields.items() if source == "id")
    return len({records[key][parent_field] for key in keys}), f"{spec.parent}' children (in parents)"


def test_given_a_full_refresh_without_a_sync_id_when_rerun_with_its_state_then_it_reads_everything():
    with LocalStore(seed=9, scale=1.0, latency_ms=2) as store:
        config = config_for(store.base_url)
        first, states = _killed_after(config, catalog_for(FULL_REFRESHES, mode="full_refresh"), 2500)
        rerun = run_connector("read", config, catalog_for(FULL_REFRESHES, mode="full_refresh"), state=list(states.values()))
        expected = expected_records(store)

    assert rerun.exit_code == 0
    assert not any("resume" in s["stream"]["stream_state"] for s in states.values()), "no page checkpoint to mislead a later sync"
    for stream in FULL_REFRESHES:
        assert by_key(stream, rerun.records[stream]) == expected[stream], stream


UNSORTED = ("customer_attribute_values", "subscribers", "product_metafields")  # page numbers, page numbers, cursor


def _killed_at_a_page_checkpoint(store, kill_after: int, checkpointed=UNSORTED):
    """A sync of UNSORTED killed once `kill_after` records are out and the last state of one of the
    `checkpointed` streams is a page checkpoint (mid-window); returns its messages and the last state per stream."""
    def mid_window(states):
        return any("resume" in states[name]["stream"]["stream_state"] for name in checkpointed if name in states)

    return _killed_after(config_for(store.base_url, start_date="2015-01-01", num_workers=2), catalog_for(UNSORTED), kill_after,
                         when=mid_window)


def _emitted(messages, stream):
    return [m["record"]["data"] for m in messages if m["type"] == "RECORD" and m["record"]["stream"] == stream]


@pytest.mark.parametrize("kill_after", [400, 900, 1400])
def test_given_unsorted_streams_killed_mid_window_when_rerun_from_the_last_state_then_they_resume_at_their_page(kill_after):
    """Streams whose records come in no date order checkpoint where their window's listing stands, page by
    page: a sync killed mid-window resumes at that page, in that window, so at most a page comes twice."""
    with LocalStore(seed=9, scale=2.5, latency_ms=2) as store:
        assert all(len(store.data.records[s]) > 250 for s in UNSORTED), "each listing must take pages"
        first, states = _killed_at_a_page_checkpoint(store, kill_after)
        second = run_connector("read", config_for(store.base_url, start_date="2015-01-01"), catalog_for(UNSORTED),
                               state=list(states.values()))
        expected = expected_records(store, start_date="2015-01-01")

    assert second.exit_code == 0, second.errors()
    resumed = [s for s, state in states.items() if "resume" in state["stream"]["stream_state"]]
    assert resumed, "the kill came mid-window: some stream's last state is a page checkpoint"
    for stream in UNSORTED:
        before, after = by_key(stream, _emitted(first, stream)), by_key(stream, second.records[stream])
        assert {**before, **after} == expected[stream], f"{stream}: lost across the kill"
        if stream in resumed:
            assert len(set(before) & set(after)) <= 250, f"{stream}: more than a page emitted twice"
            assert len(after) < len(expected[stream]), f"{stream}: the resumed sync read its window from the start"
        assert "resume" not in second.stream_state(stream), f"{stream}: the finished window keeps no page checkpoint"


def test_given_a_record_deleted_while_a_page_number_stream_was_stopped_mid_window_when_resumed_then_nothing_shifts_out_of_reach():
    """The deleted record was on page 1, so every later record moved up one place: the resumed read sees the
    listing's count differ from the checkpoint's and reads the window again from page 1."""
    with LocalStore(seed=9, scale=2.5, latency_ms=2) as store:
        by_page_number = ("customer_attribute_values", "subscribers")
        first, states = _killed_at_a_page_checkpoint(store, 400, checkpointed=by_page_number)
        stopped = [s for s in by_page_number
                   if "resume" in states.get(s, {"stream": {"stream_state": {}}})["stream"]["stream_state"]]
        assert stopped, "a page-number stream was stopped at a page checkpoint"
        stream = stopped[0]
        store.delete(stream, min(store.data.records[stream]))
        second = run_connector("read", config_for(store.base_url, start_date="2015-01-01"), catalog_for([stream]),
                               state=[states[stream]])
        expected = expected_records(store, start_date="2015-01-01")[stream]

    assert second.exit_code == 0, second.errors()
    union = {**by_key(stream, _emitted(first, stream)), **by_key(stream, second.records[stream])}
    assert set(expected) <= set(union), f"shifted out of reach: {sorted(set(expected) - set(union))[:5]}"


def test_given_a_selected_stream_whose_scope_is_missing_when_read_then_it_fails_with_a_config_error_and_the_rest_sync():
    from .test_check_discover import ALL_SCOPES

    with LocalStore(seed=7, scale=0.1, tokens={"narrow": ALL_SCOPES - {"store_v2_transactions_read_only"}}) as store:
        run = run_connector("read", config_for(store.base_url, access_token="narrow"), catalog_for())
        expected = expected_records(store)
        transaction_requests = [e for e in store.request_log() if e["path"].endswith("/transactions")]

    assert run.exit_code != 0, "a selected stream that cannot be read is not a success"
    errors = [e for e in run.errors() if (e.get("stream_descriptor") or {}).get("name") == "transactions"]
    assert errors and all(e["failure_type"] == "config_error" and "store_v2_transactions_read_only" in e["message"] for e in errors)
    statuses = [m["trace"]["stream_status"] for m in run.of_type("TRACE") if m["trace"].get("type") == "STREAM_STATUS"]
    assert {"stream_descriptor": {"name": "transactions"}, "status": "INCOMPLETE"} in [
        {"stream_descriptor": s["stream_descriptor"], "status": s["status"]} for s in statuses]
    assert run.records["transactions"] == []
    assert len(transaction_requests) <= 12, "one 403 is enough to stop asking"
    for stream in set(STREAMS) - {"transactions"}:
        assert by_key(stream, run.records[stream]) == expected[stream], stream
    # and what was read before the sync's closing error went out whole: each other stream's last
    # record is followed by a STATE of its own and its COMPLETE status
    for stream in set(STREAMS) - {"transactions"}:
        positions = [i for i, m in enumerate(run.messages) if m["type"] == "RECORD" and m["record"]["stream"] == stream]
        after = run.messages[(positions[-1] if positions else -1) + 1:]
        assert any(m["type"] == "STATE" and m["state"]["stream"]["stream_descriptor"]["name"] == stream for m in after), stream
        assert any(m["type"] == "TRACE" and m["trace"].get("type") == "STREAM_STATUS" and m["trace"]["stream_status"]["status"] == "COMPLETE"
                   and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream for m in after), stream


@pytest.mark.parametrize(
    "overrides, says",
    [
        ({"access_token": "wrong"}, "rejected the access token (401)"),
        ({"store_hash": "unknown"}, "does not know this store (404)"),
    ],
)
def test_given_bad_credentials_when_read_then_config_error_saying_what_to_fix(store, overrides, says):
    run = run_connector("read", config_for(store.base_url, **overrides), catalog_for(["orders", "brands"]))

    assert run.exit_code != 0
    errors = run.errors()
    assert errors and all(e["failure_type"] == "config_error" for e in errors)
    assert any(says in e["message"] for e in errors)
    assert "Traceback" not in run.stdout + run.stderr, "a config error's fix is in its message: no traceback in logs or traces"


# Every bad value is refused the same way (unit_tests/test_config.py tries them all in-process);
# through the CLI: one oversized value each, before any request, without a traceback anywhere.
OVERSIZED = [
    ({"access_token": "t" * 20_000}, "`access_token` is 20000 characters long"),
    ({"store_hash": "a" * 5_000}, "`store_hash` is 5000 characters long"),
]


@pytest.mark.parametrize("overrides, says", OVERSIZED, ids=["huge token", "huge store hash"])
def test_given_oversized_config_when_check_or_read_then_config_error_before_any_request_and_no_traceback(store, overrides, says):
    config = config_for(store.base_url, **overrides)

    check = run_connector("check", config)
    read = run_connector("read", config, catalog_for(["brands"]))

    [status] = check.of_type("CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED" and says in status["connectionStatus"]["message"]
    assert read.exit_code != 0
    assert [e["failure_type"] for e in read.errors()] == ["config_error"] and says in read.errors()[0]["message"]
    assert "Traceback" not in check.stdout + check.stderr + read.stdout + read.stderr
    assert store.stats()["requests"] == 0


def test_given_missing_field_when_read_then_config_error_naming_it(store):
    config = config_for(store.base_url)
    del config["store_hash"]

    run = run_connector("read", config, catalog_for(["brands"]))

    assert run.exit_code != 0 and "store_hash" in run.errors()[0]["message"]
    assert store.stats()["requests"] == 0


def test_given_future_start_date_when_read_then_warns_and_emits_no_incremental_records(store):
    run = run_connector("read", config_for(store.base_url, start_date="2999-01-01"), catalog_for(["orders", "customers", "brands"]))

    assert run.exit_code == 0
    assert any("in the future" in m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] == "WARN")
    assert run.records["orders"] == [] and run.records["customers"] == [] and run.records["brands"]


SAMPLE = ("customers", "orders", "order_products", "transactions", "products", "store", "product_metafields")  # retries sleep for real


def test_the_token_never_appears_in_any_output():
    with LocalStore(seed=2, scale=0.05, tokens={SECRET: None}, fault_5xx=0.1, fault_drop=0.05, fault_truncate=0.05) as store:
        good = config_for(store.base_url, access_token=SECRET)
        outputs = [
            run_connector("check", good),
            run_connector("discover", good),
            run_connector("read", good, catalog_for(SAMPLE)),
            run_connector("check", config_for(store.base_url, access_token=SECRET, store_hash="nope")),
            run_connector("read", config_for(store.base_url, access_token=SECRET, store_hash="nope"), catalog_for(["orders"])),
            run_connector("read", config_for(store.base_url, access_token=SECRET, start_date="garbage"), catalog_for()),
            run_connector("check", {"store_hash": "x", "access_token": 12345678901, "start_date": "2020-01-01"}),
        ]
        store.options.broken_routes = {"/v3/catalog/brands": 422}
        outputs.append(run_connector("read", good, catalog_for(["brands", "store"])))
        debug = subprocess.run([EXECUTABLE, "read", "--debug", "--config", write(good), "--catalog", write(catalog_for(["orders"]))],
                               capture_output=True, text=True)

    everything = "".join(o.stdout + o.stderr for o in outputs) + debug.stdout + debug.stderr
    assert "Making outbound API request" in debug.stdout + debug.stderr, "debug logging should be on in that run"
    assert SECRET not in everything
    assert "12345678901" not in everything


def write(value) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(value, handle)
    handle.close()
    return handle.name
