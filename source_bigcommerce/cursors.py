"""Where a stream's state stands, kept by the CDK's concurrent framework as partitions complete.

Every incremental state here is `{cursor_field: X, "done": [[from, to], ...]}` (coverage.py): every
record dated before X, and every record dated `from <= date < to`, has been emitted. The next sync
reads what lies between, starting *at* X (inclusive), so a group of records sharing a second is never
cut in two, and the state never covers a record that was not emitted. State messages go through the
framework's queue behind the records they cover.

A sync reads its date range in windows (partitions.sync_windows): the newest days first, then the
older history. Each window's slice says how far a complete read of it covers (`covers_to`): its end,
or the store's clock less SETTLING_TIME for the window that ends at the clock, so a record BigCommerce
indexes a little late, or a clock a little off, lands in the part the next sync reads again. A window
read in full covers `[start, covers_to)` even when no record was that new.
"""

from __future__ import annotations

import threading
from array import array
from collections import deque
from datetime import datetime, timedelta
from typing import Any, Deque, Dict, List, Mapping, MutableMapping, Optional, Set, Tuple

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record

from . import id_sets
from .coverage import Coverage, coverage_from_state, state_of
from .dates import format_date, optional_date, parse_date
from .pagination import PAGE_LIMIT

SETTLING_TIME = timedelta(minutes=5)
DELETED_AT = "_ab_cdc_deleted_at"  # Airbyte's mark of a deleted row

WindowKey = str  # a window's `start`, which no two windows of one sync share


def window_bounds(stream_slice: Mapping[str, Any]) -> Tuple[datetime, datetime]:
    """(start, covers_to) of a window's slice."""
    return parse_date(stream_slice["start"]), parse_date(stream_slice["covers_to"])


class DateStateCursor(Cursor):
    """The shared part: the coverage read from the state, the windows in progress, the STATE message."""

    def __init__(self, stream_name: str, cursor_field: str, stream_state: Mapping[str, Any],
                 message_repository: MessageRepository, state_manager: ConnectorStateManager, origin: datetime,
                 stamp: Optional[Mapping[str, Any]] = None) -> None:
        self._stream_name = stream_name
        self._stamp = dict(stamp or {})  # written into every state: the platform's sync id, for a full refresh (see FullRefreshCursor)
        self.cursor_field = cursor_field
        self._origin = origin  # the start date: nothing before it is wanted
        self._message_repository = message_repository
        self._state_manager = state_manager
        self._lock = threading.Lock()
        self.covered: Coverage = coverage_from_state(stream_state, cursor_field)
        self._had_value = optional_date((stream_state or {}).get(cursor_field)) is not None
        self._reached: Dict[WindowKey, Tuple[datetime, datetime]] = {}  # a window in progress: [start, reached) is out
        self._ids: Optional[str] = (stream_state or {}).get("ids")  # the ids seen by the last delete scan (id_sets)
        self._scanned: Optional[Any] = None  # this sync's scan, until the windows it runs beside are read too
        self._windows_open = 0
        self._emitted_ids: Optional[array] = None  # ids this sync emitted, when it scans for deletes
        self._emitted: Optional[Any] = None
        self._emitted_once = False

    @property
    def state(self) -> MutableMapping[str, Any]:
        value, done = state_of(self.covered.union(*self._reached.values()), self._origin)
        state: MutableMapping[str, Any] = {}
        if value is not None and (value > self._origin or self._had_value):
            state[self.cursor_field] = format_date(value)
        if done:
            state["done"] = done
        if self._ids:
            state["ids"] = self._ids
        state.update(self._stamp)
        return state

    @property
    def previous_ids(self) -> Optional[str]:
        return self._ids

    def scans_for_deletes(self, windows: int) -> None:
        """This sync scans for deletes beside `windows` windows: collect the ids it emits."""
        with self._lock:
            self._emitted_ids, self._windows_open = array("q"), windows

    def _took_scan(self, partition: Partition) -> bool:
        """A delete scan's partition closed: its tombstones are out, so its ids may join the state."""
        scanned = getattr(partition, "scanned", None)
        if scanned is None:
            return False
        self._scanned = scanned
        self._save_ids()
        return True

    def _save_ids(self) -> None:
        """Once the scan and every window are read: the ids to compare with next time are the scan's
        and every id this sync emitted, so a record emitted and deleted before the scan reached it still
        gets its tombstone next time."""
        if self._scanned is None or self._windows_open > 0:
            return
        self._ids = id_sets.encode([*self._scanned, *(self._emitted_ids or ())])
        self._scanned, self._emitted_ids = None, None
        self._emit()

    def should_be_synced(self, record: Record) -> bool:
        return True

    def ensure_at_least_one_state_emitted(self) -> None:
        self._finish()
        with self._lock:
            if not self._emitted_once or self._emitted != self.state:
                self._emit()

    def _finish(self) -> None:
        """Commit whatever the stream has completed; called once every partition is done."""

    def _reach(self, window: Mapping[str, Any], moment: Optional[datetime]) -> None:
        """Every record of `window` dated before `moment` is out."""
        if moment is None:
            return
        start, covers_to = window_bounds(window)
        moment = min(moment, covers_to)
        key = window["start"]
        if moment > self._reached.get(key, (start, start))[1]:
            self._reached[key] = (start, moment)

    def _window_read(self, window: Mapping[str, Any]) -> None:
        """Every record of `window` is out."""
        self._reached.pop(window["start"], None)
        self.covered.add(*window_bounds(window))
        if self._windows_open > 0:
            self._windows_open -= 1
            self._save_ids()

    def _emit(self) -> None:
        state = self.state
        self._state_manager.update_state_for_stream(self._stream_name, None, state)
        self._message_repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))
        self._emitted, self._emitted_once = state, True


