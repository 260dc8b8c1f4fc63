"""Which partitions each stream is read in, for the CDK's concurrent framework.

A top-level stream is one partition per date window (the newest days, then the older history; see
sync_windows), or one for the whole resource: their paginators are keysets, which read one page
after another. A child read per parent is one partition
per few parents (PARENTS_PER_READ), so many run in parallel; a child taken from its parent's page is one partition per page
of parents, read from memory. Each child lists its parents itself, with the `include` it needs: a
shared listing would save one request per 250 changed parents per child stream, which is not worth
the threads and waits that sharing takes (the benchmark shows the requests).
"""

from __future__ import annotations

from array import array
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, List, Mapping, Optional, Tuple

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.exceptions import ExceptionWithDisplayMessage
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record

from . import id_sets
from .coverage import Coverage, split_evenly, split_newest_first
from .cursors import DELETED_AT, SETTLING_TIME, DateStateCursor
from .dates import ONE_SECOND, format_date, parse_date

# A child read per parent is read this many parents to a partition, one after another: each partition
# costs handoffs between threads (generator, main thread, reader) and a cursor update: at one request
# per partition about 0.18 ms of CPU a request (bench.compare, order products and transactions of a 4x
# store). Eight keeps a listing page of 250 parents in 32 partitions, more than the workers.
PARENTS_PER_READ = 8
PARENTS_PER_PARTITION = 50  # pending partitions hold their parents' children: keep each small
# Records cross to the main thread in pieces of this many: a handoff costs the same for one record or
# many, and the queue's few items (source.QUEUE_SIZE) then hold about a hundred records, not pages.
RECORDS_PER_ITEM = 25
from .streams.base import Batch, BigCommerceStream

Window = Mapping[str, Any]  # {"start", "end", "covers_to"} (+ "resume", "resume_total" where an earlier sync stopped)


# A stretch is cut into parallel slices only when it is at least this long: a short one (an incremental
# sync's day) is a page or two, and each slice costs a request of its own.
SLICED_FROM = timedelta(days=30)


def sync_windows(start_date: datetime, cursor: Optional[DateStateCursor], incremental: bool, now: datetime,
                 newest_first: Optional[timedelta] = None, slices: int = 1) -> List[Window]:
    """The date windows a sync reads, `start <= date <= end` each, ending at the sync's start (the store's
    clock) so records changed while we read are left for the next sync: what the state does not cover
    yet from the start date on, the newest `newest_first` first, then the older history in date order,
    each older stretch of SLICED_FROM or more cut into `slices` windows of equal length (read at once).
    Windows an earlier sync stopped in come first, from the page it had reached. Empty when nothing is
    left to read (a start date or state in the future)."""
    covered = cursor.covered if incremental and cursor is not None else Coverage()
    resumed = list(getattr(cursor, "resumed_from", None) or []) if incremental else []
    claimed = covered.union(*((parse_date(r["window_start"]), parse_date(r["window_end"]) + ONE_SECOND) for r in resumed))
    stretches = claimed.gaps(start_date, now + ONE_SECOND)
    if newest_first is not None:
        stretches = split_newest_first(stretches, newest_first, now)
        recent = [r for r in stretches if r[1] > now - newest_first]
        stretches = recent + split_evenly(stretches[len(recent):], slices, SLICED_FROM)
    else:
        stretches = split_evenly(stretches, slices, SLICED_FROM)
    settled = now - SETTLING_TIME
    windows: List[Window] = [{"start": r["window_start"], "end": r["window_end"], "covers_to": r["covers_to"], "resume": r["next"],
                              "resume_total": r["total"]} for r in resumed]
    for start, until in stretches:  # [start, until): asked for as start <= date <= until less a second (dates are whole seconds)
        end = min(until - ONE_SECOND, now)
        if start <= end:
            windows.append({"start": format_date(start), "end": format_date(end), "covers_to": format_date(min(until, settled))})
    return windows


def one_window(windows: List[Window]) -> Optional[Window]:
    """The windows as one, from the oldest start to the clock (for a child filtered by its own date once
    per parent: one request per parent, not one per window)."""
    if not windows:
        return None
    first = min(windows, key=lambda w: parse_date(w["start"]))
    last = max(windows, key=lambda w: parse_date(w["end"]))
    return {"start": first["start"], "end": last["end"], "covers_to": last["covers_to"]}


