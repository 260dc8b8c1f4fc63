"""The BigCommerce source: validate the config, check the store, and lay out the streams for the
CDK's concurrent framework (partitions and cursors per stream, one worker pool for all)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from functools import partial
from datetime import datetime, timedelta
from concurrent.futures import ThreadPoolExecutor
from queue import Queue
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from airbyte_cdk.models import (AirbyteCatalog, AirbyteLogMessage, AirbyteMessage, AirbyteStateMessage, ConfiguredAirbyteCatalog, Level, SyncMode,
                                Type)
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.concurrent_source.thread_pool_manager import ThreadPoolManager
from airbyte_cdk.sources.concurrent_source.concurrent_source_adapter import ConcurrentSourceAdapter
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository, MessageRepository
from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.concurrent.adapters import StreamFacade
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField, FinalStateCursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record
from airbyte_cdk.sources.utils.record_helper import stream_data_to_airbyte_message
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_as_airbyte_message
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.models import (AirbyteStreamStatus, AirbyteStreamStatusReason, AirbyteStreamStatusReasonType,
                                AirbyteStreamStatusTraceMessage, AirbyteTraceMessage, FailureType, StreamDescriptor, TraceType)
from airbyte_protocol_dataclasses.models.airbyte_protocol import AirbyteStreamStatusRateLimitedReason
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .check import check_store, readable_scopes
from .config import DEFAULT_WORKERS, BigCommerceConfig, ConfigError
from .cursors import FullRefreshCursor, OwnDatePerParentCursor, ParentCursor, ParentIdCursor, SortedRecordsCursor, UnsortedRecordsCursor
from .dates import UTC
from .partitions import (PARENTS_PER_READ, DeleteScanPartition, EmbeddedPartitions, ParentListing, PerParentPartitions, RecordPage, WholeStreamPartitions,
                         one_window, sync_windows)
from .rate_limit import BigCommerceBudget, InFlightLimit
from .stats import SyncStats
from .streams import BY_NAME, CATALOGUE, STORE_TIME, BigCommerceStream, ByDate, Spec

LOGGER = logging.getLogger("airbyte")
# Items waiting for the main thread (a piece of up to 25 records is one): bounds memory whatever the store size.
QUEUE_SIZE = 4
PENDING_PARTITIONS_PER_WORKER = 4
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "every parent": the window of a child synced in full


class _PendingPartitionsNotice(logging.Filter):
    """airbyte-cdk's thread pool warns once its pending tasks pass twice `max_concurrent_tasks`. Here
    they are bounded by design (generators wait at the limit; what passes it is the partitions already
    queued for the main thread), so on a healthy sync the warning only alarms users: it goes to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith("ThreadPoolManager: The list of futures is getting bigger"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return LOGGER.isEnabledFor(logging.DEBUG)
        return True


class _NoTracebackForConfigErrors(logging.Filter):
    """A stream that fails on a config error (a rejected token, a missing scope, an unknown store) is
    logged by the CDK with the exception's traceback; the user's fix is in the message, so the
    traceback is dropped and the message kept. Any other failure keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, AirbyteTracedException) and error.failure_type == FailureType.config_error:
            record.msg = f"{record.getMessage()}: {error.message}"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


LOGGER.addFilter(_PendingPartitionsNotice())
LOGGER.addFilter(_NoTracebackForConfigErrors())


class PagedConcurrentSource(ConcurrentSource):
    """The CDK's concurrent source, whose main thread passes records on as they came off the queue (a
    `Record`, or a piece of a page, `RecordPage`) instead of making a protocol message of each: the output
    writes them itself (run.py), and `SourceBigCommerce.read` makes the messages for other callers.
    What the CDK's `ConcurrentReadProcessor.on_record` does besides stays: the stream's RUNNING
    status before its first record, its record count (the "Read N records" log line), and the
    messages queued meanwhile. Every other queue item goes to the CDK's own handling."""

    def _handle_item(self, queue_item: Any, concurrent_stream_processor: Any) -> Iterator[Any]:
        kind = type(queue_item)
        if kind is not RecordPage and kind is not Record:
            yield from super()._handle_item(queue_item, concurrent_stream_processor)
            return
        name = queue_item.stream_name
        counter = concurrent_stream_processor._record_counter
        if counter[name] == 0:
            stream = concurrent_stream_processor._stream_name_to_instance[name]
            self._logger.info(f"Marking stream {name} as RUNNING")
            yield stream_status_as_airbyte_message(stream.as_airbyte_stream(), AirbyteStreamStatus.RUNNING)
        counter[name] += len(queue_item.records) if kind is RecordPage else 1
        yield queue_item
        yield from self._message_repository.consume_queue()


