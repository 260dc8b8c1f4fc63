"""Which partitions each stream is read in, for the CDK's concurrent framework.

Top-level streams are one partition each (the sync's date window, or the whole resource): their
paginators are keysets, which read one page after another. A child read per parent is one partition
per parent, so many run in parallel; a child taken from its parent's page is one partition per page
of parents, read from memory. Each child lists its parents itself, with the `include` it needs: a
shared listing would save one request per 250 changed parents per child stream, which is not worth
the threads and waits that sharing takes (the benchmark shows the requests).
"""

from __future__ import annotations

from array import array
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, List, Mapping, Optional

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.adapters import StreamPartition
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record

from . import id_sets
from .cursors import DELETED_AT, DateStateCursor
from .dates import format_date

PARENTS_PER_PARTITION = 50  # pending partitions hold their parents' records: keep each small
from .streams.base import BigCommerceStream

Window = Optional[Mapping[str, str]]


def sync_window(start_date: datetime, cursor: Optional[DateStateCursor], incremental: bool, now: datetime) -> Window:
    """`start <= cursor <= end`, ending at the sync's start (the store's clock) so records changed while
    we read are left for the next sync. None when the window is empty (a start date or state in the future)."""
    start = start_date
    if incremental and cursor is not None and cursor.value is not None:
        start = max(start, cursor.value)
    resumed = getattr(cursor, "resumed_from", None) if incremental else None
    if resumed:  # the window an earlier sync stopped in, from the page it had reached
        return {"start": format_date(start), "end": resumed["window_end"], "resume": resumed["next"], "resume_total": resumed["total"]}
    return {"start": format_date(start), "end": format_date(now)} if start <= now else None


def _partition(stream: BigCommerceStream, stream_slice: Optional[Mapping[str, Any]], repository: MessageRepository) -> StreamPartition:
    cursor_field = [stream.cursor_field] if stream.cursor_field else None
    return StreamPartition(stream, stream_slice, repository, SyncMode.full_refresh, cursor_field, {})


class WholeStreamPartitions(PartitionGenerator):
    """One partition: the window for incremental streams, everything for full-refresh ones; and, with
    `detect_deletes`, the scan for what was deleted."""

    def __init__(self, stream: BigCommerceStream, repository: MessageRepository,
                 window: Callable[[], Window] = lambda: {}, then: Optional[Callable[[], Partition]] = None) -> None:
        self._stream, self._repository, self._window, self._then = stream, repository, window, then

    def generate(self) -> Iterable[Partition]:
        stream_slice = self._window()
        if self._then is not None:
            scan = self._then()
            scan.cursor.scans_for_deletes(with_window=stream_slice is not None)
        if stream_slice is not None:
            yield _partition(self._stream, stream_slice or None, self._repository)
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
    """The parents a child needs, in the parent's order (date order for dated parents), read by a
    parent stream of its own that asks for what the child needs (`parent_params`)."""

    def __init__(self, parent: BigCommerceStream, window: Callable[[], Window]) -> None:
        self.parent, self._window = parent, window

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        window = self._window()
        if window is None:
            return
        for record in self.parent.read_records(sync_mode=SyncMode.full_refresh, stream_slice=window or None):
            if isinstance(record, Mapping):
                yield record

    def date_of(self, parent: Mapping[str, Any]) -> Optional[str]:
        cursor = self.parent.spec.cursor
        return parent.get(cursor) if cursor else None


def parent_slice(child: BigCommerceStream, parent: Mapping[str, Any]) -> dict:
    return {"parent_id": parent["id"], "parent": {field: parent.get(source) for field, source in child.spec.parent_fields.items()}}


class PerParentPartitions(PartitionGenerator):
    """One partition per parent, for a child read by one request (or more) per parent."""

    def __init__(self, stream: BigCommerceStream, parents: ParentListing, cursor: Any, repository: MessageRepository,
                 own_window: Callable[[], Window] = lambda: None) -> None:
        self._stream, self._parents, self._cursor, self._repository = stream, parents, cursor, repository
        self._own_window = own_window

    def generate(self) -> Iterable[Partition]:
        own = self._own_window() if self._stream.spec.window else None
        if self._stream.spec.window and own is None:
            return  # the child's own window is empty
        for parent in self._parents:
            if self._stream.forbidden:
                return  # the token lacks this stream's scope: one warning, no request per parent
            stream_slice = {**parent_slice(self._stream, parent), **(own or {})}
            date = self._parents.date_of(parent)
            if hasattr(self._cursor, "opened"):
                self._cursor.opened(parent["id"], date)
            yield _partition(self._stream, stream_slice, self._repository)
        if hasattr(self._cursor, "every_parent_opened"):
            self._cursor.every_parent_opened()


class EmbeddedPartitions(PartitionGenerator):
    """One partition per page of parents, for a child the parent's page already holds (`include=`):
    no request beyond the parent listing, except the fallback reads of parents whose embedded
    children look incomplete."""

    def __init__(self, stream: BigCommerceStream, parents: ParentListing, cursor: Any,
                 fallback: Optional[BigCommerceStream] = None) -> None:
        self._stream, self._parents, self._cursor, self._fallback = stream, parents, cursor, fallback

    def generate(self) -> Iterable[Partition]:
        batch: List[Mapping[str, Any]] = []
        for parent in self._parents:
            batch.append(parent)
            if len(batch) == PARENTS_PER_PARTITION:
                yield self._open(batch)
                batch = []
        if batch:
            yield self._open(batch)
        if hasattr(self._cursor, "every_parent_opened"):
            self._cursor.every_parent_opened()

    def _open(self, parents: List[Mapping[str, Any]]) -> "EmbeddedPartition":
        if hasattr(self._cursor, "opened"):
            self._cursor.opened(parents[0]["id"], self._parents.date_of(parents[0]), self._parents.date_of(parents[-1]))
        return EmbeddedPartition(self._stream, parents, self._fallback)


class EmbeddedPartition(Partition):
    def __init__(self, stream: BigCommerceStream, parents: List[Mapping[str, Any]], fallback: Optional[BigCommerceStream]) -> None:
        self._stream, self._parents, self._fallback = stream, parents, fallback
        self._key = parents[0]["id"]

    def read(self) -> Iterable[Record]:
        spec = self._stream.spec
        for parent in self._parents:
            stream_slice = parent_slice(self._stream, parent)
            children = list(spec.embedded(parent))  # type: ignore[misc]
            if self._fallback is not None and spec.complete is not None and not spec.complete(parent, children):
                # The parent's page says it holds more than it embedded: ask for them the per-parent way.
                records: Iterable[Any] = (r for r in self._fallback.read_records(sync_mode=SyncMode.full_refresh, stream_slice=stream_slice)
                                          if isinstance(r, Mapping))
            else:
                self._stream.stats.emitted(spec.name, len(children))
                records = (self._stream.transform(child, stream_slice) for child in children)
            for record in records:
                yield Record(data=record, stream_name=spec.name, associated_slice=None)

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return {"parent_id": self._key, "parents": len(self._parents)}

    def stream_name(self) -> str:
        return self._stream.spec.name

    def __hash__(self) -> int:
        return hash((self._stream.spec.name, self._key))

    def __repr__(self) -> str:
        return f"EmbeddedPartition({self._stream.spec.name}, from parent {self._key}, {len(self._parents)} parents)"
