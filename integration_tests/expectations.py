"""What a correct sync must emit, derived from the local store's ground truth.

Which records are in a sync's range follows the stream's declared cursor (the connector's promise);
the records themselves come from the store's canonical tables, never from the connector.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, Dict, Optional

from local_store.resources import BY_NAME as RESOURCES
from source_bigcommerce.dates import parse_date, parse_start_date
from source_bigcommerce.streams import CATALOGUE

SPECS = {spec.name: spec for spec in CATALOGUE}
STREAMS = tuple(SPECS)
INCREMENTAL = tuple(name for name, spec in SPECS.items() if spec.cursor and not spec.cursor.startswith("order_"))
CHILDREN = tuple(name for name, spec in SPECS.items() if spec.cursor == "order_date_modified")


def key_of(stream: str, record: dict) -> Any:
    key = SPECS[stream].key
    return tuple(record[k] for k in key) if isinstance(key, tuple) else record[key]


def as_emitted(record: dict) -> dict:
    """Every key, nulls included: the connector writes records itself instead of through the CDK's
    serializer, which would omit top-level nulls."""
    return dict(record)


def _visible(stream: str):
    resource = RESOURCES.get(stream)
    module = sys.modules.get(resource.generate.__module__) if resource is not None and resource.generate else None
    return getattr(module, "visible", None) or (lambda record: True)


def expected_records(store, start_date: str = "2020-01-01", since: Optional[datetime] = None) -> Dict[str, Dict[Any, dict]]:
    """Per stream, by primary key: every record modified on/after start_date (and on/after `since`, the
    state a sync resumed from); per-order children of those orders, carrying their order's date_modified;
    every visible record of a full-refresh stream."""
    with store.lock:
        truth = store.data.ground_truth(base_url_for_links=store.base_url)
    lower = parse_start_date(start_date)
    if since is not None:
        lower = max(lower, since)
    orders = truth["orders"]

    def in_range(value: Optional[str]) -> bool:
        return bool(value) and parse_date(value) >= lower

    expected: Dict[str, Dict[Any, dict]] = {}
    for stream in STREAMS:
        spec, visible = SPECS[stream], _visible(stream)
        records = [r for r in truth[stream].values() if visible(r)]
        if stream in CHILDREN:
            records = [{**r, "order_date_modified": orders[r["order_id"]]["date_modified"]} for r in records
                       if in_range(orders[r["order_id"]]["date_modified"])]
        elif spec.cursor:
            records = [r for r in records if in_range(r.get(spec.cursor))]
        expected[stream] = {key_of(stream, r): as_emitted(r) for r in records}
    return expected


def by_key(stream: str, records) -> Dict[Any, dict]:
    return {key_of(stream, r): r for r in records}


def without_top_level_nulls(records: Dict[Any, dict]) -> Dict[Any, dict]:
    """For in-process reads (airbyte-cdk's entrypoint_wrapper), whose messages go through the CDK's
    serializer, which drops top-level nulls; the connector's own CLI output keeps them."""
    return {k: {f: v for f, v in r.items() if v is not None} for k, r in records.items()}


def covered_by(state: Optional[dict], cursor: str):
    """The dates a stream's state says are emitted in full: before its cursor value, and inside each
    `done` stretch `[from, to)` (read here on their own, not through the connector's code)."""
    state = state or {}
    value = parse_date(state[cursor]) if state.get(cursor) else None
    done = [(parse_date(a), parse_date(b)) for a, b in state.get("done") or []]

    def covers(moment: datetime) -> bool:
        return (value is not None and moment < value) or any(a <= moment < b for a, b in done)

    return covers
