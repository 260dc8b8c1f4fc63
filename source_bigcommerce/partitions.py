"""Which partitions each stream is read in, for the CDK's concurrent framework.

Top-level streams are one partition each (the sync's date window, or the whole resource): their
paginators are keysets, which read one page after another. The per-order children are one partition
per order in the window, so many run in parallel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Mapping, Optional

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.adapters import StreamPartition
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator

from .cursors import DateStateCursor, PerOrderCursor
from .dates import format_date
from .order_listing import SharedOrderListing
from .streams.base import BigCommerceStream


def sync_window(start_date: datetime, cursor: Optional[DateStateCursor], incremental: bool, now: datetime) -> Optional[Mapping[str, str]]:
    """`start <= date_modified <= end`, ending at the sync's start so records changed while we read are
    left for the next sync. None when the window is empty (a start date or state in the future)."""
    start = start_date
    if incremental and cursor is not None and cursor.value is not None:
        start = max(start, cursor.value)
    return {"start": format_date(start), "end": format_date(now)} if start <= now else None


def _partition(stream: BigCommerceStream, stream_slice: Optional[Mapping[str, Any]], repository: MessageRepository) -> StreamPartition:
    cursor_field = [stream.cursor_field] if stream.cursor_field else None
    return StreamPartition(stream, stream_slice, repository, SyncMode.full_refresh, cursor_field, {})


class WholeStreamPartitions(PartitionGenerator):
    """One partition: the window for incremental streams, everything for full-refresh ones."""

    def __init__(self, stream: BigCommerceStream, repository: MessageRepository,
                 window: Callable[[], Optional[Mapping[str, str]]] = lambda: {}) -> None:
        self._stream, self._repository, self._window = stream, repository, window

    def generate(self) -> Iterable[Partition]:
        stream_slice = self._window()
        if stream_slice is not None:
            yield _partition(self._stream, stream_slice or None, self._repository)


class PerOrderPartitions(PartitionGenerator):
    """One partition per order in the window, in date order, from the listing shared with the orders stream."""

    def __init__(self, stream: BigCommerceStream, listing: SharedOrderListing, cursor: PerOrderCursor,
                 repository: MessageRepository) -> None:
        self._stream, self._listing, self._cursor, self._repository = stream, listing, cursor, repository

    def generate(self) -> Iterable[Partition]:
        for order in self._listing.orders(self._stream.name):
            if self._stream.forbidden:
                return  # the token lacks this stream's scope: one warning, no request per order
            self._cursor.opened(order["id"], order["date_modified"])
            yield _partition(self._stream, {"order_id": order["id"], "order_date_modified": order["date_modified"]}, self._repository)
        self._cursor.every_order_opened()
