"""Edits between syncs reach the destination: every resource a merchant can edit in the local store,
edited once after a first sync, arrives with its new values in the next (incremental where offered)."""

from __future__ import annotations

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