class SortedRecordsCursor(DateStateCursor):
    """Windows whose records arrive in cursor order: each window's part of the state follows its last
    record out, checkpointed once per page's worth of records."""

    def __init__(self, *args: Any, checkpoint_every: int = PAGE_LIMIT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checkpoint_every = checkpoint_every
        self._observed = 0

    def observe(self, record: Any) -> None:
        """A record, or a page of them (partitions.RecordPage), already queued for the main thread."""
        window = record.associated_slice
        if not window or "covers_to" not in window:
            return  # a tombstone is dated by the scan, not by a window
        records = getattr(record, "records", None)
        if records is None:
            records = (record.data,)
        field, latest, count = self.cursor_field, None, 0
        ids = [] if self._emitted_ids is not None else None
        for data in records:
            if data.get(DELETED_AT):
                continue
            if ids is not None and isinstance(data.get("id"), int):
                ids.append(data["id"])
            moment = optional_date(data.get(field))
            if moment is not None and (latest is None or moment > latest):
                latest = moment
            count += 1
        with self._lock:
            if ids and self._emitted_ids is not None:
                self._emitted_ids.extend(ids)
            self._reach(window, latest)
            before = self._observed
            self._observed += count
            if self._observed // self._checkpoint_every > before // self._checkpoint_every:
                self._emit()

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            if not self._took_scan(partition):
                self._window_read(partition.to_slice())
                self._emit()


class UnsortedRecordsCursor(DateStateCursor):
    """Records in no cursor order (channels, metafields, attribute values...): a window counts only once
    read in full. Meanwhile each page read checkpoints where the window's listing stands, in `resume`:
    one entry per window in progress, `{window_start, window_end, covers_to, next, total}` (the next
    page's query, and the listing's record count when this read of it began). A sync stopped mid-window
    is resumed there, in the same window, instead of from the window's start."""

    def __init__(self, stream_name: str, cursor_field: str, stream_state: Mapping[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(stream_name, cursor_field, stream_state, *args, **kwargs)
        self._resumes: Dict[WindowKey, Dict[str, Any]] = {
            r["window_start"]: r for r in _valid_resumes((stream_state or {}).get("resume"), (stream_state or {}).get(cursor_field))}
        self.resumed_from: List[Mapping[str, Any]] = list(self._resumes.values())  # the windows this sync continues

    @property
    def state(self) -> MutableMapping[str, Any]:
        state = super().state
        if self._resumes:
            state["resume"] = [dict(r) for r in self._resumes.values()]
        return state

    def page_read(self, window: Mapping[str, Any], following: Optional[Mapping[str, Any]], total: Optional[int]) -> None:
        """Every record of the window's pages so far is out: a checkpoint at the next page."""
        if following is None:
            return  # the last page: the window's close moves the state
        with self._lock:
            self._resumes[window["start"]] = {"window_start": window["start"], "window_end": window["end"], "covers_to": window["covers_to"],
                                              "next": {k: str(v) for k, v in following.items()}, "total": total}
            self._emit()

    def observe(self, record: Record) -> None:
        pass  # the state moves per window read in full

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            window = partition.to_slice()
            self._resumes.pop(window["start"], None)
            self._window_read(window)
            self._emit()


def _valid_resumes(resume: Any, cursor_value: Any) -> List[Dict[str, Any]]:
    """The `resume` entries this connector wrote (earlier versions wrote one, for the window from the cursor
    value); anything else is dropped and its window read from the start."""
    entries = [resume] if isinstance(resume, Mapping) else resume if isinstance(resume, list) else []
    valid = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("next"), Mapping):
            continue
        end = optional_date(entry.get("window_end"))
        start = optional_date(entry.get("window_start", cursor_value))
        covers_to = optional_date(entry.get("covers_to")) or (end - SETTLING_TIME if end else None)
        total = entry.get("total")
        if end is None or start is None or covers_to is None or (total is not None and (not isinstance(total, int) or isinstance(total, bool))):
            continue
        valid.append({"window_start": format_date(start), "window_end": format_date(end), "covers_to": format_date(covers_to),
                      "next": {str(k): str(v) for k, v in entry["next"].items()}, "total": total})
    return valid


class ParentCursor(DateStateCursor):
    """Children read by parent (one partition per PARENTS_PER_READ parents, or per 50 for children taken from
    their parent's page), many at once, finishing in any order. Within a window parents are opened in
    date order, so the window is out up to the date of its oldest parent still unfinished (or, when
    none is, of its newest finished): every parent dated before that has all its children emitted. A
    partition that failed never closes, so the state never passes it."""

    def __init__(self, *args: Any, checkpoint_every: int = 50, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checkpoint_every = checkpoint_every
        self._open: Dict[WindowKey, Deque[Tuple[Any, datetime]]] = {}
        self._closed: Dict[WindowKey, Set[Any]] = {}
        self._windows: Dict[WindowKey, Mapping[str, Any]] = {}
        self._every_parent_opened: Set[WindowKey] = set()
        self._closed_since_emit = 0

    def opened(self, window: Mapping[str, Any], key: Any, first_date: str, last_key: Any = None) -> None:
        """A partition of parents of `window`, the first dated first_date, is handed out."""
        with self._lock:
            name = window["start"]
            self._windows.setdefault(name, window)
            self._open.setdefault(name, deque()).append((key, parse_date(first_date)))

    def every_parent_opened(self, window: Mapping[str, Any]) -> None:
        """The parent listing reached the window's end (it did not fail half way)."""
        with self._lock:
            self._windows.setdefault(window["start"], window)
            self._every_parent_opened.add(window["start"])
            self._advance(window["start"])

    def observe(self, record: Record) -> None:
        pass  # the state moves per parent, not per record, so parents without children count too

    def close_partition(self, partition: Partition) -> None:
        stream_slice = partition.to_slice() or {}
        name = stream_slice.get("parents_from")
        with self._lock:
            self._closed.setdefault(name, set()).add(stream_slice.get("parent_id"))
            self._advance(name)
            self._closed_since_emit += 1
            if self._closed_since_emit >= self._checkpoint_every:
                self._closed_since_emit = 0
                if self._emitted != self.state:
                    self._emit()

    def _advance(self, name: WindowKey) -> None:
        window = self._windows.get(name)
        if window is None:
            return
        opened, closed = self._open.setdefault(name, deque()), self._closed.setdefault(name, set())
        finished: Optional[datetime] = None
        while opened and opened[0][0] in closed:
            key, finished = opened.popleft()
            closed.discard(key)
        if not opened and name in self._every_parent_opened:
            self._every_parent_opened.discard(name)
            self._window_read(window)
        else:
            self._reach(window, opened[0][1] if opened else finished)

    def _finish(self) -> None:
        with self._lock:
            for name in list(self._windows):
                self._advance(name)


class OwnDatePerParentCursor(DateStateCursor):
    """Children read per parent that carry and filter by a date of their own (price list records): the
    window counts once every parent's children are read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open_partitions = 0
        self._window: Optional[Mapping[str, Any]] = None

    def opened(self, window: Mapping[str, Any], key: Any, first_date: Optional[str] = None, last_key: Any = None) -> None:
        with self._lock:
            self._open_partitions += 1

    def every_parent_opened(self, window: Mapping[str, Any]) -> None:
        with self._lock:
            self._window = window

    def observe(self, record: Record) -> None:
        pass

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            self._open_partitions -= 1

    def _finish(self) -> None:
        with self._lock:
            if self._window is not None and self._open_partitions == 0:
                self._window_read(self._window)
                self._window = None


class FullRefreshCursor(Cursor):
    """A full refresh of a stream without a date cursor, resumable within one sync of the platform.

    The platform names the sync in the catalog (`sync_id`; Airbyte keeps it across the attempts of a
    job). Each page read checkpoints the next page's query, `{"sync_id", "resume": {"next", "total"}}`,
    and the stream's end `{"sync_id", "complete": true}`. Such a state is honoured only by a read of
    the same sync: a new attempt resumes at the page (or skips a stream already complete), while a
    new sync, which is to replace the table, reads it whole. Without a sync id there is nothing to
    tell an attempt from a new sync by, so the stream keeps the CDK's FinalStateCursor instead.
    The layout passes only a state of this sync (`_Layout.state_for`)."""

    def __init__(self, stream_name: str, stream_state: Mapping[str, Any], message_repository: MessageRepository,
                 state_manager: ConnectorStateManager, sync_id: int) -> None:
        self._stream_name, self._message_repository, self._state_manager = stream_name, message_repository, state_manager
        self._sync_id = sync_id
        self._lock = threading.Lock()
        self.complete = (stream_state or {}).get("complete") is True
        resume = (stream_state or {}).get("resume")
        total = resume.get("total") if isinstance(resume, Mapping) else None
        valid = (isinstance(resume, Mapping) and isinstance(resume.get("next"), Mapping)
                 and (total is None or (isinstance(total, int) and not isinstance(total, bool))))
        self._resume: Optional[Dict[str, Any]] = (
            {"next": {str(k): str(v) for k, v in resume["next"].items()}, "total": total} if valid else None)  # type: ignore[union-attr]
        self._emitted_once = False

    def partitions(self) -> List[Optional[Mapping[str, Any]]]:
        """What is left of the stream: nothing once complete, else everything, from the page reached."""
        if self.complete:
            return []
        return [{"resume": self._resume["next"], "resume_total": self._resume["total"]} if self._resume else None]

    @property
    def state(self) -> MutableMapping[str, Any]:
        state: MutableMapping[str, Any] = {"sync_id": self._sync_id}
        if self.complete:
            state["complete"] = True
        else:
            state.update(self._progress())
        return state

    def _progress(self) -> Mapping[str, Any]:
        """Where a stream not complete stands, for the state."""
        return {"resume": dict(self._resume)} if self._resume is not None else {}

    def page_read(self, stream_slice: Optional[Mapping[str, Any]], following: Optional[Mapping[str, Any]], total: Optional[int]) -> None:
        """Every record of the pages so far is out: a checkpoint at the next page."""
        if following is None:
            return  # the last page: the partition's close completes the stream
        with self._lock:
            self._resume = {"next": {k: str(v) for k, v in following.items()}, "total": total}
            self._emit()

    def observe(self, record: Record) -> None:
        pass

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            self.complete, self._resume = True, None
            self._emit()

    def ensure_at_least_one_state_emitted(self) -> None:
        with self._lock:
            if not self._emitted_once:
                self._emit()

    def should_be_synced(self, record: Record) -> bool:
        return True

    def _emit(self) -> None:
        self._state_manager.update_state_for_stream(self._stream_name, None, self.state)
        self._message_repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))
        self._emitted_once = True


class ParentIdCursor(FullRefreshCursor):
    """A full refresh of children taken from their parents' pages, parents listed in id order, resumable
    within one sync like FullRefreshCursor: `{"sync_id", "parents_after": I}` says every parent with an
    id up to I has had its children emitted (a later attempt lists the parents after I), and
    `{"sync_id", "complete": true}` that all have. By id, not by the parents' date: a catalog imported
    in bulk shares one date_modified, which would leave a date nothing to advance by."""

    def __init__(self, stream_name: str, stream_state: Mapping[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(stream_name, stream_state, *args, **kwargs)
        after = (stream_state or {}).get("parents_after")
        self._after: Optional[int] = after if isinstance(after, int) and not isinstance(after, bool) and after >= 0 else None
        self._open: Deque[Tuple[int, int]] = deque()  # (first, last) parent id of each partition handed out, in id order
        self._closed: Set[int] = set()  # first parent ids of partitions read
        self._every_parent_opened = False

    def listing(self) -> List[Mapping[str, Any]]:
        """The parents left to read: none once complete, else those after the last parent done."""
        if self.complete:
            return []
        return [{"parents_after": self._after} if self._after is not None else {}]

    def _progress(self) -> Mapping[str, Any]:
        return {"parents_after": self._after} if self._after is not None else {}

    def opened(self, window: Mapping[str, Any], key: Any, first_date: Optional[str] = None, last_key: Any = None) -> None:
        with self._lock:
            self._open.append((key, key if last_key is None else last_key))

    def every_parent_opened(self, window: Mapping[str, Any]) -> None:
        with self._lock:
            self._every_parent_opened = True
            self._advance()

    def page_read(self, *_: Any) -> None:
        pass  # the parents' pages are the listing's: progress is per partition closed

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            self._closed.add((partition.to_slice() or {}).get("parent_id"))
            self._advance()

    def _advance(self) -> None:
        moved = False
        while self._open and self._open[0][0] in self._closed:
            first, last = self._open.popleft()
            self._closed.discard(first)
            self._after, moved = last, True
        if not self._open and self._every_parent_opened and not self.complete:
            self.complete, moved = True, True
        if moved:
            self._emit()
