"""Where a stream's state stands, kept by the CDK's concurrent framework as partitions complete.

Every incremental state here is `{cursor_field: ISO 8601 UTC}` and means "every record dated before
this has been emitted". The next sync starts *at* it (inclusive), so a group of records sharing that
second is never cut in two, and the state never moves past a record that was not emitted.
State messages go through the framework's queue behind the records they cover.

The window ends at the store's clock (GET /v2/time, once per sync). The state never moves past the
window's end less SETTLING_TIME, however new the last record is: a record BigCommerce indexes a little
late, or a clock a little off, lands inside the part the next sync reads again. Once a whole window
has been read the state moves to that bound even when no record was that new.
"""

from __future__ import annotations

import threading
from array import array
from collections import deque
from datetime import datetime, timedelta
from typing import Any, Callable, Deque, Mapping, MutableMapping, Optional, Set, Tuple

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record

from . import id_sets
from .dates import format_date, optional_date, parse_date
from .pagination import PAGE_LIMIT

SETTLING_TIME = timedelta(minutes=5)
DELETED_AT = "_ab_cdc_deleted_at"  # Airbyte's mark of a deleted row


class DateStateCursor(Cursor):
    """The shared part: hold the cursor value, emit it as a per-stream STATE message."""

    def __init__(self, stream_name: str, cursor_field: str, stream_state: Mapping[str, Any],
                 message_repository: MessageRepository, state_manager: ConnectorStateManager,
                 window_end: Optional[Callable[[], datetime]] = None) -> None:
        self._stream_name = stream_name
        self._window_end = window_end
        self.cursor_field = cursor_field
        self._message_repository = message_repository
        self._state_manager = state_manager
        self._lock = threading.Lock()
        self._value: Optional[datetime] = optional_date((stream_state or {}).get(cursor_field))
        self._ids: Optional[str] = (stream_state or {}).get("ids")  # the ids seen by the last delete scan (id_sets)
        self._scanned: Optional[Any] = None  # this sync's scan, until the window it runs beside is read too
        self._window_open = False
        self._emitted_ids: Optional[array] = None  # ids this sync emitted, when it scans for deletes
        self._emitted: Optional[datetime] = None
        self._emitted_once = False

    @property
    def state(self) -> MutableMapping[str, Any]:
        state: MutableMapping[str, Any] = {self.cursor_field: format_date(self._value)} if self._value else {}
        if self._ids:
            state["ids"] = self._ids
        return state

    @property
    def previous_ids(self) -> Optional[str]:
        return self._ids

    def scans_for_deletes(self, with_window: bool) -> None:
        """This sync scans for deletes (beside its window's read, if it has one): collect the ids it emits."""
        with self._lock:
            self._emitted_ids, self._window_open = array("q"), with_window

    def _took_scan(self, partition: Partition) -> bool:
        """A delete scan's partition closed: its tombstones are out, so its ids may join the state."""
        scanned = getattr(partition, "scanned", None)
        if scanned is None:
            return False
        self._scanned = scanned
        self._save_ids()
        return True

    def _window_closed(self) -> None:
        self._window_open = False
        self._save_ids()

    def _save_ids(self) -> None:
        """Once both the scan and the window are read: the ids to compare with next time are the scan's
        and every id this sync emitted, so a record emitted and deleted before the scan reached it still
        gets its tombstone next time."""
        if self._scanned is None or self._window_open:
            return
        self._ids = id_sets.encode([*self._scanned, *(self._emitted_ids or ())])
        self._scanned, self._emitted_ids = None, None
        self._emit()

    @property
    def value(self) -> Optional[datetime]:
        return self._value

    def should_be_synced(self, record: Record) -> bool:
        return True

    def ensure_at_least_one_state_emitted(self) -> None:
        self._finish()
        with self._lock:
            if not self._emitted_once or self._emitted != self._value:
                self._emit()

    def _finish(self) -> None:
        """Commit whatever the stream has completed; called once every partition is done."""

    def _window_read(self) -> None:
        """Every record of the window has been emitted."""
        if self._window_end is not None:
            self._move_to(self._window_end() - SETTLING_TIME)

    def _move_to(self, moment: Optional[datetime]) -> None:
        # The window end is asked for only once a record or a finished window moves the state, by when
        # the sync's window exists (discover builds cursors too, and reads no clock).
        if moment and self._window_end is not None:
            moment = min(moment, self._window_end() - SETTLING_TIME)
        if moment and (self._value is None or moment > self._value):
            self._value = moment

    def _emit(self) -> None:
        self._state_manager.update_state_for_stream(self._stream_name, None, self.state)
        self._message_repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))
        self._emitted, self._emitted_once = self._value, True


