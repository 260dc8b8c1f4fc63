"""`python -m bench.soak [--scale N] [--workers N]`: a full sync of every stream from a large local store
that fails often (5% of answers 5xx, 1% connections dropped, 1% bodies cut short), checked record by
record against the store's ground truth, with the connector's peak RSS beside that of the same sync
of a store 50 times smaller. Figures, not assertions; the exit code says whether every record arrived.
"""

from __future__ import annotations

import sys
import time
from typing import Dict, Tuple

from integration_tests.connector import STREAMS, catalog_for, config_for
from integration_tests.expectations import by_key, expected_records
from local_store import LocalStore

from .__main__ import START_DATE, Run

FAULTS = {"fault_5xx": 0.05, "fault_drop": 0.01, "fault_truncate": 0.01, "fault_seed": 7}


def soak(scale: float, workers: int) -> Tuple[str, bool]:
    started = time.monotonic()
    with LocalStore(seed=5, scale=scale, **FAULTS) as store:
        built = time.monotonic() - started
        run = Run("read", config_for(store.base_url, start_date=START_DATE, num_workers=workers), catalog_for(STREAMS, mode="full_refresh"))
        stats = store.stats()
        expected = expected_records(store, start_date=START_DATE)
    records: Dict[str, list] = {}
    for message in run.messages:
        if message.get("type") == "RECORD":
            records.setdefault(message["record"]["stream"], []).append(message["record"]["data"])
    wrong = {}
    for stream in STREAMS:
        got = records.get(stream, [])
        keyed = by_key(stream, got)
        missing = len(set(expected[stream]) - set(keyed))
        unequal = sum(1 for key, record in keyed.items() if key in expected[stream] and record != expected[stream][key])
        extra = len(set(keyed) - set(expected[stream])) + (len(got) - len(keyed))
        if missing or unequal or extra:
            wrong[stream] = f"{missing} missing, {unequal} unequal, {extra} extra or duplicated"
    truth = sum(len(v) for v in expected.values())
    faults = stats["faults"]
    line = (f"soak, store scale {scale:g}, {workers} workers: exit {run.figures['exit']}, {run.records:,} records of {truth:,} in the "
            f"ground truth, {len(wrong)} streams wrong{(' ' + str(wrong)) if wrong else ''}; {stats['requests']:,} requests, "
            f"faults injected {faults}; {run.figures['wall']:.0f} s wall, {run.figures['cpu']:.0f} s CPU, "
            f"peak RSS {run.figures['rss_mb']:.0f} MB (store built in {built:.0f} s)")
    return line, run.figures["exit"] == 0 and not wrong


def main() -> int:
    scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 50.0
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 16
    started = time.monotonic()
    small, small_ok = soak(scale / 50, workers)
    print(small, flush=True)
    large, large_ok = soak(scale, workers)
    print(large, flush=True)
    print(f"(soak took {time.monotonic() - started:.0f} s)")
    return 0 if small_ok and large_ok else 1


if __name__ == "__main__":
    sys.exit(main())
