"""`python -m bench.newest [--orders N]`: how soon a first sync of a quota-bound store delivers its newest
15 days of orders and their children, read newest first and (for comparison) oldest first.

The local store's history ends at END; its clock is set to a day after, so the newest 15 days hold the
store's latest orders. Each line the connector writes is timed as it arrives (the connector flushes its
output at least every 0.1 s). Figures, not assertions; the exit code says whether every record arrived.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Tuple

from integration_tests.connector import EXECUTABLE, catalog_for, config_for
from integration_tests.expectations import by_key, expected_records, key_of
from local_store import LocalStore
from local_store.data import BASE_COUNTS, END
from source_bigcommerce.dates import parse_date

START_DATE = "2015-01-01"
STREAMS = ("orders", "order_products", "order_shipping_addresses", "order_fees", "transactions")
NEWEST_DAYS = 15
QUOTA, WINDOW_MS = 30, 2000


def _timed_read(config: dict, catalog: dict) -> Tuple[List[Tuple[float, dict]], float, int]:
    """The messages of one `read`, each with the seconds since the process started; the wall time; the exit code."""
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for name, value in (("config", config), ("catalog", catalog)):
            paths[name] = Path(folder, f"{name}.json")
            paths[name].write_text(json.dumps(value))
        started = time.monotonic()
        process = subprocess.Popen([EXECUTABLE, "read", "--config", str(paths["config"]), "--catalog", str(paths["catalog"])],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        timed = [(time.monotonic() - started, json.loads(line)) for line in process.stdout if line.startswith("{")]
        code = process.wait()
        return timed, time.monotonic() - started, code


def one_sync(orders: int, newest_first_days: int) -> Dict[str, object]:
    clock = END + timedelta(days=1)
    offset = (clock - datetime.now(timezone.utc)).total_seconds()
    with LocalStore(seed=1, scale=orders / BASE_COUNTS["orders"], quota=QUOTA, quota_window_ms=WINDOW_MS,
                    clock_offset_seconds=offset) as store:
        boundary = store.now() - timedelta(days=NEWEST_DAYS)
        config = config_for(store.base_url, start_date=START_DATE, newest_first_days=newest_first_days)
        timed, wall, code = _timed_read(config, catalog_for(STREAMS))
        stats = store.stats()
        expected = expected_records(store, start_date=START_DATE)
    records: Dict[str, list] = {stream: [] for stream in STREAMS}
    newest: Dict[str, set] = {}
    done_at = 0.0
    for stream in STREAMS:  # what the newest days hold: orders by their date, children by their order's
        cursor = "date_modified" if stream == "orders" else "order_date_modified"
        newest[stream] = {k for k, r in expected[stream].items() if parse_date(r[cursor]) >= boundary}
    left = {stream: set(keys) for stream, keys in newest.items()}
    for at, message in timed:
        if message.get("type") != "RECORD":
            continue
        stream, data = message["record"]["stream"], message["record"]["data"]
        records[stream].append(data)
        key = key_of(stream, data)
        if key in left[stream]:
            left[stream].discard(key)
            done_at = at
    exact = code == 0 and all(by_key(s, records[s]) == expected[s] for s in STREAMS) and not any(left.values())
    return {"wall": wall, "done_at": done_at, "requests": stats["requests"], "429s": stats["by_status"].get(429, 0), "exact": exact,
            "orders": len(expected["orders"]), "newest_orders": len(newest["orders"]),
            "newest_records": sum(len(v) for v in newest.values()), "records": sum(len(v) for v in records.values())}


def newest_first_line(orders: int) -> Tuple[str, bool]:
    first = one_sync(orders, NEWEST_DAYS)
    oldest = one_sync(orders, 0)
    bound = first["requests"] / (QUOTA / (WINDOW_MS / 1000))
    line = (f"newest first, {first['orders']:,} orders ({first['newest_orders']} in the newest {NEWEST_DAYS} days; {first['newest_records']:,} "
            f"of {first['records']:,} records), streams {', '.join(STREAMS)}, {QUOTA} req / {WINDOW_MS / 1000:g} s: the newest days were all "
            f"out after {first['done_at']:.1f} s, {first['done_at'] / first['wall']:.1%} of the sync's {first['wall']:.0f} s "
            f"({first['requests']:,} requests, bound {bound:.0f} s, {first['429s']} 429s); read oldest first: {oldest['done_at']:.1f} s, "
            f"{oldest['done_at'] / oldest['wall']:.1%} of {oldest['wall']:.0f} s; every record exact: {first['exact'] and oldest['exact']}")
    return line, bool(first["exact"] and oldest["exact"])


def main() -> int:
    orders = int(sys.argv[sys.argv.index("--orders") + 1]) if "--orders" in sys.argv else 20_000
    started = time.monotonic()
    line, ok = newest_first_line(orders)
    print(line)
    print(f"(took {time.monotonic() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
