"""Children taken from their parent's page (partitions.EmbeddedPartitions): what a pending partition
keeps, what it reads, and what it tells the cursor."""

import gc
from types import SimpleNamespace

from airbyte_cdk.sources.types import Record

from source_bigcommerce import partitions
from source_bigcommerce.partitions import EmbeddedPartitions, RecordPage

WINDOW = {"start": "2024-01-01T00:00:00+00:00", "end": "2024-02-01T00:00:00+00:00", "covers_to": "2024-02-01T00:00:00+00:00"}


def _order(order_id, items, items_total=None):
    return {"id": order_id, "date_modified": f"2024-01-{order_id:02d}T00:00:00+00:00", "customer_message": "x" * 100,
            "items_total": sum(items) if items_total is None else items_total,
            "line_items": [{"id": order_id * 10 + n, "quantity": q} for n, q in enumerate(items)]}


class _Listing:
    def __init__(self, orders):
        self.orders = orders

    def windows(self):
        yield WINDOW, iter(self.orders)

    def date_of(self, parent):
        return parent["date_modified"]


class _Child:
    """The child stream as EmbeddedPartitions uses it: its spec, its transform, its tally."""

    def __init__(self):
        self.spec = SimpleNamespace(name="order_products", parent_fields={"order_id": "id", "order_date_modified": "date_modified"},
                                    embedded=lambda order: order["line_items"],
                                    complete=lambda order, items: sum(i["quantity"] for i in items) == order["items_total"])
        self.stats = SimpleNamespace(emitted=lambda name, n: None)

    def transform(self, child, stream_slice):
        return {**child, **stream_slice["parent"]}


class _Fallback:
    def __init__(self):
        self.asked = []

    def read_records(self, sync_mode, stream_slice):
        self.asked.append(stream_slice["parent_id"])
        yield {"id": stream_slice["parent_id"] * 10, "quantity": 1, "from": "per-order read"}


class _Cursor:
    def __init__(self):
        self.opened_with = []

    def opened(self, window, key, date, last_key):
        self.opened_with.append((key, date, last_key))


def _reachable_ids(root):
    seen, todo = set(), [root]
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, (type, type(gc))):
            continue
        seen.add(id(item))
        todo.extend(gc.get_referents(item))
    return seen


def test_given_pending_partitions_then_they_keep_the_children_and_not_the_parents(monkeypatch):
    monkeypatch.setattr(partitions, "PARENTS_PER_PARTITION", 2)
    orders = [_order(1, [1, 2]), _order(2, [1]), _order(3, [4])]
    child = _Child()

    pending = list(EmbeddedPartitions(child, _Listing(orders), _Cursor(), _Fallback()).generate())

    held = set().union(*(_reachable_ids(p) for p in pending))
    assert not any(id(order) in held for order in orders), "an order's own fields stay in memory while its partition waits"
    assert all(id(item) in held for order in orders for item in order["line_items"])


def test_given_orders_in_partitions_then_every_child_is_read_and_the_cursor_knows_each_partitions_first_and_last(monkeypatch):
    monkeypatch.setattr(partitions, "PARENTS_PER_PARTITION", 2)
    orders = [_order(1, [1, 2]), _order(2, [3], items_total=5), _order(3, [])]
    cursor, fallback = _Cursor(), _Fallback()

    pending = list(EmbeddedPartitions(_Child(), _Listing(orders), cursor, fallback).generate())
    read = [item for partition in pending for item in partition.read()]

    records = [r for item in read for r in (item.records if type(item) is RecordPage else [item.data])]
    assert records == [{"id": 10, "quantity": 1, "order_id": 1, "order_date_modified": "2024-01-01T00:00:00+00:00"},
                       {"id": 11, "quantity": 2, "order_id": 1, "order_date_modified": "2024-01-01T00:00:00+00:00"},
                       {"id": 20, "quantity": 1, "from": "per-order read"}]
    assert [type(item) for item in read] == [RecordPage, Record], "the per-order read's records go one by one"
    assert fallback.asked == [2], "only the order whose quantities do not add up to its items_total is read per order"
    assert cursor.opened_with == [(1, "2024-01-01T00:00:00+00:00", 2), (3, "2024-01-03T00:00:00+00:00", 3)]
    assert [p.to_slice() for p in pending] == [{"parent_id": 1, "parents": 2, "parents_from": WINDOW["start"]},
                                               {"parent_id": 3, "parents": 1, "parents_from": WINDOW["start"]}]
