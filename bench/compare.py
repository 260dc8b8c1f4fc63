"""The CPU of several checkouts' syncs, measured in turns: `python -m bench.compare REF [REF ...]`.

This machine's speed drifts by a third between runs minutes apart, so two `make bench` runs cannot
tell a 10% change from the drift. Here each git ref is checked out once (a worktree under a temporary
folder) and imported through PYTHONPATH. The checkouts then take turns, round after round, on the same
two syncs of customers, orders and products: one at scale 5 and one at scale 20 of the local store.
A checkout's marginal cost per record is (least CPU at scale 20 - least at scale 5) / (extra records).
It includes the extra requests' share: about 150 requests for 33,000 records. Prints one line per ref.
`--streams` and `--scales` choose other syncs (one scale: its least CPU and wall time only).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List

from bench.__main__ import START_DATE, Run
from integration_tests.connector import catalog_for, config_for
from local_store import LocalStore

ROOT = Path(__file__).resolve().parent.parent
STREAMS = ("customers", "orders", "products")
SCALES = (5.0, 20.0)


def _checkout(ref: str, folder: Path) -> Path:
    path = folder / ref.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(path), ref], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("refs", nargs="+", help="git refs to compare (HEAD, a commit, a branch)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--streams", default=",".join(STREAMS), help="the streams synced, comma-separated")
    parser.add_argument("--scales", default=",".join(f"{s:g}" for s in SCALES), help="local store scales, comma-separated (one or two)")
    args = parser.parse_args()
    streams = tuple(args.streams.split(","))
    scales = tuple(float(s) for s in args.scales.split(","))
    folder = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    checkouts = {ref: _checkout(ref, folder) for ref in args.refs}
    stores = [LocalStore(seed=1, scale=scale) for scale in scales]
    cpu: Dict[str, List[List[float]]] = {ref: [[] for _ in scales] for ref in checkouts}
    wall: Dict[str, List[List[float]]] = {ref: [[] for _ in scales] for ref in checkouts}
    records: List[int] = [0 for _ in scales]
    saved = os.environ.get("PYTHONPATH")
    try:
        for store in stores:
            store.__enter__()
        for _ in range(args.rounds):
            for ref, path in checkouts.items():
                os.environ["PYTHONPATH"] = str(path)
                for i, store in enumerate(stores):
                    started = time.monotonic()
                    run = Run("read", config_for(store.base_url, start_date=START_DATE), catalog_for(streams))
                    if run.figures["exit"] != 0:
                        raise SystemExit(f"{ref}: the scale-{scales[i]:g} read failed (exit {run.figures['exit']})")
                    cpu[ref][i].append(run.figures["cpu"])
                    wall[ref][i].append(time.monotonic() - started)
                    records[i] = run.records
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        for store in stores:
            store.__exit__(None, None, None)
        for path in checkouts.values():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)
    print(f"{'+'.join(streams)}, {' and '.join(str(n) for n in records)} records, least CPU and wall time of {args.rounds} turns each:")
    for ref in checkouts:
        least = [min(times) for times in cpu[ref]]
        line = " and ".join(f"{c:.2f} s of CPU ({min(w):.2f} s wall)" for c, w in zip(least, wall[ref]))
        if len(scales) == 2:
            line += f" -> {1000 * (least[1] - least[0]) / (records[1] - records[0]):.4f} ms per extra record"
        print(f"  {ref:>12}: {line}")


if __name__ == "__main__":
    main()
