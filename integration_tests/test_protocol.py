"""Every line the `source-bigcommerce` command prints is an Airbyte protocol message, and a sync tells
the platform what it needs: per-stream state, record timestamps, stream statuses in order, clean logs.

Messages are checked against the protocol's own models (airbyte-protocol-models), strictly: the models
accept fields they do not define, so any such field is reported here, as is a message whose payload
does not match its type.
"""

from __future__ import annotations

import time
from typing import Dict, Iterator, List, Set, Tuple

import pytest
from airbyte_protocol.models import AirbyteMessage, AirbyteStateBlob, AirbyteStateType, Level, TraceType, Type
from pydantic import BaseModel, ValidationError

from .connector import STREAMS, Run, catalog_for, config_for, run_connector

PAYLOAD = {
    Type.RECORD: "record", Type.STATE: "state", Type.LOG: "log", Type.SPEC: "spec", Type.CONNECTION_STATUS: "connectionStatus",
    Type.CATALOG: "catalog", Type.TRACE: "trace", Type.CONTROL: "control", Type.DESTINATION_CATALOG: "destination_catalog",
}
TRACE_PAYLOAD = {TraceType.ERROR: "error", TraceType.ESTIMATE: "estimate", TraceType.STREAM_STATUS: "stream_status", TraceType.ANALYTICS: "analytics"}
PROTOCOL_LEVELS = {"FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"}


def unknown_fields(model: BaseModel, path: str = "$") -> Iterator[str]:
    """Fields the protocol does not define, anywhere in a message (state blobs are free-form by design)."""
    if isinstance(model, AirbyteStateBlob):
        return
    for name in model.model_extra or {}:
        yield f"{path}.{name}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, BaseModel):
                yield from unknown_fields(item, f"{path}.{name}" + (f"[{index}]" if isinstance(value, list) else ""))


def parse_protocol(stdout: str) -> Tuple[List[AirbyteMessage], List[str]]:
    """Every printed line as a protocol message, and the problems of those that are not exactly one."""
    messages, problems = [], []
    for number, line in enumerate(stdout.splitlines(), start=1):
        try:
            message = AirbyteMessage.model_validate_json(line, strict=True)
        except ValidationError as error:
            problems.append(f"line {number} is not a protocol message: {error.errors()[0]['msg']}: {line[:200]}")
            continue
        problems += [f"line {number} has a field the protocol does not define: {f}" for f in unknown_fields(message)]
        carried = {field for field in PAYLOAD.values() if getattr(message, field) is not None}
        if carried != {PAYLOAD[message.type]}:
            problems.append(f"line {number}: a {message.type.value} message carries {sorted(carried)}")
        if message.type == Type.TRACE and getattr(message.trace, TRACE_PAYLOAD[message.trace.type]) is None:
            problems.append(f"line {number}: a {message.trace.type.value} trace without its payload")
        messages.append(message)
    return messages, problems


