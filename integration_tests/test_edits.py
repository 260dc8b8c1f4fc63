"""Edits between syncs reach the destination: every resource a merchant can edit in the local store,
edited once after a first sync, arrives with its new values in the next (incremental where offered)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from local_store import LocalStore
from local_store.resources import RESOURCES

from .connector import catalog_for, config_for, run_connector
from .expectations import SPECS, _visible, by_key, expected_records, key_of

EDITABLE = [r.name for r in RESOURCES if r.edit is not None and r.name in SPECS]


def latest_state(run):
    return run.final_state()


def test_given_one_edit_in_every_editable_resource_when_synced_again_then_each_edit_arrives(store):
    config, catalog = config_for(store.base_url, start_date="2015-01-01"), catalog_for(EDITABLE)
    first = run_connector("read", config, catalog)
    assert first.exit_code == 0, first.errors()

    # The last variant: its product is not the one the products edit below touches.
    variant_id = list(store.data.records["product_variants"])[-1] if "product_variants" in EDITABLE else None
    product_id = store.data.records["product_variants"][variant_id]["product_id"] if variant_id is not None else None
    product_before = store.data.records["products"][product_id]["date_modified"] if product_id is not None else None
    edited = {}
    for name in EDITABLE:
        visible = _visible(name)
        key = variant_id if name == "product_variants" else next(k for k, r in store.data.records[name].items() if visible(r))
        edited[name] = store.touch(name, key)
    variant = edited.get("product_variants")
    second = run_connector("read", config, catalog, state=latest_state(first))

    assert second.exit_code == 0, second.errors()
    expected = expected_records(store, start_date="2015-01-01")
    for name, record in edited.items():
        key = key_of(name, record)
        got = by_key(name, second.records[name])
        assert key in got, f"{name}: the record edited after the first sync did not arrive"
        assert got[key] == expected[name][key], f"{name}: the edit arrived with other values than the store holds"
    assert len(EDITABLE) >= 8, EDITABLE
    if variant is not None:  # a variant edit leaves its product's date_modified alone, and still arrives
        assert store.data.records["products"][product_id]["date_modified"] == product_before
        assert by_key("product_variants", second.records["product_variants"])[variant["id"]]["price"] == variant["price"]


@pytest.mark.parametrize("stream, path, act", [
    ("customer_attribute_values", "/v3/customers/attribute-values", "touch"),  # an edit moves it out of the sync's window
    ("product_variants", "/v3/catalog/variants", "delete"),
])
def test_given_a_record_of_page_one_gone_before_page_two_when_paged_by_number_then_no_record_shifts_out_of_reach(stream, path, act):
    """Page 2 is asked for after a record of page 1 left the listing: every record behind it moved up one
    place, and the first of page 2 now ends page 1. The connector sees the listing's count change and reads
    it again for what moved; each record arrives once."""
    gone = []

    def act_before_page_two(store, template, query):
        if template == path and query.get("page") == "2" and not gone:
            first = min(store.data.records[stream])
            with store.lock:
                # An edit stamped past the window's end (the sync's start, to the second) leaves the window.
                getattr(store.data, act)(stream, first, *([store.now() + timedelta(seconds=5)] if act == "touch" else []))
            gone.append(first)

    with LocalStore(seed=7, scale=0.5, before_answer=act_before_page_two) as store:
        assert len(store.data.records[stream]) > 250, "the listing must take two pages"
        run = run_connector("read", config_for(store.base_url, start_date="2015-01-01"), catalog_for([stream]))
        left = set(store.data.records[stream]) - set(gone)

    assert run.exit_code == 0, run.errors()
    emitted = [r["id"] for r in run.records[stream]]
    assert gone and gone[0] in emitted, "the record was read on page 1 before it left"
    assert len(emitted) == len(set(emitted)), "a record arrived twice"
    assert left <= set(emitted), f"shifted out of reach: {sorted(left - set(emitted))[:5]}"