class PromptThreadPoolManager(ThreadPoolManager):
    """The CDK's thread pool manager, whose check for room (`prune_to_validate_has_reached_futures_limit`)
    waits at the cap, at most `WAIT_SECONDS`, instead of answering "full" at once.
    The CDK's partition enqueuer sleeps 100 ms each time it hears "full": against a store that answers
    in a millisecond, the readers then ran dry between its naps (a sync of one request per order took
    20 ms a request with one worker, and 11 s instead of 8 with eight). Here a generator at the cap
    (the CDK's) is woken once a quarter of it has finished, and adds partitions until the cap again.
    If the cap is still reached after `WAIT_SECONDS`, the generator goes to the CDK's nap."""

    WAIT_SECONDS = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._submitted = self._finished = 0
        self._room = threading.Condition()

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        future = self._threadpool.submit(function, *args)  # counted once the pool has taken it
        with self._room:
            self._submitted += 1
        future.add_done_callback(self._on_finished)  # at once if it has already finished
        self._futures.append(future)

    def _on_finished(self, _future: Any) -> None:
        with self._room:
            self._finished += 1
            if self._submitted - self._finished <= self._refill_below:
                self._room.notify_all()

    @property
    def _refill_below(self) -> int:
        # A generator woken at the cap less a quarter adds that quarter at once, rather than waking
        # for every task that finishes (each wake is a switch between threads).
        return self._max_concurrent_tasks - max(1, self._max_concurrent_tasks // 4)

    def prune_to_validate_has_reached_futures_limit(self) -> bool:
        # Tasks not finished are what the CDK's pruning leaves (a task the main thread submits
        # meanwhile, put on the queue earlier, counts too). Below the cap the CDK prunes and answers;
        # at the cap, wait until a quarter of it has finished.
        with self._room:
            if self._submitted - self._finished >= self._max_concurrent_tasks:
                self._room.wait_for(lambda: self._submitted - self._finished <= self._refill_below, timeout=self.WAIT_SECONDS)
        return super().prune_to_validate_has_reached_futures_limit()


class SourceBigCommerce(ConcurrentSourceAdapter):
    def __init__(self, catalog: Optional[ConfiguredAirbyteCatalog] = None, config: Optional[Mapping[str, Any]] = None,
                 state: Optional[List[AirbyteStateMessage]] = None) -> None:
        workers = _workers(config)
        queue: Queue = Queue(maxsize=QUEUE_SIZE)
        self._repository = ConcurrentMessageRepository(queue, InMemoryMessageRepository())
        # Every selected stream generates its partitions from the start, so each hands out its newest
        # window (and its newest parents' children) at the start of the sync, instead of streams
        # starting one after another. Generators get a thread each beside the `num_workers`
        # readers, so a generator waiting for pending partitions never starves the readers it waits on;
        # the requests on the wire are capped at `num_workers` by `InFlightLimit`, whatever the threads.
        self._workers = workers
        generators = len(catalog.streams) if catalog is not None else len(CATALOGUE)
        super().__init__(PagedConcurrentSource(
            threadpool=PromptThreadPoolManager(ThreadPoolExecutor(max_workers=workers + generators, thread_name_prefix="workerpool"), LOGGER,
                                         # Generators wait while this many tasks are pending. The generators are tasks
                                         # too, so each counts once: fewer, and they would all wait on each other.
                                         max_concurrent_tasks=PENDING_PARTITIONS_PER_WORKER * workers + generators),
            logger=LOGGER, slice_logger=DebugSliceLogger(), queue=queue, message_repository=self._repository,
            initial_number_partitions_to_generate=max(1, generators),
        ))
        self._catalog, self._state = catalog, state
        self._stats = SyncStats()

    @property
    def message_repository(self) -> MessageRepository:
        return self._repository

    def read(self, logger: logging.Logger, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog,
             state: Optional[List[AirbyteStateMessage]] = None) -> Iterator[AirbyteMessage]:
        """The sync as protocol messages (what the CDK's entrypoint and test harnesses read)."""
        for item in self.read_items(logger, config, catalog, state):
            kind = type(item)
            if kind is RecordPage:
                for data in item.records:
                    yield stream_data_to_airbyte_message(item.stream_name, data)
            elif kind is Record:
                yield stream_data_to_airbyte_message(item.stream_name, item.data)
            else:
                yield item

    def read_items(self, logger: logging.Logger, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog,
                   state: Optional[List[AirbyteStateMessage]] = None) -> Iterator[Any]:
        """The sync as it leaves the main thread: protocol messages, and the records as `Record`s and
        `RecordPage`s, in the order they are to be written (run.py writes each record itself)."""
        # Built without them (as test harnesses do), the source takes catalog and state from the read itself.
        self._catalog = self._catalog or catalog
        self._state = self._state if self._state is not None else state
        try:
            yield from ConcurrentSourceAdapter.read(self, logger, config, catalog, state)
        finally:  # also when a stream failed: say what each stream cost
            for stream in sorted(self._stats.streams):
                yield AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message=self._stats.streams[stream].line(stream)))

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Tuple[bool, Optional[str]]:
        try:
            settings = BigCommerceConfig.from_mapping(config)
        except ConfigError as error:
            return False, error.message
        _warn_if_future(settings)
        return check_store(settings, logger)

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        """Only the streams the token can read (one cheap probe per scope), so none is selected that cannot work."""
        catalog = super().discover(logger, config)
        readable, problem = readable_scopes(BigCommerceConfig.from_mapping(config))
        if problem is None and not readable:
            problem = "The access token can read none of the streams (403 on every scope): check `access_token` and its API account's scopes."
        if problem:
            raise AirbyteTracedException(message=problem, internal_message=problem, failure_type=FailureType.config_error)
        names = {spec.name for spec in CATALOGUE if spec.scope in readable}
        catalog.streams = [stream for stream in catalog.streams if stream.name in names]
        return catalog

    def streams(self, config: Mapping[str, Any]) -> List[Stream]:
        settings = BigCommerceConfig.from_mapping(config)
        _warn_if_future(settings)
        budget = BigCommerceBudget(on_wait=RateLimitedStatus(self._repository))
        layout = _Layout(settings, ConnectorStateManager(state=self._state), self._repository, self._catalog,
                         budget, self._stats, InFlightLimit(self._workers))  # one quota, one cap, one tally
        return [layout.build(spec) for spec in CATALOGUE]


