"""The BigCommerce source: validate the config, check the store, and lay out the streams for the
CDK's concurrent framework (partitions and cursors per stream, one worker pool for all)."""

from __future__ import annotations

import logging
from datetime import datetime
from concurrent.futures import ThreadPoolExecutor
from queue import Queue
from typing import Any, Iterator, List, Mapping, Optional, Tuple

from airbyte_cdk.models import (AirbyteLogMessage, AirbyteMessage, AirbyteStateMessage, ConfiguredAirbyteCatalog, Level, SyncMode,
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
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger

from .check import check_store
from .config import DEFAULT_WORKERS, BigCommerceConfig, ConfigError
from .cursors import PerOrderCursor, SortedRecordsCursor, UnsortedRecordsCursor
from .dates import UTC
from .order_listing import SharedOrderListing
from .rate_limit import BigCommerceBudget
from .stats import SyncStats
from .partitions import PerOrderPartitions, WholeStreamPartitions, sync_window
from .streams import Brands, Categories, Channels, Customers, OrderProducts, Orders, Pages, Products, Store, Transactions
from .streams.base import BigCommerceStream

LOGGER = logging.getLogger("airbyte")
QUEUE_SIZE = 100  # records waiting for the main thread: bounds memory whatever the store size
GENERATORS = 3  # streams generating partitions at once
PENDING_PARTITIONS_PER_THREAD = 4


class SourceBigCommerce(ConcurrentSourceAdapter):
    def __init__(self, catalog: Optional[ConfiguredAirbyteCatalog] = None, config: Optional[Mapping[str, Any]] = None,
                 state: Optional[List[AirbyteStateMessage]] = None) -> None:
        workers = _workers(config)
        queue: Queue = Queue(maxsize=QUEUE_SIZE)
        self._repository = ConcurrentMessageRepository(queue, InMemoryMessageRepository())
        # Partition generators (which list orders) get threads of their own, so a generator never starves
        # the readers it feeds, and there are always two partition readers: the orders reader may wait for
        # the children's generators, which wait for pending partitions that only another reader can finish.
        # The budget keeps the requests on the wire at `num_workers`, whatever the thread count.
        self._workers = workers
        threads = max(workers, 2) + GENERATORS
        super().__init__(ConcurrentSource(
            threadpool=ThreadPoolManager(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="workerpool"), LOGGER,
                                         # Generators wait while this many partitions are pending: memory stays flat.
                                         max_concurrent_tasks=PENDING_PARTITIONS_PER_THREAD * threads),
            logger=LOGGER, slice_logger=DebugSliceLogger(), queue=queue, message_repository=self._repository,
            initial_number_partitions_to_generate=GENERATORS,
        ))
        self._catalog, self._state = catalog, state
        self._stats = SyncStats()

    @property
    def message_repository(self) -> MessageRepository:
        return self._repository

    def read(self, logger: logging.Logger, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog,
             state: Optional[List[AirbyteStateMessage]] = None) -> Iterator[AirbyteMessage]:
        # Built without them (as test harnesses do), the source takes catalog and state from the read itself.
        self._catalog = self._catalog or catalog
        self._state = self._state if self._state is not None else state
        try:
            yield from super().read(logger, config, catalog, state)
        finally:  # also when a stream failed: say what each stream cost
            for stream in sorted(self._stats.streams):
                yield AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message=self._stats.streams[stream].line(stream)))

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Tuple[bool, Optional[str]]:
        try:
            settings = BigCommerceConfig.from_mapping(config)
        except ConfigError as error:
            return False, error.message
        _warn_if_future(settings)
        return check_store(settings)

    def streams(self, config: Mapping[str, Any]) -> List[Stream]:
        settings = BigCommerceConfig.from_mapping(config)
        _warn_if_future(settings)
        # One quota for every stream and worker; one tally for the summary the sync ends with.
        shared = {"config": settings, "api_budget": BigCommerceBudget(max_in_flight=self._workers), "stats": self._stats}
        layout = _Layout(settings, ConnectorStateManager(state=self._state), self._repository, self._catalog)
        orders = Orders(**shared)
        order_products, transactions = OrderProducts(**shared), Transactions(**shared)
        cursors = {"orders": layout.cursor(SortedRecordsCursor, orders),
                   "order_products": layout.cursor(PerOrderCursor, order_products),
                   "transactions": layout.cursor(PerOrderCursor, transactions)}
        # One listing of the window's orders for the orders stream and both children.
        orders.listing = SharedOrderListing(
            lambda: Orders(**shared),
            {name: layout.window(name, cursor) for name, cursor in cursors.items() if layout.selected(name)},
        )
        return [
            layout.sorted(Customers(**shared)),
            layout.facade(orders, WholeStreamPartitions(orders, self._repository, lambda: layout.window("orders", cursors["orders"])),
                          cursors["orders"]),
            layout.facade(order_products, PerOrderPartitions(order_products, orders.listing, cursors["order_products"], self._repository),
                          cursors["order_products"]),
            layout.facade(transactions, PerOrderPartitions(transactions, orders.listing, cursors["transactions"], self._repository),
                          cursors["transactions"]),
            layout.sorted(Products(**shared)),
            layout.whole(Brands(**shared)),
            layout.whole(Categories(**shared)),
            layout.whole(Pages(**shared)),
            layout.unsorted(Channels(**shared)),
            layout.whole(Store(**shared)),
        ]