class SortedRecordsCursor(DateStateCursor):
    """One partition whose records arrive in cursor order: the state follows the last record out,
    checkpointed once per page's worth of records."""

    def __init__(self, *args: Any, checkpoint_every: int = PAGE_LIMIT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checkpoint_every = checkpoint_every
        self._observed = 0

    def observe(self, record: Record) -> None:
        if record.data.get(DELETED_AT):
            return  # a tombstone is dated by the scan, not by the window
        with self._lock:
            if self._emitted_ids is not None and isinstance(record.data.get("id"), int):
                self._emitted_ids.append(record.data["id"])
            self._move_to(optional_date(record.data.get(self.cursor_field)))
            self._observed += 1
            if self._observed % self._checkpoint_every == 0:
                self._emit()

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            if not self._took_scan(partition):
                self._window_read()
                self._emit()
                self._window_closed()


class UnsortedRecordsCursor(DateStateCursor):
    """Records in no cursor order (channels, metafields, attribute values...): the newest date seen counts
    only once the window is read. Meanwhile each page read checkpoints where the window's listing stands,
    `resume: {window_end, next, total}` (the next page's query, and the listing's record count when this
    read of it began), beside an
    unchanged cursor value: a sync stopped mid-window is resumed there, in the same window, instead of
    from the window's start. The window's read ends with the state at that window's end less the
    settling time, and no `resume`."""

    def __init__(self, stream_name: str, cursor_field: str, stream_state: Mapping[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(stream_name, cursor_field, stream_state, *args, **kwargs)
        self._pending: Optional[datetime] = None
        self._resume: Optional[Mapping[str, Any]] = _valid_resume((stream_state or {}).get("resume"))
        self.resumed_from: Optional[Mapping[str, Any]] = self._resume  # what this sync's window continues, if anything

    @property
    def state(self) -> MutableMapping[str, Any]:
        state = super().state
        if self._resume is not None:
            state["resume"] = dict(self._resume)
        return state

    def forget_resume(self) -> None:
        """A full refresh reads its whole window whatever an earlier sync reached."""
        self._resume = self.resumed_from = None

    def page_read(self, window_end: str, following: Optional[Mapping[str, Any]], total: Optional[int]) -> None:
        """Every record of the window's pages so far is out: a checkpoint at the next page."""
        if following is None:
            return  # the last page: the window's close moves the state
        with self._lock:
            self._resume = {"window_end": window_end, "next": {k: str(v) for k, v in following.items()}, "total": total}
            self._emit()

    def observe(self, record: Record) -> None:
        moment = optional_date(record.data.get(self.cursor_field))
        with self._lock:
            if moment and (self._pending is None or moment > self._pending):
                self._pending = moment

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            end = optional_date(self.resumed_from["window_end"]) if self.resumed_from else None
            if end is None:
                self._move_to(self._pending)
                self._window_read()
            else:  # a window begun by an earlier sync: its own end bounds the state, not this sync's clock
                self._move_to(end - SETTLING_TIME)
            self._resume = self.resumed_from = None
            self._emit()


def _valid_resume(resume: Any) -> Optional[Mapping[str, Any]]:
    """A `resume` this connector wrote, or None (start the window over)."""
    if not isinstance(resume, Mapping) or not isinstance(resume.get("next"), Mapping) or optional_date(resume.get("window_end")) is None:
        return None
    total = resume.get("total")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool)):
        return None
    return {"window_end": resume["window_end"], "next": {str(k): str(v) for k, v in resume["next"].items()}, "total": total}


class ParentCursor(DateStateCursor):
    """Children read by parent (one partition per parent, or per page of parents for children taken from
    their parent's page), many at once, finishing in any order. Parents are opened in date order, so
    the state may move to the date of the oldest parent still unfinished (or, when none is, of the
    newest finished): every parent dated before that has all its children emitted. A partition that
    failed never closes, so the state never passes it."""

    def __init__(self, *args: Any, checkpoint_every: int = 50, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checkpoint_every = checkpoint_every
        self._open: Deque[Tuple[Any, datetime, datetime]] = deque()
        self._closed: Set[Any] = set()
        self._closed_since_emit = 0
        self._every_parent_opened = False

    def opened(self, key: Any, first_date: str, last_date: Optional[str] = None) -> None:
        """A partition of parents dated first_date..last_date (one parent: the same date) is handed out."""
        with self._lock:
            first = parse_date(first_date)
            self._open.append((key, first, parse_date(last_date) if last_date else first))

    def every_parent_opened(self) -> None:
        """The parent listing reached the window's end (it did not fail half way)."""
        with self._lock:
            self._every_parent_opened = True

    def observe(self, record: Record) -> None:
        pass  # the state moves per parent, not per record, so parents without children count too

    def close_partition(self, partition: Partition) -> None:
        key = (partition.to_slice() or {}).get("parent_id")
        with self._lock:
            self._closed.add(key)
            self._advance()
            self._closed_since_emit += 1
            if self._closed_since_emit >= self._checkpoint_every and self._emitted != self._value:
                self._emit()
                self._closed_since_emit = 0

    def _advance(self) -> None:
        finished: Optional[datetime] = None
        while self._open and self._open[0][0] in self._closed:
            key, _, finished = self._open.popleft()
            self._closed.discard(key)
        self._move_to(self._open[0][1] if self._open else finished)

    def _finish(self) -> None:
        with self._lock:
            self._advance()
            if self._every_parent_opened and not self._open:
                self._window_read()


class OwnDatePerParentCursor(UnsortedRecordsCursor):
    """Children read per parent that carry and filter by a date of their own (price list records): the
    newest date seen counts only once every parent's children are read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open_partitions = 0
        self._every_parent_opened = False

    def opened(self, key: Any, first_date: Optional[str] = None, last_date: Optional[str] = None) -> None:
        with self._lock:
            self._open_partitions += 1

    def every_parent_opened(self) -> None:
        with self._lock:
            self._every_parent_opened = True

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            self._open_partitions -= 1

    def _finish(self) -> None:
        with self._lock:
            if self._every_parent_opened and self._open_partitions == 0:
                self._move_to(self._pending)
                self._window_read()
