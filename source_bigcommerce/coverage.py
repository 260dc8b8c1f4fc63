"""Which stretches of time a stream has emitted in full: the state of every date-cursored stream.

A stream's state says `{cursor: X}`: every record dated before X has been emitted. A sync that reads
the newest days first (or several date windows at once) finishes stretches out of order, so the state
also lists the later stretches already read in full, `"done": [[from, to], ...]`: every record dated
`from <= date < to` has been emitted too. A record's date only moves forward when it is edited, so a
stretch read once stays read; the next sync reads only what lies between.

`Coverage` is the pure part: half-open intervals of datetimes, merged as they touch.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from typing import Any, List, Optional, Sequence, Tuple

from .dates import UTC, format_date, optional_date

DAWN = datetime(1970, 1, 1, tzinfo=UTC)  # before any BigCommerce store
Interval = Tuple[datetime, datetime]


class Coverage:
    """Disjoint, sorted half-open intervals `[start, end)`."""

    def __init__(self, intervals: Sequence[Interval] = ()) -> None:
        self._intervals: List[Interval] = []
        for start, end in intervals:
            self.add(start, end)

    @property
    def intervals(self) -> List[Interval]:
        return list(self._intervals)

    def add(self, start: datetime, end: datetime) -> None:
        if end <= start:
            return
        kept: List[Interval] = []
        for a, b in self._intervals:
            if b < start or a > end:
                kept.append((a, b))
            else:  # touching or overlapping: one interval
                start, end = min(a, start), max(b, end)
        kept.append((start, end))
        kept.sort()
        self._intervals = kept

    def union(self, *more: Interval) -> "Coverage":
        merged = Coverage(self._intervals)
        for start, end in more:
            merged.add(start, end)
        return merged

    def reach(self, origin: datetime) -> datetime:
        """How far the covered stretch that holds `origin` goes (`origin` itself when none holds it)."""
        at = bisect_right([a for a, _ in self._intervals], origin) - 1
        if at >= 0 and self._intervals[at][1] > origin:
            return self._intervals[at][1]
        return origin

    def gaps(self, start: datetime, end: datetime) -> List[Interval]:
        """The stretches of `[start, end)` not covered, oldest first."""
        found: List[Interval] = []
        cursor = start
        for a, b in self._intervals:
            if b <= cursor or a >= end:
                continue
            if a > cursor:
                found.append((cursor, min(a, end)))
            cursor = max(cursor, b)
        if cursor < end:
            found.append((cursor, end))
        return found


def coverage_from_state(state: Any, cursor_field: str) -> Coverage:
    """The coverage a state this connector wrote describes; what it cannot read counts as not covered."""
    state = state if isinstance(state, dict) else {}
    covered = Coverage()
    value = optional_date(state.get(cursor_field))
    if value is not None:
        covered.add(DAWN, value)
    done = state.get("done")
    for stretch in done if isinstance(done, list) else ():
        if isinstance(stretch, list) and len(stretch) == 2:
            start, end = optional_date(stretch[0]), optional_date(stretch[1])
            if start is not None and end is not None:
                covered.add(start, end)
    return covered


def state_of(covered: Coverage, origin: datetime) -> Tuple[Optional[datetime], List[List[str]]]:
    """(X, done) for the state: X is how far the stretch from the dawn goes, counting everything before
    `origin` (the start date: never wanted) as covered; `done` lists the later stretches. X is None
    while nothing from `origin` on is covered."""
    whole = covered.union((DAWN, origin))
    reach = whole.reach(DAWN)
    value = reach if reach > origin or covered.reach(DAWN) > DAWN else None
    later = [[format_date(a), format_date(b)] for a, b in whole.intervals if a > reach]
    return value, later


def split_newest_first(stretches: Sequence[Interval], newest: timedelta, end: datetime) -> List[Interval]:
    """The stretches to read, the newest `newest` before `end` first (in date order), then the rest in
    date order. A stretch crossing the boundary is cut there."""
    boundary = end - newest
    recent = [(max(a, boundary), b) for a, b in stretches if b > boundary]
    older = [(a, min(b, boundary)) for a, b in stretches if a < boundary]
    return recent + older


def split_evenly(stretches: Sequence[Interval], parts: int, shorter_than: timedelta) -> List[Interval]:
    """Each stretch at least `shorter_than` long cut into `parts` stretches of equal length (whole
    seconds; the last takes the rest), in date order, for parallel reads; shorter ones as they are."""
    found: List[Interval] = []
    for start, end in stretches:
        if parts <= 1 or end - start < shorter_than:
            found.append((start, end))
            continue
        step = timedelta(seconds=max(1, int((end - start).total_seconds()) // parts))
        cuts = [start + step * i for i in range(parts)] + [end]
        found.extend((a, b) for a, b in zip(cuts, cuts[1:]) if a < b)
    return found