def sync_problems(run: Run, selected: Set[str], started_ms: int, ended_ms: int) -> List[str]:
    """What a platform would trip over in a sync's output; [] for a conforming, clean sync."""
    messages, problems = parse_protocol(run.stdout)
    if run.exit_code != 0:
        problems.append(f"exit code {run.exit_code}")
    events: Dict[str, List[str]] = {name: [] for name in selected}  # per stream: statuses and "RECORD", in order
    since_state: Dict[str, int] = {name: 0 for name in selected}
    with_state: Set[str] = set()
    for message in messages:
        if message.type == Type.RECORD:
            record = message.record
            if record.stream not in selected:
                problems.append(f"a record of unselected stream {record.stream!r}")
                continue
            if not isinstance(record.emitted_at, int) or not started_ms <= record.emitted_at <= ended_ms:
                problems.append(f"{record.stream} record emitted_at {record.emitted_at!r} is not the sync's time in ms")
            events[record.stream].append("RECORD")
            since_state[record.stream] += 1
        elif message.type == Type.STATE:
            state = message.state
            if state.type != AirbyteStateType.STREAM or state.stream is None or not state.stream.stream_descriptor.name:
                problems.append(f"a state that is not per-stream: {state}")
                continue
            name = state.stream.stream_descriptor.name
            if name not in selected:
                problems.append(f"a state for unselected stream {name!r}")
                continue
            with_state.add(name)
            counted = state.sourceStats.recordCount if state.sourceStats else None
            if counted != since_state[name]:  # the platform checks this count against the records it got
                problems.append(f"{name} state counts {counted} records since the previous one; {since_state[name]} were emitted")
            since_state[name] = 0
        elif message.type == Type.LOG:
            # the model admits only the protocol's levels; a clean sync logs no ERROR or FATAL
            if message.log.level.value not in PROTOCOL_LEVELS or message.log.level in (Level.ERROR, Level.FATAL):
                problems.append(f"{message.log.level.value} log in a clean sync: {message.log.message[:200]}")
        elif message.type == Type.TRACE:
            if message.trace.type == TraceType.STREAM_STATUS:
                status = message.trace.stream_status
                waiting = status.status.value == "RUNNING" and any(r.type.value == "RATE_LIMITED" for r in status.reasons or [])
                if waiting and not (status.reasons[0].rate_limited and status.reasons[0].rate_limited.quota_reset):
                    problems.append(f"{status.stream_descriptor.name}: a RATE_LIMITED status without its quota_reset")
                events.setdefault(status.stream_descriptor.name, []).append("WAITING" if waiting else status.status.value)
            elif message.trace.type == TraceType.ERROR:
                problems.append(f"error trace in a clean sync: {message.trace.error.message}")
        else:
            problems.append(f"a {message.type.value} message in a sync")
    for name, seen in events.items():
        if "WAITING" in seen:  # protocol 0.11: "waiting for the rate limit", only while the stream runs
            started = seen.index("STARTED") if "STARTED" in seen else len(seen)
            ended = seen.index("COMPLETE") if "COMPLETE" in seen else -1
            if not all(started < i < ended for i, e in enumerate(seen) if e == "WAITING"):
                problems.append(f"{name}: a RATE_LIMITED status outside STARTED..COMPLETE")
            seen = [e for e in seen if e != "WAITING"]
        statuses = [e for e in seen if e != "RECORD"]
        if name not in selected:
            problems.append(f"statuses {statuses} for unselected stream {name!r}")
        elif "RECORD" in seen:
            if statuses != ["STARTED", "RUNNING", "COMPLETE"]:
                problems.append(f"{name} statuses {statuses}, expected STARTED, RUNNING, COMPLETE")
            else:
                first_record, last_record = seen.index("RECORD"), len(seen) - 1 - seen[::-1].index("RECORD")
                if not seen.index("RUNNING") < first_record <= last_record < seen.index("COMPLETE"):
                    problems.append(f"{name} has records outside RUNNING..COMPLETE")
        elif statuses not in (["STARTED", "COMPLETE"], ["STARTED", "RUNNING", "COMPLETE"]):
            problems.append(f"{name} statuses {statuses}, expected STARTED, (RUNNING,) COMPLETE")
    problems += [f"no state for {name}" for name in sorted(selected - with_state)]
    return problems


def timed(*args, **kwargs) -> Tuple[Run, int, int]:
    started = int(time.time() * 1000)
    run = run_connector(*args, **kwargs)
    return run, started, int(time.time() * 1000)


def test_given_a_first_sync_and_an_incremental_one_then_every_line_conforms_to_the_protocol(store):
    config, catalog = config_for(store.base_url), catalog_for()

    first, started, ended = timed("read", config, catalog)
    assert sync_problems(first, set(STREAMS), started, ended) == []

    touched = {store.touch("orders", key)["id"] for key in sorted(store.data.records["orders"])[-3:]}
    second, started, ended = timed("read", config, catalog, state=first.final_state())

    assert sync_problems(second, set(STREAMS), started, ended) == []
    assert touched <= {r["id"] for r in second.records["orders"]}
    assert touched <= {r["order_id"] for r in second.records["order_products"]}


def test_given_one_stream_selected_then_statuses_and_states_only_for_it(store):
    run, started, ended = timed("read", config_for(store.base_url), catalog_for(["order_products"]))

    assert sync_problems(run, {"order_products"}, started, ended) == []


