"""A full refresh resumed by a later attempt of the same sync: the cursors' states and what is left to read."""

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_bigcommerce.cursors import FullRefreshCursor, ParentIdCursor


class _Partition:
    def __init__(self, stream_slice):
        self._slice = stream_slice

    def to_slice(self):
        return self._slice


def _cursor(kind, state=None, sync_id=7):
    repository = InMemoryMessageRepository()
    return kind("things", state or {}, repository, ConnectorStateManager(), sync_id), repository


def _states(repository):
    return [m.state.stream.stream_state.__dict__ for m in repository.consume_queue()]


def test_given_pages_read_then_each_checkpoints_the_next_page_and_the_close_marks_the_stream_complete():
    cursor, repository = _cursor(FullRefreshCursor)

    cursor.page_read(None, {"page": 2, "limit": 250}, 700)
    cursor.page_read(None, {"page": 3, "limit": 250}, 700)
    cursor.page_read(None, None, 700)  # the last page says nothing: the close does
    cursor.close_partition(_Partition(None))

    assert _states(repository) == [{"sync_id": 7, "resume": {"next": {"page": "2", "limit": "250"}, "total": 700}},
                                   {"sync_id": 7, "resume": {"next": {"page": "3", "limit": "250"}, "total": 700}},
                                   {"sync_id": 7, "complete": True}]


def test_given_a_checkpoint_when_resumed_then_the_read_starts_at_that_page_with_the_count_it_had():
    cursor, _ = _cursor(FullRefreshCursor, {"resume": {"next": {"page": "3", "limit": "250"}, "total": 700}})

    assert cursor.partitions() == [{"resume": {"page": "3", "limit": "250"}, "resume_total": 700}]


def test_given_a_complete_stream_when_resumed_then_nothing_is_left_and_the_state_stays_complete():
    cursor, repository = _cursor(FullRefreshCursor, {"complete": True})

    assert cursor.partitions() == []
    cursor.ensure_at_least_one_state_emitted()
    assert _states(repository) == [{"sync_id": 7, "complete": True}]


def test_given_no_state_or_a_junk_resume_then_the_whole_stream_is_read():
    for state in ({}, {"resume": "page=3"}, {"resume": {"next": "page=3"}}, {"resume": {"next": {"page": "3"}, "total": "700"}},
                  {"complete": "yes"}):
        cursor, _ = _cursor(FullRefreshCursor, state)
        assert cursor.partitions() == [None], state


def test_given_partitions_of_parents_closed_out_of_order_then_the_state_is_the_last_parent_before_the_first_unfinished():
    cursor, repository = _cursor(ParentIdCursor)
    for first, last in ((1, 50), (51, 100), (101, 150)):
        cursor.opened({}, first, None, last_key=last)

    cursor.close_partition(_Partition({"parent_id": 51}))  # the second closes first: parents 1-50 are not all out
    cursor.close_partition(_Partition({"parent_id": 1}))
    cursor.every_parent_opened({})
    cursor.close_partition(_Partition({"parent_id": 101}))

    assert _states(repository) == [{"sync_id": 7, "parents_after": 100}, {"sync_id": 7, "complete": True}]


def test_given_a_parent_checkpoint_when_resumed_then_the_parents_after_it_are_listed():
    resumed, _ = _cursor(ParentIdCursor, {"parents_after": 100})
    fresh, _ = _cursor(ParentIdCursor, {"parents_after": "100"})
    done, _ = _cursor(ParentIdCursor, {"complete": True})

    assert resumed.listing() == [{"parents_after": 100}]
    assert fresh.listing() == [{}], "a value this connector did not write: every parent"
    assert done.listing() == []


def test_given_an_id_keyset_then_the_page_after_a_parent_asks_for_the_ids_above_it():
    from source_bigcommerce.pagination import IdKeysetPaginator

    assert IdKeysetPaginator("id:greater", False, include="images").after(100) == {"include": "images", "limit": 250, "id:greater": 100}
    assert IdKeysetPaginator("min_id", True).after(100) == {"limit": 250, "min_id": 101}
