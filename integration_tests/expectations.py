"""What a correct sync must emit, derived from the local store's ground truth."""

from __future__ import annotations

from datetime import datetime
from typing import Dict

from source_bigcommerce.dates import parse_date, parse_start_date

INCREMENTAL = ("customers", "orders", "products", "channels")
CHILDREN = ("order_products", "transactions")


def as_emitted(record: dict) -> dict:
    # The CDK's protocol serializer omits top-level keys whose value is null; destinations read them as null.
    return {k: v for k, v in record.items() if v is not None}


def expected_records(store, start_date: str = "2020-01-01", since: datetime = None) -> Dict[str, Dict[object, dict]]:
    """Per stream, by primary key: every record modified on/after start_date (and on/after `since`, the
    state a sync resumed from); children of those orders, carrying their order's date_modified."""
    with store.lock:
        truth = store.data.ground_truth(base_url_for_links=store.base_url)
    lower = parse_start_date(start_date)
    if since is not None:
        lower = max(lower, since)

    def in_range(record: dict) -> bool:
        return parse_date(record["date_modified"]) >= lower

    expected: Dict[str, Dict[object, dict]] = {}
    for stream, records in truth.items():
        if stream in INCREMENTAL:
            expected[stream] = {k: as_emitted(r) for k, r in records.items() if in_range(r)}
        elif stream in CHILDREN:
            orders = truth["orders"]
            expected[stream] = {
                k: as_emitted({**r, "order_date_modified": orders[r["order_id"]]["date_modified"]})
                for k, r in records.items() if in_range(orders[r["order_id"]])
            }
        else:
            expected[stream] = {k: as_emitted(r) for k, r in records.items()}
    return expected