class RecordPage:
    """Up to RECORDS_PER_ITEM records of one page (or of one parent's embedded children), as one item
    of the queue between the workers and the main thread: what the CDK's `Record` is for one record.
    A piece crosses the queue, is observed by the cursor and is written out at once, where a record
    at a time pays the queue's locks, a cursor observation and a protocol message per record. Only
    this connector's cursors and main-thread loop (`source.PagedConcurrentSource`) take one."""

    __slots__ = ("stream_name", "records", "associated_slice")

    def __init__(self, stream_name: str, records: List[dict], associated_slice: Optional[Mapping[str, Any]]) -> None:
        self.stream_name, self.records, self.associated_slice = stream_name, records, associated_slice

    def __repr__(self) -> str:
        return f"RecordPage({self.stream_name}, {len(self.records)} records)"


class StreamSlicePartition(Partition):
    """One slice of a stream, read by the stream. What the CDK's `StreamPartition` does, without its
    per-record work this connector has no use for: a deep copy of the slice, two copies of each record
    and a schema transform that is configured to do nothing (records are normalized by the stream).
    A page's records go out in RecordPages (see `pieces`); non-record messages the stream yields (row
    estimates) go to the message repository."""

    def __init__(self, stream: BigCommerceStream, stream_slice: Optional[Mapping[str, Any]], repository: MessageRepository) -> None:
        self._stream, self._slice, self._repository = stream, stream_slice, repository

    def read(self) -> Iterable[Any]:
        name = self._stream.name
        try:
            for item in self._stream.read_batches(sync_mode=SyncMode.full_refresh, stream_slice=self._slice):
                if type(item) is Batch:
                    yield from pieces(name, item, self._slice)
                else:
                    self._repository.emit_message(item)
        except Exception as error:  # as StreamPartition: the stream's own words for the error, where it has them
            display_message = self._stream.get_error_display_message(error)
            if display_message:
                raise ExceptionWithDisplayMessage(display_message) from error
            raise

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return self._slice

    def stream_name(self) -> str:
        return self._stream.name

    # Identity: the framework keeps running partitions in a set and removes each by itself once read.
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"StreamSlicePartition({self._stream.name}, {self._slice})"


def pieces(stream_name: str, records: List[Any], associated_slice: Optional[Mapping[str, Any]]) -> Iterator[RecordPage]:
    """`records` (a page, ours to empty) as RecordPages of RECORDS_PER_ITEM, each let go of by the list
    once handed on: the queue holds pieces, and the page shrinks as they leave."""
    records = as_dicts(records)
    while records:
        piece = records[:RECORDS_PER_ITEM]
        del records[:RECORDS_PER_ITEM]
        yield RecordPage(stream_name, piece, associated_slice)


def as_dicts(records: List[Any]) -> List[dict]:
    """The records as dicts (what a stream's transform returns, unless a declaration's own returns another mapping)."""
    return records if all(type(record) is dict for record in records) else [r if type(r) is dict else dict(r) for r in records]


def _partition(stream: BigCommerceStream, stream_slice: Optional[Mapping[str, Any]], repository: MessageRepository) -> StreamSlicePartition:
    return StreamSlicePartition(stream, stream_slice, repository)


class WholeStreamPartitions(PartitionGenerator):
    """One partition per window for incremental streams (the newest first), one for everything for
    full-refresh ones; and, with `detect_deletes`, the scan for what was deleted."""

    def __init__(self, stream: BigCommerceStream, repository: MessageRepository,
                 windows: Callable[[], List[Optional[Window]]] = lambda: [None], then: Optional[Callable[[], Partition]] = None) -> None:
        self._stream, self._repository, self._windows, self._then = stream, repository, windows, then

    def generate(self) -> Iterable[Partition]:
        windows = self._windows()
        if self._then is not None:
            scan = self._then()
            scan.cursor.scans_for_deletes(windows=len(windows))
        for stream_slice in windows:
            yield _partition(self._stream, stream_slice, self._repository)
        if self._then is not None:
            yield scan


class DeleteScanPartition(Partition):
    """Every id the stream has now, listed as cheaply as the API allows (`Spec.deletes`), against the
    ids the last scan saw: one tombstone per id gone, `{key, cursor, _ab_cdc_deleted_at}` set to the
    scan's time. The ids join the state (id_sets) once this partition and the window's are both closed,
    behind the tombstones, together with every id the window emitted; the first scan only records them."""

    def __init__(self, lister: BigCommerceStream, cursor: Any, moment: Callable[[], datetime]) -> None:
        self._lister, self.cursor, self._moment = lister, cursor, moment
        self._previous: Optional[str] = cursor.previous_ids
        self.scanned: Optional[array] = None

    def read(self) -> Iterable[Record]:
        spec = self._lister.spec
        moment = format_date(self._moment())
        now = array("q", sorted(record["id"] for record in self._lister.read_records(sync_mode=SyncMode.full_refresh, stream_slice=None)
                                 if isinstance(record, Mapping) and isinstance(record.get("id"), int)))
        try:
            before = id_sets.decode(self._previous) if self._previous else array("q")
        except ValueError:  # a state this connector did not write: start over, with no tombstones
            before = array("q")
        for gone in _missing(before, now):
            yield Record(data={"id": gone, spec.cursor: moment, DELETED_AT: moment}, stream_name=spec.name, associated_slice=None)
        self.scanned = now

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return {"delete_scan": True}

    def stream_name(self) -> str:
        return self._lister.spec.name

    def __hash__(self) -> int:
        return hash((self._lister.spec.name, "delete_scan"))