def test_given_spec_check_and_discover_then_each_prints_only_its_protocol_message(store):
    config = config_for(store.base_url)
    for command, kind in (("spec", Type.SPEC), ("check", Type.CONNECTION_STATUS), ("discover", Type.CATALOG)):
        run = run_connector(command, config if command != "spec" else None)

        messages, problems = parse_protocol(run.stdout)
        assert (run.exit_code, problems) == (0, []), command
        assert [m.type for m in messages if m.type != Type.LOG] == [kind], command
        assert all(m.log.level not in (Level.ERROR, Level.FATAL) for m in messages if m.type == Type.LOG), command


def _lines(*messages: str) -> Run:
    return Run(0, [], "\n".join(messages), "")


STARTED, RUNNING, COMPLETE = (
    '{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"brands"},"status":"%s"}}}' % s
    for s in ("STARTED", "RUNNING", "COMPLETE")
)
RECORD = '{"type":"RECORD","record":{"stream":"brands","data":{"id":1},"emitted_at":5}}'
STATE = '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"brands"},"stream_state":{"any":"thing"}},"sourceStats":{"recordCount":1.0}}}'


@pytest.mark.parametrize("lines, problem", [
    ((STARTED, RUNNING, RECORD, STATE, COMPLETE), None),
    ((STARTED, RUNNING, "not json", RECORD, STATE, COMPLETE), "line 3 is not a protocol message"),
    ((STARTED, RUNNING, '{"type":"RECORDS","record":{}}', COMPLETE), "not a protocol message"),
    ((STARTED, RUNNING, RECORD.replace('"emitted_at":5', '"emitted_at":5,"meta2":{}'), STATE, COMPLETE), "does not define: $.record.meta2"),
    ((STARTED, RUNNING, RECORD.replace('"emitted_at":5', '"emitted_at":"5"'), STATE, COMPLETE), "not a protocol message"),
    ((STARTED, RUNNING, RECORD.replace('"emitted_at":5', '"emitted_at":99'), STATE, COMPLETE), "not the sync's time"),
    ((STARTED, RUNNING, RECORD[:-1] + ',"log":{"level":"INFO","message":"x"}}', STATE, COMPLETE), "a RECORD message carries"),
    ((STARTED, RUNNING, RECORD, '{"type":"STATE","state":{"type":"LEGACY","data":{"brands":{}}}}', COMPLETE), "not per-stream"),
    ((STARTED, RUNNING, RECORD, STATE.replace("1.0", "2.0"), COMPLETE), "counts 2.0 records"),
    ((STARTED, RUNNING, RECORD, COMPLETE), "no state for brands"),
    ((STARTED, RECORD, STATE, COMPLETE), "statuses ['STARTED', 'COMPLETE'], expected"),
    ((STARTED, RUNNING, STATE.replace("1.0", "0.0"), COMPLETE, RECORD), "records outside RUNNING..COMPLETE"),
    ((STARTED, RUNNING, RECORD, STATE, '{"type":"LOG","log":{"level":"ERROR","message":"boom"}}', COMPLETE), "ERROR log"),
    ((STARTED, RUNNING, RECORD, STATE, '{"type":"LOG","log":{"level":"NOTICE","message":"x"}}', COMPLETE), "not a protocol message"),
])
def test_given_crafted_output_then_the_checker_reports_what_breaks_the_protocol(lines, problem):
    problems = sync_problems(_lines(*lines), {"brands"}, started_ms=0, ended_ms=10)

    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems



def test_given_a_quota_the_sync_must_wait_for_then_every_line_conforms_and_the_waits_are_said(store):
    store.options.quota, store.options.quota_window_ms = 15, 500
    run, started, ended = timed("read", config_for(store.base_url), catalog_for(["orders", "transactions", "brands"]))

    assert sync_problems(run, {"orders", "transactions", "brands"}, started, ended) == []
    assert any(r.get("type") == "RATE_LIMITED" for m in run.of_type("TRACE") if m["trace"]["type"] == "STREAM_STATUS"
               for r in m["trace"]["stream_status"].get("reasons") or [])
