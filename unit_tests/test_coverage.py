"""The state's arithmetic: which stretches of time are read, and which windows a sync reads next."""

from datetime import datetime, timedelta

from source_bigcommerce.coverage import DAWN, Coverage, coverage_from_state, split_newest_first, state_of
from source_bigcommerce.cursors import SETTLING_TIME
from source_bigcommerce.dates import UTC, format_date, parse_date
from source_bigcommerce.partitions import sync_windows


def day(n: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)


def test_given_touching_and_overlapping_stretches_when_added_then_they_merge_and_gaps_are_what_is_left():
    covered = Coverage([(day(10), day(12)), (day(1), day(3))])
    covered.add(day(3), day(5))  # touches [1, 3)
    covered.add(day(11), day(14))  # overlaps [10, 12)

    assert covered.intervals == [(day(1), day(5)), (day(10), day(14))]
    assert covered.gaps(day(0), day(20)) == [(day(0), day(1)), (day(5), day(10)), (day(14), day(20))]
    assert covered.reach(day(2)) == day(5) and covered.reach(day(7)) == day(7)


def test_given_a_state_then_its_coverage_is_everything_before_the_cursor_and_each_done_stretch():
    state = {"date_modified": format_date(day(5)), "done": [[format_date(day(8)), format_date(day(9))], ["junk", None], 7]}

    covered = coverage_from_state(state, "date_modified")

    assert covered.intervals == [(DAWN, day(5)), (day(8), day(9))], "unreadable stretches count as not read"


def test_given_stretches_read_out_of_order_then_the_state_is_the_prefix_from_the_start_date_and_the_rest_as_done():
    origin = day(0)
    assert state_of(Coverage(), origin) == (None, []), "nothing read: no cursor value at all"
    assert state_of(Coverage([(day(20), day(30))]), origin) == (None, [[format_date(day(20)), format_date(day(30))]])
    value, done = state_of(Coverage([(day(0), day(4)), (day(20), day(30))]), origin)
    assert value == day(4) and done == [[format_date(day(20)), format_date(day(30))]]
    assert state_of(Coverage([(day(0), day(4)), (day(4), day(30))]), origin) == (day(30), [])


def test_given_a_long_range_then_the_newest_days_come_first_and_a_stretch_crossing_the_boundary_is_cut():
    stretches = [(day(0), day(10)), (day(20), day(40))]

    assert split_newest_first(stretches, timedelta(days=15), day(40)) == [(day(25), day(40)), (day(0), day(10)), (day(20), day(25))]
    assert split_newest_first([(day(30), day(40))], timedelta(days=15), day(40)) == [(day(30), day(40))], "short: one window"


class _Cursor:
    def __init__(self, covered, resumed=()):
        self.covered, self.resumed_from = covered, list(resumed)


def test_given_a_first_sync_then_two_windows_the_newest_first_and_only_the_newest_settles():
    now = day(100)
    windows = sync_windows(day(0), _Cursor(Coverage()), True, now, newest_first=timedelta(days=15))

    assert windows == [
        {"start": format_date(day(85)), "end": format_date(now), "covers_to": format_date(now - SETTLING_TIME)},
        {"start": format_date(day(0)), "end": format_date(day(85) - timedelta(seconds=1)), "covers_to": format_date(day(85))},
    ]


def test_given_a_state_with_done_stretches_and_a_resumed_window_then_only_what_is_left_is_read_once():
    now = day(100)
    covered = Coverage([(DAWN, day(10)), (day(85), day(99))])
    resumed = [{"window_start": format_date(day(10)), "window_end": format_date(day(40)), "covers_to": format_date(day(40)),
                "next": {"page": "3"}, "total": 700}]

    windows = sync_windows(day(0), _Cursor(covered, resumed), True, now, newest_first=timedelta(days=15))

    assert [(w["start"], w["end"], w.get("resume")) for w in windows] == [
        (format_date(day(10)), format_date(day(40)), {"page": "3"}),
        (format_date(day(99)), format_date(now), None),
        (format_date(day(40) + timedelta(seconds=1)), format_date(day(85) - timedelta(seconds=1)), None),
    ]


def test_given_a_full_refresh_of_an_incremental_stream_then_its_state_is_ignored():
    windows = sync_windows(day(0), _Cursor(Coverage([(DAWN, day(99))])), False, day(100))

    assert [w["start"] for w in windows] == [format_date(day(0))]


