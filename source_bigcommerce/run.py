import ctypes
import gc
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from typing import Any, DefaultDict, Iterable, Iterator, List, Mapping, NoReturn, Optional, Tuple

import orjson
from airbyte_cdk.models import (AirbyteConnectionStatus, AirbyteMessage, AirbyteMessageSerializer, AirbyteRecordMessage, AirbyteStateStats,
                                FailureType, Status, TraceType, Type)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.sources.types import Record
from airbyte_cdk.logger import PRINT_BUFFER, is_platform_debug_log_enabled

from .config import BigCommerceConfig, ConfigError
from .partitions import RecordPage
from .source import SourceBigCommerce

# glibc's malloc tuning, set before any worker thread exists: one arena per thread and a moving mmap
# threshold keep freed page buffers (a page of 250 products is megabytes) fragmented in the heap,
# so peak RSS would creep up with the size of the store. (No effect, and no error, elsewhere.)
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8
# The CDK buffers stdout for 0.1 s. At thousands of records a second that is megabytes, and the faster
# the sync the more, so the output is also flushed once it holds this much (characters in the CDK's text
# buffer, bytes in a read's LineWriter).
FLUSH_AT_SIZE = 64 * 1024
# Python's cyclic garbage collector runs a young collection every 700 container allocations, and every
# decoded page is tens of thousands of dicts and lists, none in a cycle: at the default a sync spends
# about a tenth of its CPU collecting. Collections come after this many allocations instead, and what
# start-up built (modules, schemas) is frozen out of every later full collection.
GC_YOUNG_THRESHOLD = 50_000


def _tune_malloc() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):
        pass


def _tune_gc() -> None:
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def _source(args: List[str]) -> SourceBigCommerce:
    # The concurrent framework sizes its worker pool at construction, so config, catalog and state are read first.
    config_path = AirbyteEntrypoint.extract_config(args)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    config = SourceBigCommerce.read_config(config_path) if config_path else None
    if config is not None:
        _refuse_bad_config(args[0] if args else "", config)
    return SourceBigCommerce(
        catalog=SourceBigCommerce.read_catalog(catalog_path) if catalog_path else None,
        config=config,
        state=SourceBigCommerce.read_state(state_path) if state_path else None,
    )


def _refuse_bad_config(command: str, config: Mapping[str, Any]) -> None:
    """Our own messages name the field and what to put there; the CDK's schema check says only what failed."""
    try:
        BigCommerceConfig.from_mapping(config)
    except ConfigError as error:
        if command == "check":
            status = AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
            _print(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status))
            sys.exit(0)
        _fail(error.message)


def run() -> None:
    _tune_malloc()
    args = sys.argv[1:]
    try:
        source = _source(args)
    except SystemExit:
        raise
    except Exception as error:  # an unreadable --config/--catalog/--state file: say which, no traceback
        _fail(f"Could not read the files given to source-bigcommerce: {error}")
    try:
        _launch(source, args)
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise  # a bug or a failure on BigCommerce's side: the CDK reports it with its traceback
        # The sync's closing error ("these streams did not sync"), when each failed on a config error:
        # what to fix is in the message.
        _print(_without_stack_trace(error.as_airbyte_message()))
        sys.exit(1)


def _launch(source: SourceBigCommerce, args: List[str]) -> None:
    """airbyte_cdk.entrypoint.launch, with the output buffer bounded by size as well as by time, and
    records written with every key they hold (see `_read_lines`)."""
    entrypoint = AirbyteEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    with PRINT_BUFFER:  # stdout and the CDK's log handler go through it
        if parsed_args.command == "read":
            output = LineWriter()
            try:
                for line in _read_lines(entrypoint, parsed_args):
                    output.write(line)
            finally:  # also when the sync ends in an error: what was read before it goes out first
                output.flush()
            return
        for message in entrypoint.run(parsed_args):
            PRINT_BUFFER.write(f"{message}\n")  # one write per message: threads' lines never split
            if PRINT_BUFFER.buffer.tell() >= FLUSH_AT_SIZE:
                PRINT_BUFFER.flush()


class LineWriter:
    """The read's messages, one JSON line each, kept as bytes up to stdout: a record is serialized to
    UTF-8 once, where text would be decoded, widened in the CDK's text buffer and encoded again
    (about 12 us of a 2 KB record's 17). Flushed once it holds FLUSH_AT_SIZE bytes or 0.1 s has
    passed since the last flush, as the CDK's buffer is by time; each flush first lets the CDK's
    buffer out (the log lines its handler wrote from any thread) under that buffer's lock, so lines
    never split or mix."""

    INTERVAL_SECONDS = 0.1

    def __init__(self) -> None:
        self._pending = bytearray()
        self._flushed_at = time.monotonic()

    def write(self, line: bytes) -> None:
        self._pending += line
        if len(self._pending) >= FLUSH_AT_SIZE or time.monotonic() - self._flushed_at >= self.INTERVAL_SECONDS:
            self.flush()

    def flush(self) -> None:
        with PRINT_BUFFER.lock:
            PRINT_BUFFER.flush()
            if self._pending:
                sys.__stdout__.buffer.write(self._pending)  # type: ignore[union-attr]
                sys.__stdout__.buffer.flush()  # type: ignore[union-attr]
                self._pending = bytearray()
        self._flushed_at = time.monotonic()