def _missing(before: "array", now: "array") -> Iterator[int]:
    """The ids in `before` and not in `now`, both ascending: one pass, no set of a million ints."""
    j = 0
    for value in before:
        while j < len(now) and now[j] < value:
            j += 1
        if j == len(now) or now[j] != value:
            yield value


class ParentListing:
    """The parents a child needs, window by window (the newest first), in the parent's order within a
    window (date order for dated parents), read by a parent stream of its own that asks for what the
    child needs (`parent_params`)."""

    def __init__(self, parent: BigCommerceStream, windows: Callable[[], List[Window]]) -> None:
        self.parent, self._windows = parent, windows

    def windows(self) -> Iterator[Tuple[Window, Iterator[Mapping[str, Any]]]]:
        for window in self._windows():
            yield window, self._parents(window)

    def _parents(self, window: Window) -> Iterator[Mapping[str, Any]]:
        listing: Mapping[str, Any] = {k: v for k, v in window.items() if k in ("start", "end")}
        if window.get("parents_after") is not None:  # an id listing resumed after the last parent done
            listing = {"resume": self.parent.paginator(None).after(window["parents_after"])}
        for record in self.parent.read_records(sync_mode=SyncMode.full_refresh, stream_slice=listing or None):
            if isinstance(record, Mapping):
                yield record

    def date_of(self, parent: Mapping[str, Any]) -> Optional[str]:
        cursor = self.parent.spec.cursor
        return parent.get(cursor) if cursor else None


def parent_slice(child: BigCommerceStream, parent: Mapping[str, Any], window: Optional[Window] = None) -> dict:
    found = {"parent_id": parent["id"], "parent": {field: parent.get(source) for field, source in child.spec.parent_fields.items()}}
    if window and "covers_to" in window:
        found["parents_from"] = window["start"]  # which window's parent this is, for the cursor
    return found


class PerParentPartitions(PartitionGenerator):
    """One partition per PARENTS_PER_READ parents, for a child read by one request (or more) per parent."""

    def __init__(self, stream: BigCommerceStream, parents: ParentListing, cursor: Any, repository: MessageRepository,
                 own_window: Callable[[], Optional[Window]] = lambda: None) -> None:
        self._stream, self._parents, self._cursor, self._repository = stream, parents, cursor, repository
        self._own_window = own_window

    def generate(self) -> Iterable[Partition]:
        own = self._own_window() if self._stream.spec.window else None
        if self._stream.spec.window and own is None:
            return  # the child's own window is empty
        for window, parents in self._parents.windows():
            group: List[Mapping[str, Any]] = []
            for parent in parents:
                if self._stream.forbidden:
                    return  # the token lacks this stream's scope: one warning, no request per parent
                group.append(parent)
                if len(group) == PARENTS_PER_READ:
                    yield self._open(own or window, own, group)
                    group = []
            if group and not self._stream.forbidden:
                yield self._open(own or window, own, group)
            if hasattr(self._cursor, "every_parent_opened"):
                self._cursor.every_parent_opened(own or window)

    def _open(self, window: Window, own: Optional[Window], group: List[Mapping[str, Any]]) -> "ParentsPartition":
        slices = [{**parent_slice(self._stream, parent, None if own else window), **(own or {})} for parent in group]
        if hasattr(self._cursor, "opened"):
            self._cursor.opened(window, group[0]["id"], self._parents.date_of(group[0]))
        return ParentsPartition(self._stream, slices, self._repository)


