"""What selecting a stream costs, in requests to the local store."""

from __future__ import annotations

import re

import pytest

from source_bigcommerce.streams import CATALOGUE

from .connector import catalog_for, config_for, run_connector

PER_ORDER = [spec for spec in CATALOGUE if spec.per_parent and spec.parent == "orders"]


def per_order_requests(store) -> dict:
    counts: dict = {}
    for entry in store.request_log():
        found = re.search(r"/v[23]/orders/\d+/(\w+)$", entry["path"])
        if found:
            counts[found.group(1)] = counts.get(found.group(1), 0) + 1
    return counts


def test_given_only_orders_selected_then_no_request_per_order(store):
    run = run_connector("read", config_for(store.base_url), catalog_for(["orders", "order_shipping_addresses", "order_fees"]))

    assert run.exit_code == 0 and run.records["orders"] and run.records["order_shipping_addresses"]
    assert per_order_requests(store) == {}, "orders and the children its page embeds cost nothing per order"


@pytest.mark.parametrize("spec", PER_ORDER, ids=[s.name for s in PER_ORDER])
def test_given_a_per_order_stream_selected_then_exactly_one_request_per_order_in_the_window(store, spec):
    run = run_connector("read", config_for(store.base_url), catalog_for(["orders", spec.name]))

    assert run.exit_code == 0
    resource = spec.path.rsplit("/", 1)[1]
    assert per_order_requests(store) == {resource: len(run.records["orders"])}
