"""A partition of a few parents (partitions.ParentsPartition): every parent read, records passed on together."""

import pytest

from source_bigcommerce import partitions
from source_bigcommerce.partitions import RECORDS_PER_ITEM, ParentsPartition, RecordPage
from source_bigcommerce.streams.base import Batch


class _Stream:
    name = "transactions"

    def __init__(self, children, failing=()):
        self.children, self.failing, self.read = children, set(failing), []

    def read_batches(self, sync_mode, stream_slice):
        parent = stream_slice["parent_id"]
        self.read.append(parent)
        yield Batch({"id": (parent, n), "order_id": parent} for n in range(self.children[parent]))
        if parent in self.failing:
            raise RuntimeError(f"503 on order {parent}")

    def get_error_display_message(self, error):
        return None


def _slices(ids):
    return [{"parent_id": i, "parent": {"order_id": i}} for i in ids]


def test_given_parents_with_few_children_then_their_records_cross_together_in_pieces_and_none_is_lost():
    stream = _Stream({1: 3, 2: 0, 3: RECORDS_PER_ITEM, 4: 1})

    items = list(ParentsPartition(stream, _slices([1, 2, 3, 4]), None).read())

    assert all(type(item) is RecordPage for item in items)
    assert [len(item.records) for item in items] == [RECORDS_PER_ITEM, 4], "28 records in two items, not four"
    got = [record["id"] for item in items for record in item.records]
    assert got == [(1, 0), (1, 1), (1, 2)] + [(3, n) for n in range(RECORDS_PER_ITEM)] + [(4, 0)]


def test_given_one_parent_failing_then_the_parents_after_it_are_still_read_and_the_partition_fails_with_its_error():
    stream = _Stream({1: 1, 2: 2, 3: 1}, failing={2})
    partition = ParentsPartition(stream, _slices([1, 2, 3]), None)
    items = []

    with pytest.raises(RuntimeError, match="503 on order 2"):
        for item in partition.read():
            items.append(item)

    assert stream.read == [1, 2, 3]
    assert [record["id"] for item in items for record in item.records] == [(1, 0), (2, 0), (2, 1), (3, 0)]


def test_a_partition_is_known_by_its_first_parent_and_says_how_many_it_holds():
    partition = ParentsPartition(_Stream({}), [{**s, "parents_from": "2024-01-01T00:00:00+00:00"} for s in _slices([7, 8])], None)

    assert partition.to_slice() == {"parent_id": 7, "parent": {"order_id": 7}, "parents_from": "2024-01-01T00:00:00+00:00", "parents": 2}
    assert partitions.PARENTS_PER_READ > 1
