"""Deletes that reach the destination (`detect_deletes`): one tombstone per record deleted since the
last sync, none for a live record, and a state that stays small."""

from __future__ import annotations

import json

from source_bigcommerce import id_sets

from .connector import catalog_for, config_for, run_connector
from .expectations import by_key, expected_records

COVERED = ("customers", "orders", "products")


def test_given_records_deleted_between_syncs_when_synced_with_detect_deletes_then_one_tombstone_each(store):
    config = config_for(store.base_url, start_date="2015-01-01", detect_deletes=True)
    catalog = catalog_for([*COVERED, "brands"])
    first = run_connector("read", config, catalog)
    assert first.exit_code == 0, first.errors()
    assert not [r for s in COVERED for r in first.records[s] if "_ab_cdc_deleted_at" in r], "a first scan has nothing to compare"

    deleted = {"customers": sorted(store.data.records["customers"])[3:5], "orders": [sorted(store.data.records["orders"])[-1]],
               "products": [sorted(store.data.records["products"])[0]]}
    for stream, keys in deleted.items():
        for key in keys:
            store.delete(stream, key)
    second = run_connector("read", config, catalog, state=first.final_state())

    assert second.exit_code == 0, second.errors()
    expected = expected_records(store, start_date="2015-01-01")
    for stream in COVERED:
        tombstones = [r for r in second.records[stream] if r.get("_ab_cdc_deleted_at")]
        assert sorted(r["id"] for r in tombstones) == deleted[stream], f"{stream}: one tombstone per deleted record, none for a live one"
        assert all(set(r) == {"id", "date_modified", "_ab_cdc_deleted_at"} and r["date_modified"] == r["_ab_cdc_deleted_at"] for r in tombstones)
        live = by_key(stream, [r for r in second.records[stream] if not r.get("_ab_cdc_deleted_at")])
        assert all(live[k] == expected[stream][k] for k in live), f"{stream}: a live record changed"
        ids = id_sets.decode(second.stream_state(stream)["ids"])
        assert set(ids) == set(store.data.records[stream]), f"{stream}: the state's ids are not the store's"
    third = run_connector("read", config, catalog, state=second.final_state())
    assert not [r for s in COVERED for r in third.records[s] if r.get("_ab_cdc_deleted_at")], "a delete is reported once"


def test_given_detect_deletes_off_then_no_id_listing_and_no_ids_in_the_state(store):
    run = run_connector("read", config_for(store.base_url), catalog_for(COVERED))

    assert run.exit_code == 0
    assert all("ids" not in (run.stream_state(s) or {}) for s in COVERED)
    assert not [e for e in store.request_log() if "min_id" in e["query"] or "include_fields" in e["query"]]


def test_given_a_million_ids_when_encoded_then_the_state_stays_under_a_megabyte():
    ids, value = [], 100
    for n in range(1_000_000):  # BigCommerce's ids grow one by one, with a gap now and then (deleted records)
        value += 1 + (n % 37 == 0) * (n % 5)
        ids.append(value)
    text = id_sets.encode(ids)
    assert len(json.dumps({"ids": text})) < 1_000_000
    assert list(id_sets.decode(text)) == ids


def test_given_records_deleted_while_a_sync_runs_when_synced_again_then_every_one_it_emitted_gets_its_tombstone():
    from local_store import LocalStore

    with LocalStore(seed=6, scale=0.5, delete_every=2) as store:
        config = config_for(store.base_url, start_date="2015-01-01", detect_deletes=True)
        first = run_connector("read", config, catalog_for(COVERED))
        store.options.delete_every = None
        deleted = list(store.deleted)
        second = run_connector("read", config, catalog_for(COVERED), state=first.final_state())

    assert first.exit_code == 0 and second.exit_code == 0, (first.errors(), second.errors())
    assert len(deleted) >= 4, deleted
    for stream in COVERED:
        gone = {key for name, key in deleted if name == stream}
        emitted = {r["id"] for r in first.records[stream]}
        tombstones = [r["id"] for r in second.records[stream] if r.get("_ab_cdc_deleted_at")]
        assert len(tombstones) == len(set(tombstones)) and set(tombstones) <= gone, f"{stream}: a live record got a tombstone"
        assert gone & emitted <= set(tombstones), f"{stream}: a record the first sync emitted, then deleted, stays downstream"


def test_given_a_record_emitted_then_deleted_before_the_scan_reaches_it_when_synced_again_then_it_gets_its_tombstone():
    from local_store import LocalStore

    import threading
    import time

    window_asked = threading.Event()

    def delete_when_the_scan_starts(store, template, query):
        # The window's read and the scan run side by side: hold the scan until the window's page is on
        # its way, then delete the customer that page holds first. The scan never sees it.
        if template != "/v3/customers":
            return
        if "date_modified:min" in query:
            window_asked.set()
        elif not store.deleted:
            assert window_asked.wait(10), "the window's read never started"
            time.sleep(0.5)  # its page is rendered and sent meanwhile (the store answers in parallel)
            oldest = min(store.data.records["customers"].values(), key=lambda c: (c["date_modified"], c["id"]))
            with store.lock:
                store.data.delete("customers", oldest["id"])
            store.deleted.append(("customers", oldest["id"]))

    with LocalStore(seed=6, scale=0.25, before_answer=delete_when_the_scan_starts) as store:
        config = config_for(store.base_url, start_date="2015-01-01", detect_deletes=True, num_workers=2)
        first = run_connector("read", config, catalog_for(["customers"]))
        second = run_connector("read", config, catalog_for(["customers"]), state=first.final_state())

    [(_, gone)] = store.deleted
    assert gone in {r["id"] for r in first.records["customers"]}, "the first sync emitted it before it was deleted"
    assert [r["id"] for r in second.records["customers"] if r.get("_ab_cdc_deleted_at")] == [gone]