def _read_lines(entrypoint: AirbyteEntrypoint, parsed_args: Any) -> Iterator[bytes]:
    """What `AirbyteEntrypoint.run` does for `read`, except that records are serialized here: the CDK's
    protocol serializer omits every top-level key whose value is null, and a consumer cannot tell a
    null from a field the connector does not send. Every other message is written by the CDK."""
    level = logging.DEBUG if getattr(parsed_args, "debug", False) or is_platform_debug_log_enabled() else logging.INFO
    entrypoint.logger.setLevel(level)
    logging.getLogger("airbyte").setLevel(level)
    source = entrypoint.source
    source_spec = source.spec(entrypoint.logger)
    try:
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as temp_dir:
            config = source.configure(source.read_config(parsed_args.config), temp_dir)
            yield from (_line(queued) for queued in entrypoint._emit_queued_messages(source))
            catalog, state = source.read_catalog(parsed_args.catalog), source.read_state(parsed_args.state)
            _tune_gc()  # start-up is over: what it built stays
            yield from _counted_lines(entrypoint, source_spec, config, catalog, state)
    finally:
        yield from (_line(queued) for queued in entrypoint._emit_queued_messages(source))


def _counted_lines(entrypoint: AirbyteEntrypoint, source_spec: Any, config: Any, catalog: Any, state: Any) -> Iterator[bytes]:
    """`AirbyteEntrypoint.read`: the secret filter, the config check, the record count each STATE
    carries (`sourceStats.recordCount`) and the memory check; the counts are kept by stream name and
    namespace rather than in a descriptor object made per record."""
    entrypoint.set_up_secret_filter(config, source_spec.connectionSpecification)
    if entrypoint.source.check_config_against_spec:
        entrypoint.validate_connection(source_spec, config)
    counts: DefaultDict[Tuple[str, Optional[str]], float] = defaultdict(float)  # floats, as the protocol counts
    memory = entrypoint._memory_monitor
    source: SourceBigCommerce = entrypoint.source  # type: ignore[assignment]
    for item in source.read_items(entrypoint.logger, config, catalog, state):
        kind = type(item)
        messages = 1
        if kind is RecordPage:
            messages = len(item.records)
            counts[(item.stream_name, None)] += messages
            yield _page_lines(item.stream_name, item.records)
        elif kind is Record:
            counts[(item.stream_name, None)] += 1.0
            yield _page_lines(item.stream_name, (item.data,))
        else:
            yield _line(_with_count(item, counts))
        try:
            for _ in range(messages):  # the monitor counts messages: it reads the cgroup's memory every 5,000
                memory.check_memory_usage()
        except AirbyteTracedException:  # about to run out: the last checkpoints go out before the error
            yield from (_line(_with_count(queued, counts)) for queued in entrypoint._emit_queued_messages(entrypoint.source))
            raise
    yield from (_line(_with_count(queued, counts)) for queued in entrypoint._emit_queued_messages(entrypoint.source))


def _with_count(message: AirbyteMessage, counts: DefaultDict[Tuple[str, Optional[str]], float]) -> AirbyteMessage:
    """A STATE carries the count of its stream's records since the stream's previous STATE."""
    if message.type == Type.RECORD:  # a record the source queued rather than yielded
        record = message.record
        counts[(record.stream, record.namespace)] += 1.0  # type: ignore[union-attr]
    elif message.type == Type.STATE and message.state is not None and message.state.stream is not None:
        descriptor = message.state.stream.stream_descriptor
        key = (descriptor.name, descriptor.namespace)
        message.state.sourceStats = message.state.sourceStats or AirbyteStateStats()
        message.state.sourceStats.recordCount = counts.get(key, 0.0)
        counts[key] = 0.0
    return message


def _without_stack_trace(message: AirbyteMessage) -> AirbyteMessage:
    """A config error's TRACE without the traceback the CDK attaches: the user's fix is in the message."""
    error = message.trace.error if message.type == Type.TRACE and message.trace and message.trace.type == TraceType.ERROR else None
    if error is not None and error.failure_type == FailureType.config_error:
        error.stack_trace = None
    return message


def _line(message: AirbyteMessage) -> bytes:
    """One message as a JSON line in UTF-8."""
    if message.type == Type.RECORD and message.record is not None:
        return _record_line(message.record)
    return f"{AirbyteEntrypoint.airbyte_message_to_string(_without_stack_trace(message))}\n".encode()


def _page_lines(stream: str, records: Iterable[Mapping[str, Any]]) -> bytes:
    """The records' RECORD lines, as `_record_line` writes each (no namespace: the connector has none),
    joined; the stream's name is encoded once for all."""
    head = b'{"type":"RECORD","record":{"stream":' + orjson.dumps(stream) + b',"data":'
    emitted_at = b',"emitted_at":' + str(time.time_ns() // 1_000_000).encode() + b'}}\n'
    parts = []
    for data in records:
        try:
            body = orjson.dumps(data)
        except TypeError:  # as in `_record_line`
            body = json.dumps(data, separators=(",", ":")).encode()
        parts += (head, body, emitted_at)
    return b"".join(parts)


def _record_line(record: AirbyteRecordMessage) -> bytes:
    body = {"type": "RECORD", "record": {"stream": record.stream, "data": record.data, "emitted_at": record.emitted_at}}
    if record.namespace is not None:
        body["record"]["namespace"] = record.namespace
    try:
        return orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # an integer past 64 bits or a lone surrogate, which orjson refuses: the standard library
        # writes both exactly, the surrogate as its JSON escape (so as ASCII: no UTF-8 holds a lone surrogate)
        return f"{json.dumps(body, separators=(',', ':'))}\n".encode()


def _fail(message: str) -> NoReturn:
    trace = AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
    _print(trace.as_airbyte_message())
    sys.exit(1)


def _print(message: AirbyteMessage) -> None:
    print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode(), flush=True)