class _Listing:
    """Parents by window, as ParentListing hands them out (no HTTP)."""

    def __init__(self, windows):
        self._by_window = windows

    def windows(self):
        for window, parents in self._by_window:
            yield window, iter(parents)

    def date_of(self, parent):
        return parent["date_modified"]


class _Child:
    forbidden = False

    class spec:
        window = None
        parent_fields = {"order_id": "id"}
        name = "transactions"


class _Recording:
    def __init__(self):
        self.calls = []

    def opened(self, window, key, first_date):
        self.calls.append(("opened", window["start"], key))

    def every_parent_opened(self, window):
        self.calls.append(("all", window["start"]))


def test_given_two_windows_of_parents_then_the_newest_windows_children_are_handed_out_first_each_window_closed_in_turn(monkeypatch):
    from source_bigcommerce import partitions

    monkeypatch.setattr(partitions, "PARENTS_PER_READ", 2)
    newest = {"start": format_date(day(85)), "end": format_date(day(100)), "covers_to": format_date(day(100))}
    history = {"start": format_date(day(0)), "end": format_date(day(85)), "covers_to": format_date(day(85))}
    listing = _Listing([(newest, [{"id": 9, "date_modified": "x"}]),
                        (history, [{"id": 1, "date_modified": "y"}, {"id": 2, "date_modified": "z"}, {"id": 3, "date_modified": "w"}])])
    cursor = _Recording()

    handed = list(partitions.PerParentPartitions(_Child(), listing, cursor, None).generate())

    assert [[s["parent_id"] for s in p.slices] for p in handed] == [[9], [1, 2], [3]], "a window's parents in twos, none shared across windows"
    assert [[s["parents_from"] for s in p.slices] for p in handed] == [[newest["start"]], [history["start"]] * 2, [history["start"]]]
    assert [p.to_slice()["parent_id"] for p in handed] == [9, 1, 3], "a partition is known by its first parent, which the cursor opened"
    assert cursor.calls == [("opened", newest["start"], 9), ("all", newest["start"]),
                            ("opened", history["start"], 1), ("opened", history["start"], 3), ("all", history["start"])]


def test_given_a_resume_written_by_0_3_then_it_is_read_as_one_window_from_the_cursor_value():
    from source_bigcommerce.cursors import UnsortedRecordsCursor

    old = {"date_modified": format_date(day(10)), "resume": {"window_end": format_date(day(40)), "next": {"page": 3, "limit": 250}, "total": 700}}

    cursor = UnsortedRecordsCursor("subscribers", "date_modified", old, None, None, day(0))

    assert cursor.resumed_from == [{"window_start": format_date(day(10)), "window_end": format_date(day(40)),
                                    "covers_to": format_date(day(40) - SETTLING_TIME), "next": {"page": "3", "limit": "250"}, "total": 700}]
    assert sync_windows(day(0), cursor, True, day(100))[0]["resume"] == {"page": "3", "limit": "250"}


def test_given_a_resume_this_connector_did_not_write_then_its_window_is_read_from_the_start():
    from source_bigcommerce.cursors import UnsortedRecordsCursor

    for junk in ({"window_end": "soon", "next": {"page": "2"}}, [{"next": "page=2"}], {"next": {"page": "2"}, "window_end": format_date(day(4)),
                                                                                       "total": "700"}):
        cursor = UnsortedRecordsCursor("subscribers", "date_modified", {"date_modified": format_date(day(1)), "resume": junk}, None, None, day(0))
        assert cursor.resumed_from == [], junk


def test_given_slices_then_each_long_older_stretch_is_cut_into_equal_windows_joined_end_to_start_and_short_ones_are_not():
    now = day(400)
    windows = sync_windows(day(0), None, False, now, newest_first=timedelta(days=15), slices=4)

    assert (windows[0]["start"], windows[0]["end"]) == (format_date(now - timedelta(days=15)), format_date(now))  # the newest days: one window
    history = windows[1:]
    assert len(history) == 4 and history[0]["start"] == format_date(day(0))
    for earlier, later in zip(history, history[1:]):
        assert parse_date(later["start"]) == parse_date(earlier["end"]) + timedelta(seconds=1)
        assert earlier["covers_to"] == later["start"]
    assert parse_date(history[-1]["end"]) == now - timedelta(days=15, seconds=1)
    # an incremental sync's short stretch stays one window
    short = sync_windows(day(0), _Cursor(Coverage([(DAWN, day(390))])), True, now, newest_first=None, slices=4)
    assert len(short) == 1