class _Layout:
    """Builds each declared stream: the stream object, its partitions and cursor, in the framework's facade."""

    def __init__(self, settings: BigCommerceConfig, state_manager: ConnectorStateManager, repository: MessageRepository,
                 catalog: Optional[ConfiguredAirbyteCatalog], budget: BigCommerceBudget, stats: SyncStats,
                 in_flight: InFlightLimit) -> None:
        self.settings, self.state_manager, self.repository = settings, state_manager, repository
        self.budget, self.stats, self.in_flight = budget, stats, in_flight
        self._endpoint_limits: Dict[str, InFlightLimit] = {}
        self.modes = None if catalog is None else {c.stream.name: c.sync_mode for c in catalog.streams}
        # The platform's id of this sync (Airbyte: the job, the same for each of its attempts), per stream
        self.sync_ids = {} if catalog is None else {c.stream.name: c.sync_id for c in catalog.streams if c.sync_id is not None}
        self._now: Optional[datetime] = None
        self._round_trip: Optional[float] = None  # seconds GET /v2/time took
        self._clock_lock = threading.Lock()

    @property
    def now(self) -> datetime:
        """The store's clock when the sync started (GET /v2/time, once per sync): every window ends there."""
        with self._clock_lock:
            if self._now is None:
                asked = time.monotonic()
                self._now = store_clock(self.stream(STORE_TIME))
                self._round_trip = time.monotonic() - asked
            return self._now

    def stream(self, spec: Spec, reported_as: Optional[str] = None) -> BigCommerceStream:
        limits = (self.in_flight,)
        if spec.max_in_flight:  # the endpoint's own cap on simultaneous requests, shared by the stream's workers
            limits += (self._endpoint_limits.setdefault(spec.path, InFlightLimit(spec.max_in_flight)),)
        return BigCommerceStream(spec, self.settings, api_budget=self.budget, stats=self.stats, reported_as=reported_as,
                                 in_flight=limits)

    def windows(self, name: str, cursor: Any, sliced: bool = False) -> List[Mapping[str, Any]]:
        newest = timedelta(days=self.settings.newest_first_days) if self.settings.newest_first_days else None
        return sync_windows(self.settings.start_date, cursor, self.reads_from_state(name), self.now, newest_first=newest,
                            slices=self.parallel_slices() if sliced else 1)

    def parallel_slices(self) -> int:
        """How many slices a long stretch of a sorted listing is read in: one per worker when the workers
        cannot spend the store's quota (quota per second x a round trip >= workers: each worker waits on
        its request longer than the quota makes it wait), else one, since each slice costs a request
        and on a quota that is the limit requests are time. The round trip is the clock's, the smallest
        request there is, so a listing's pages take longer and the rule errs towards one slice."""
        self.now  # the clock's answer tells the quota and the round trip
        rate = self.budget.quota_per_second()
        if not self.settings.parallel_date_slices or rate is None or self._round_trip is None:
            return 1
        workers = self.settings.num_workers
        return workers if rate * self._round_trip >= workers else 1

    def everything(self, parent: Spec) -> Mapping[str, str]:
        """The slice that lists every parent: from the epoch for a date-keyset parent, else no filter."""
        return {"start": EPOCH.isoformat(), "end": self.now.isoformat()} if isinstance(parent.paging, ByDate) else {}

    def cursor(self, kind: type, stream: BigCommerceStream, **options: Any) -> Any:
        return kind(stream.name, stream.cursor_field, self.state_for(stream.name), self.repository,
                    self.state_manager, self.settings.start_date, stamp=self.stamp(stream.name), **options)

    def incremental(self, name: str) -> bool:
        return self.modes is None or self.modes.get(name) == SyncMode.incremental

    # A full refresh resumes only a state its own sync wrote (the catalog's `sync_id`, which Airbyte keeps
    # across a job's attempts): a new sync replaces the table, so it must read the stream whole, even if
    # the platform hands it the last sync's state (airbytehq/airbyte#42468).
    def stamp(self, name: str) -> Dict[str, int]:
        """What a full refresh writes into its state so that only its own sync resumes from it."""
        return {} if self.incremental(name) or name not in self.sync_ids else {"sync_id": self.sync_ids[name]}

    def resumes(self, name: str) -> bool:
        """A full refresh given a state its own sync wrote: an attempt after one that stopped."""
        stamp = self.stamp(name)
        return bool(stamp) and (self.state_manager.get_stream_state(name, None) or {}).get("sync_id") == stamp["sync_id"]

    def reads_from_state(self, name: str) -> bool:
        return self.incremental(name) or self.resumes(name)

    def state_for(self, name: str) -> Mapping[str, Any]:
        if not self.reads_from_state(name):
            return {}  # a full refresh reads everything, whatever an earlier sync reached
        return {k: v for k, v in (self.state_manager.get_stream_state(name, None) or {}).items() if k != "sync_id"}

    def delete_scan(self, spec: Spec, cursor: Any) -> Optional[Callable[[], DeleteScanPartition]]:
        """With `detect_deletes`, an incremental stream that declares how to list its ids also scans them."""
        if not (self.settings.detect_deletes and spec.deletes and self.incremental(spec.name)):
            return None
        lister = self.stream(replace(spec, paging=spec.deletes.paging, params=spec.deletes.params, window=None, estimates_rows=False),
                             reported_as=spec.name)
        return lambda: DeleteScanPartition(lister, cursor, lambda: self.now)

    def parent_lister(self, spec: Spec, parent: Spec) -> BigCommerceStream:
        """The child's own listing of its parents, asking for what the child needs; its requests count as the child's."""
        return self.stream(replace(parent, params={**parent.params, **spec.parent_params}, estimates_rows=False), reported_as=spec.name)

    def build(self, spec: Spec) -> Stream:
        stream = self.stream(spec)
        if spec.parent is None:
            if not spec.incremental:
                if not self.stamp(spec.name):
                    return self.facade(stream, WholeStreamPartitions(stream, self.repository), FinalStateCursor(spec.name, None, self.repository))
                whole = FullRefreshCursor(spec.name, self.state_for(spec.name), self.repository, self.state_manager, self.sync_ids[spec.name])
                stream.on_page = whole.page_read  # a checkpoint per page, to resume mid-way in a later attempt
                return self.facade(stream, WholeStreamPartitions(stream, self.repository, whole.partitions), whole)
            cursor = self.cursor(SortedRecordsCursor if spec.paging.sorted_by_cursor else UnsortedRecordsCursor, stream)
            if isinstance(cursor, UnsortedRecordsCursor):
                stream.on_page = cursor.page_read  # a checkpoint per page, to resume a window mid-way
            scan = self.delete_scan(spec, cursor)
            windows = partial(self.windows, spec.name, cursor, sliced=isinstance(cursor, SortedRecordsCursor))
            return self.facade(stream, WholeStreamPartitions(stream, self.repository, windows, scan), cursor)
        parent = BY_NAME[spec.parent]
        if spec.incremental and spec.window is None:  # synced by its parent's cursor
            # A checkpoint per about 50 parents: every partition when it holds 50 (embedded children), else every
            # 50 // PARENTS_PER_READ partitions.
            cursor: Any = self.cursor(ParentCursor, stream, checkpoint_every=1 if spec.embedded is not None else max(1, 50 // PARENTS_PER_READ))
            parents = ParentListing(self.parent_lister(spec, parent), lambda: self.windows(spec.name, cursor))
        elif not spec.incremental and self.stamp(spec.name) and spec.embedded is not None and parent.deletes is not None:
            # A full refresh of children on their parents' pages, resumable in a later attempt: the parents
            # are listed by id (the listing the parent declares for its delete scan), progress kept by id.
            by_id = replace(parent, paging=parent.deletes.paging, params={**parent.params, **spec.parent_params}, estimates_rows=False)
            cursor = ParentIdCursor(spec.name, self.state_for(spec.name), self.repository, self.state_manager, self.sync_ids[spec.name])
            parents = ParentListing(self.stream(by_id, reported_as=spec.name), cursor.listing)
        else:
            cursor = self.cursor(OwnDatePerParentCursor, stream) if spec.incremental else FinalStateCursor(spec.name, None, self.repository)
            parents = ParentListing(self.parent_lister(spec, parent), lambda: [self.everything(parent)])
        if spec.embedded is not None:
            fallback = self.stream(replace(spec, path=spec.fallback, embedded=None)) if spec.fallback else None
            partitions: PartitionGenerator = EmbeddedPartitions(stream, parents, cursor, fallback)
        else:
            partitions = PerParentPartitions(stream, parents, cursor, self.repository,
                                             own_window=lambda: one_window(self.windows(spec.name, cursor)))
        return self.facade(stream, partitions, cursor)

    def facade(self, stream: BigCommerceStream, partitions: PartitionGenerator, cursor: Cursor) -> Stream:
        return StreamFacade(
            DefaultStream(
                partition_generator=partitions,
                name=stream.name,
                json_schema=stream.get_json_schema,
                primary_key=stream.primary_key,
                cursor_field=CursorField(stream.cursor_field) if stream.cursor_field else None,
                logger=LOGGER,
                cursor=cursor,
            ),
            stream, cursor, slice_logger=DebugSliceLogger(), logger=LOGGER,
        )


class RateLimitedStatus:
    """A stream waiting for the store's quota window says so, once per window: a RUNNING stream status
    with the RATE_LIMITED reason and when the quota resets (Airbyte protocol 0.11)."""

    def __init__(self, repository: MessageRepository) -> None:
        self._repository, self._said, self._lock = repository, set(), threading.Lock()

    def __call__(self, stream: Optional[str], wait: timedelta) -> None:
        if not stream:
            return
        reset_ms = int((time.time() + wait.total_seconds()) * 1000)
        with self._lock:
            key = (stream, reset_ms // 1000)
            if key in self._said:
                return
            self._said.add(key)
        status = AirbyteStreamStatusTraceMessage(
            stream_descriptor=StreamDescriptor(name=stream), status=AirbyteStreamStatus.RUNNING,
            reasons=[AirbyteStreamStatusReason(type=AirbyteStreamStatusReasonType.RATE_LIMITED,
                                               rate_limited=AirbyteStreamStatusRateLimitedReason(quota_reset=reset_ms))])
        self._repository.emit_message(AirbyteMessage(type=Type.TRACE, trace=AirbyteTraceMessage(
            type=TraceType.STREAM_STATUS, emitted_at=time.time() * 1000, stream_status=status)))


def store_clock(stream: BigCommerceStream) -> datetime:
    for record in stream.read_records(sync_mode=SyncMode.full_refresh, stream_slice=None):
        seconds = record.get("time") if isinstance(record, Mapping) else None
        if isinstance(seconds, int) and not isinstance(seconds, bool):
            return datetime.fromtimestamp(seconds, tz=UTC)
    raise AirbyteTracedException(message="BigCommerce's GET /v2/time did not tell the store's time.",
                                 failure_type=FailureType.system_error)


def _workers(config: Optional[Mapping[str, Any]]) -> int:
    workers = (config or {}).get("num_workers", DEFAULT_WORKERS)
    return workers if isinstance(workers, int) and not isinstance(workers, bool) and 1 <= workers <= 32 else DEFAULT_WORKERS


def _warn_if_future(settings: BigCommerceConfig) -> None:
    if settings.start_date_in_future:
        LOGGER.warning(f"start_date {settings.start_date.isoformat()} is in the future: incremental streams will emit nothing until then.")