class _Layout:
    """Wraps each stream in the framework's facade with the partitions and cursor it reads with."""

    def __init__(self, settings: BigCommerceConfig, state_manager: ConnectorStateManager, repository: MessageRepository,
                 catalog: Optional[ConfiguredAirbyteCatalog]) -> None:
        self.settings, self.state_manager, self.repository = settings, state_manager, repository
        self.modes = None if catalog is None else {c.stream.name: c.sync_mode for c in catalog.streams}
        self.now = datetime.now(tz=UTC).replace(microsecond=0)  # one "now" for every stream of this sync

    def selected(self, name: str) -> bool:
        return self.modes is None or name in self.modes

    def window(self, name: str, cursor: Any) -> Optional[Mapping[str, str]]:
        incremental = self.modes is None or self.modes.get(name) == SyncMode.incremental
        return sync_window(self.settings.start_date, cursor, incremental, self.now)

    def cursor(self, kind: type, stream: BigCommerceStream) -> Any:
        return kind(stream.name, stream.cursor_field, self.state_manager.get_stream_state(stream.name, None), self.repository,
                    self.state_manager, self.now)

    def sorted(self, stream: BigCommerceStream) -> Stream:
        return self._windowed(stream, self.cursor(SortedRecordsCursor, stream))

    def unsorted(self, stream: BigCommerceStream) -> Stream:
        return self._windowed(stream, self.cursor(UnsortedRecordsCursor, stream))

    def whole(self, stream: BigCommerceStream) -> Stream:
        return self.facade(stream, WholeStreamPartitions(stream, self.repository), FinalStateCursor(stream.name, None, self.repository))

    def _windowed(self, stream: BigCommerceStream, cursor: Any) -> Stream:
        return self.facade(stream, WholeStreamPartitions(stream, self.repository, lambda: self.window(stream.name, cursor)), cursor)

    def facade(self, stream: BigCommerceStream, partitions: PartitionGenerator, cursor: Cursor) -> Stream:
        return StreamFacade(
            DefaultStream(
                partition_generator=partitions,
                name=stream.name,
                json_schema=stream.get_json_schema,
                primary_key=[stream.primary_key],
                cursor_field=CursorField(stream.cursor_field) if stream.cursor_field else None,
                logger=LOGGER,
                cursor=cursor,
            ),
            stream, cursor, slice_logger=DebugSliceLogger(), logger=LOGGER,
        )


def _workers(config: Optional[Mapping[str, Any]]) -> int:
    workers = (config or {}).get("num_workers", DEFAULT_WORKERS)
    return workers if isinstance(workers, int) and not isinstance(workers, bool) and 1 <= workers <= 32 else DEFAULT_WORKERS


def _warn_if_future(settings: BigCommerceConfig) -> None:
    if settings.start_date_in_future:
        LOGGER.warning(f"start_date {settings.start_date.isoformat()} is in the future: incremental streams will emit nothing until then.")
