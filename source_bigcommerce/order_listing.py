"""The orders of the sync's window, listed once for every stream that needs them.

The orders stream emits them; order_products and transactions make one partition per order. Listing
the window three times would cost two extra requests per 250 orders, which is most of an incremental
sync's cost when few orders changed. So the first reader fetches each chunk and the others read it
from memory; a chunk is dropped once every reader has passed it. A reader running ahead waits while it
is MAX_CHUNKS_AHEAD chunks in front of the slowest reader, so memory stays bounded whatever the store
size; a reader that has not started within START_GRACE_SECONDS is let go, and lists on its own when
it does start (the framework may schedule it late).
"""

from __future__ import annotations

import threading
import time
from itertools import islice
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional

from airbyte_cdk.models import SyncMode

from .dates import format_date, parse_date
from .pagination import PAGE_LIMIT

Window = Optional[Mapping[str, str]]
MAX_CHUNKS_AHEAD = 2
START_GRACE_SECONDS = 10.0


class SharedOrderListing:
    def __init__(self, new_orders_stream: Callable[[], Any], windows: Mapping[str, Window]) -> None:
        self._new_stream = new_orders_stream
        self._window_of = dict(windows)  # reader -> its window, from the state the sync started with
        self._condition = threading.Condition()
        self._chunks: List[List[Mapping[str, Any]]] = []
        self._first_chunk = 0  # index of self._chunks[0] in the whole listing
        self._positions: Dict[str, int] = {r: 0 for r, w in windows.items() if w is not None}  # readers still sharing
        self._started: set = set()
        self._waiting_since: Dict[str, float] = {}
        self._source: Optional[Iterator[Mapping[str, Any]]] = None
        self._fetching = False
        self._exhausted = False
        self._error: Optional[BaseException] = None
        self._window: Window = None

    def orders(self, reader: str) -> Iterator[Mapping[str, Any]]:
        """The orders in `reader`'s window, in date order."""
        try:
            yield from self._orders(reader)
        finally:  # done, failed or abandoned: stop holding chunks for this reader
            self._leave(reader)

    def _orders(self, reader: str) -> Iterator[Mapping[str, Any]]:
        own = self._window_of[reader]
        if own is None:
            return
        with self._condition:
            self._started.add(reader)
        start = parse_date(own["start"])
        index, last_date, ids_at_last_date = 0, None, set()  # type: ignore[var-annotated]
        while True:
            chunk = self._chunk(reader, index)
            if chunk is None:
                break
            for order in chunk:
                moment = parse_date(order["date_modified"])
                if moment < start:
                    continue
                ids_at_last_date = ids_at_last_date if moment == last_date else set()
                last_date = moment
                ids_at_last_date.add(order["id"])
                yield order
            index += 1
        if reader not in self._positions and not self._finished_for(reader, index):
            # Let go for falling behind: list the rest alone, from the last date read (inclusive).
            resume_from = last_date or start
            yield from (o for o in self._read_alone({"start": format_date(resume_from), "end": own["end"]})
                        if not (parse_date(o["date_modified"]) == last_date and o["id"] in ids_at_last_date))

    # -- sharing
    def _chunk(self, reader: str, index: int) -> Optional[List[Mapping[str, Any]]]:
        with self._condition:
            while True:
                if reader not in self._positions:
                    return None
                if self._positions[reader] != index:
                    self._positions[reader] = index
                    self._forget_passed_chunks()
                    self._condition.notify_all()  # a reader waiting to run ahead may go on
                if self._error is not None:
                    raise self._error
                if index - self._first_chunk < len(self._chunks):
                    return self._chunks[index - self._first_chunk]
                if self._exhausted:
                    self._leave_locked(reader)
                    return None
                if not self._fetching and not self._too_far_ahead(index):
                    break
                self._condition.wait(timeout=1.0)
            self._fetching = True
        try:
            chunk = list(islice(self._listing(), PAGE_LIMIT))
        except BaseException as error:
            with self._condition:
                self._error, self._fetching = error, False
                self._condition.notify_all()
            raise
        with self._condition:
            self._fetching = False
            if chunk:
                self._chunks.append(chunk)
            else:
                self._exhausted = True
            self._condition.notify_all()
        return self._chunk(reader, index)

    def _listing(self) -> Iterator[Mapping[str, Any]]:
        if self._source is None:
            windows = [w for w in self._window_of.values() if w is not None]
            self._window = {"start": min((w["start"] for w in windows), key=parse_date), "end": windows[0]["end"]}
            self._source = iter(self._new_stream().read_records(sync_mode=SyncMode.full_refresh, stream_slice=self._window))
        return self._source

    def _too_far_ahead(self, index: int) -> bool:
        """Fetching chunk `index` would put this reader too far ahead: wait for the others, but let go of
        one that has not started within START_GRACE_SECONDS."""
        for reader, position in list(self._positions.items()):
            if index - position >= MAX_CHUNKS_AHEAD:
                waited = time.monotonic() - self._waiting_since.setdefault(reader, time.monotonic())
                if reader not in self._started and waited > START_GRACE_SECONDS:
                    del self._positions[reader]
                else:
                    return True
        return False

    def _forget_passed_chunks(self) -> None:
        if not self._positions:
            self._chunks.clear()
            return
        slowest = min(self._positions.values(), default=self._first_chunk + len(self._chunks))
        drop = max(0, slowest - self._first_chunk)
        if drop:
            del self._chunks[:drop]
            self._first_chunk += drop

    def _finished_for(self, reader: str, index: int) -> bool:
        with self._condition:
            return self._exhausted and index >= self._first_chunk + len(self._chunks)

    def _leave(self, reader: str) -> None:
        with self._condition:
            self._leave_locked(reader)

    def _leave_locked(self, reader: str) -> None:
        self._positions.pop(reader, None)
        self._forget_passed_chunks()
        self._condition.notify_all()

    def _read_alone(self, window: Mapping[str, str]) -> Iterator[Mapping[str, Any]]:
        yield from self._new_stream().read_records(sync_mode=SyncMode.full_refresh, stream_slice=window)
