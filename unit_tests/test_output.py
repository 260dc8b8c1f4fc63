"""What the connector writes to stdout, and how much of it it holds back before writing."""

import json
import subprocess
import sys
import textwrap

import pytest
from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type

from source_bigcommerce.run import FLUSH_AT_SIZE, _line, _page_lines

MESSAGES = 3000
MESSAGE_CHARS = 1000

# The real entry point around a source that emits messages as fast as it can: no store is involved, so the
# CDK's 0.1 s buffer alone would hold megabytes. Every flush's size is reported on stderr.
EMITTER = textwrap.dedent(f"""
    import json, sys
    from airbyte_cdk.logger import PRINT_BUFFER
    from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, Level, Type
    from source_bigcommerce import run
    from source_bigcommerce.source import SourceBigCommerce

    sizes = []
    flush = run.LineWriter.flush
    def measured_flush(self):
        sizes.append(len(self._pending))
        flush(self)
    run.LineWriter.flush = measured_flush

    def chatty_read(logger, config, catalog, state=None):
        for n in range({MESSAGES}):
            yield AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message=f"{{n:06d}}" + "é" * {MESSAGE_CHARS}))

    source = SourceBigCommerce()
    source.read_items = chatty_read
    run._launch(source, sys.argv[1:])
    sys.stderr.write(json.dumps(sizes))
""")


def test_given_a_fast_sync_when_it_writes_then_stdout_is_flushed_in_bounded_chunks_and_nothing_is_lost(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"store_hash": "abc123", "access_token": "t0ken", "start_date": "2020-01-01"}))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": []}))

    emitter = tmp_path / "emitter.py"
    emitter.write_text(EMITTER)

    done = subprocess.run([sys.executable, str(emitter), "read", "--config", str(config), "--catalog", str(catalog)],
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    sizes = json.loads(done.stderr.strip().splitlines()[-1])
    # a flush holds at most FLUSH_AT_SIZE bytes and the message that passed it (its "é"s are 2 bytes each)
    assert max(sizes) < FLUSH_AT_SIZE + 2 * MESSAGE_CHARS + 200, f"a flush held {max(sizes)} bytes"
    logs = [json.loads(line)["log"]["message"] for line in done.stdout.splitlines() if '"LOG"' in line]
    ours = [m for m in logs if m[:6].isdigit()]
    assert [m[:6] for m in ours] == [f"{n:06d}" for n in range(MESSAGES)]  # every one, whole and in order
    assert all(m[6:] == "é" * MESSAGE_CHARS for m in ours)


@pytest.mark.parametrize("data", [
    {"id": 1, "name": "Müller 東京 🎧", "notes": None, "tags": [], "nested": {"empty": None}},
    {"id": 123456789012345678901234567890, "name": "past 64 bits"},
    {"id": 2, "name": "a lone surrogate: \ud800"},
])
def test_given_a_record_when_written_then_one_utf8_json_line_that_reads_back_to_the_record_nulls_included(data):
    record = AirbyteRecordMessage(stream="orders", data=data, emitted_at=1700000000000)

    line = _line(AirbyteMessage(type=Type.RECORD, record=record))

    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    assert json.loads(line.decode("utf-8")) == {"type": "RECORD", "record": {"stream": "orders", "data": data, "emitted_at": 1700000000000}}


def test_given_a_page_of_records_when_written_then_each_is_the_line_a_single_record_gets():
    page = [{"id": 1, "name": "Müller 東京 🎧", "notes": None, "tags": [], "nested": {"empty": None}},
            {"id": 123456789012345678901234567890, "name": "past 64 bits"}, {"id": 2, "name": "a lone surrogate: \ud800"}]

    lines = _page_lines("orders", page).splitlines(keepends=True)

    assert len(lines) == len(page)
    for line, data in zip(lines, page):
        emitted_at = json.loads(line)["record"]["emitted_at"]
        single = _line(AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream="orders", data=data, emitted_at=emitted_at)))
        assert line == single