class ParentsPartition(StreamSlicePartition):
    """A few parents' children (`slices`, one per parent), read one parent after another; their records
    cross to the main thread together, in pieces of RECORDS_PER_ITEM. A parent whose read fails does
    not keep the ones after it from being read: the partition fails once all were tried, with the
    first error, so it never closes and the state stays before it."""

    def __init__(self, stream: BigCommerceStream, slices: List[Mapping[str, Any]], repository: MessageRepository) -> None:
        super().__init__(stream, {**slices[0], "parents": len(slices)}, repository)
        self.slices = slices

    def read(self) -> Iterable[Any]:
        name = self._stream.name
        held: List[Any] = []
        failure: Optional[Exception] = None
        for stream_slice in self.slices:
            try:
                for item in self._stream.read_batches(sync_mode=SyncMode.full_refresh, stream_slice=stream_slice):
                    if type(item) is Batch:
                        held += as_dicts(item)
                        while len(held) >= RECORDS_PER_ITEM:  # full pieces go; the rest waits for the next parent's
                            yield RecordPage(name, held[:RECORDS_PER_ITEM], None)
                            del held[:RECORDS_PER_ITEM]
                    else:
                        self._repository.emit_message(item)
            except Exception as error:  # noqa: BLE001 -- raised below, once the other parents are read
                failure = failure or error
        if held:
            yield from pieces(name, held, None)
        if failure is not None:
            display_message = self._stream.get_error_display_message(failure)
            if display_message:
                raise ExceptionWithDisplayMessage(display_message) from failure
            raise failure


class EmbeddedPartitions(PartitionGenerator):
    """One partition per page of parents, for a child the parent's page already holds (`include=`):
    no request beyond the parent listing, except the fallback reads of parents whose embedded
    children look incomplete. A pending partition keeps only its parents' children (and each parent's
    slice), not the parents: an order's or a product's own fields are let go as the partition is made."""

    def __init__(self, stream: BigCommerceStream, parents: ParentListing, cursor: Any,
                 fallback: Optional[BigCommerceStream] = None) -> None:
        self._stream, self._parents, self._cursor, self._fallback = stream, parents, cursor, fallback

    def generate(self) -> Iterable[Partition]:
        for window, parents in self._parents.windows():
            batch: List[ParentChildren] = []
            first: Optional[Tuple[Any, Optional[str]]] = None  # the batch's first parent: (id, date), for the cursor
            for parent in parents:
                if not batch:
                    first = (parent["id"], self._parents.date_of(parent))
                batch.append(self._children_of(parent, window))
                if len(batch) == PARENTS_PER_PARTITION:
                    yield self._open(window, first, parent["id"], batch)  # type: ignore[arg-type]
                    batch = []
            if batch:
                yield self._open(window, first, parent["id"], batch)  # type: ignore[arg-type]
            if hasattr(self._cursor, "every_parent_opened"):
                self._cursor.every_parent_opened(window)

    def _children_of(self, parent: Mapping[str, Any], window: Window) -> "ParentChildren":
        """The parent's slice and embedded children; None for the children when they look incomplete
        (the parent's page says it holds more), to be read the per-parent way."""
        spec = self._stream.spec
        children = list(spec.embedded(parent))  # type: ignore[misc]
        if self._fallback is not None and spec.complete is not None and not spec.complete(parent, children):
            children = None
        return parent_slice(self._stream, parent, window), children

    def _open(self, window: Window, first: Tuple[Any, Optional[str]], last_key: Any, batch: List["ParentChildren"]) -> "EmbeddedPartition":
        if hasattr(self._cursor, "opened"):
            self._cursor.opened(window, first[0], first[1], last_key=last_key)
        return EmbeddedPartition(self._stream, window, first[0], batch, self._fallback)


ParentChildren = Tuple[dict, Optional[List[Any]]]  # a parent's slice, and its embedded children (None: read them per parent)


class EmbeddedPartition(Partition):
    def __init__(self, stream: BigCommerceStream, window: Window, first_key: Any, parents: List[ParentChildren],
                 fallback: Optional[BigCommerceStream]) -> None:
        self._stream, self._window, self._parents, self._fallback = stream, window, parents, fallback
        self._key = first_key

    def read(self) -> Iterable[Record]:
        spec = self._stream.spec
        for stream_slice, children in self._parents:
            if children is None:  # the parent's page said it holds more than it embedded: ask for them the per-parent way
                for record in self._fallback.read_records(sync_mode=SyncMode.full_refresh, stream_slice=stream_slice):  # type: ignore[union-attr]
                    if isinstance(record, Mapping):
                        yield Record(data=record if type(record) is dict else dict(record), stream_name=spec.name, associated_slice=None)
                continue
            self._stream.stats.emitted(spec.name, len(children))
            yield from pieces(spec.name, [self._stream.transform(child, stream_slice) for child in children], None)

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        found = {"parent_id": self._key, "parents": len(self._parents)}
        if "covers_to" in self._window:
            found["parents_from"] = self._window["start"]
        return found

    def stream_name(self) -> str:
        return self._stream.spec.name

    def __hash__(self) -> int:
        return hash((self._stream.spec.name, self._window.get("start"), self._key))

    def __repr__(self) -> str:
        return f"EmbeddedPartition({self._stream.spec.name}, from parent {self._key})"
