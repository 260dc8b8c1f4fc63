"""The CPU of several checkouts' syncs, measured in turns: `python -m bench.compare REF [REF ...]`.

This machine's speed drifts by a third between runs minutes apart, so two `make bench` runs cannot
tell a 10% change from the drift. Here each git ref is checked out once (a worktree under a temporary
folder) and imported through PYTHONPATH. The checkouts then take turns, round after round, on the same
two syncs of customers, orders and products: one at scale 5 and one at scale 20 of the local store.
A checkout's marginal cost per record is (least CPU at scale 20 - least at scale 5) / (extra records).
It includes the extra requests' share: about 150 requests for 33,000 records. Prints one line per ref.
`--streams` and `--scales` choose other syncs (one scale: its least CPU and wall time only). Each sync's
peak RSS is printed too, lowest to highest over the turns.
`--solve` runs `make bench`'s CPU solve instead (bench.SOLVE_SHAPES: a one-record read, a sync heavy in
records, one heavy in requests) and prints each ref's CPU per request and per record, as row 3 does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List

from bench.__main__ import SOLVE_SHAPES, START_DATE, Run, solve
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
    parser.add_argument("--solve", action="store_true", help="make bench's CPU solve per ref (ignores --streams and --scales)")
    args = parser.parse_args()
    if args.solve:
        syncs = list(SOLVE_SHAPES)
    else:
        syncs = [(tuple(args.streams.split(",")), float(s)) for s in args.scales.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    checkouts = {ref: _checkout(ref, folder) for ref in args.refs}
    stores = [LocalStore(seed=1, scale=scale) for _, scale in syncs]
    cpu: Dict[str, List[List[float]]] = {ref: [[] for _ in syncs] for ref in checkouts}
    wall: Dict[str, List[List[float]]] = {ref: [[] for _ in syncs] for ref in checkouts}
    rss: Dict[str, List[List[float]]] = {ref: [[] for _ in syncs] for ref in checkouts}
    records: Dict[str, List[int]] = {ref: [0 for _ in syncs] for ref in checkouts}
    requests_made: Dict[str, List[int]] = {ref: [0 for _ in syncs] for ref in checkouts}
    saved = os.environ.get("PYTHONPATH")
    try:
        for store in stores:
            store.__enter__()
        for _ in range(args.rounds):
            for ref, path in checkouts.items():
                os.environ["PYTHONPATH"] = str(path)
                for i, ((streams, scale), store) in enumerate(zip(syncs, stores)):
                    started, before = time.monotonic(), store.stats()["requests"]
                    run = Run("read", config_for(store.base_url, start_date=START_DATE), catalog_for(streams))
                    if run.figures["exit"] != 0:
                        raise SystemExit(f"{ref}: the scale-{scale:g} read of {','.join(streams)} failed (exit {run.figures['exit']})")
                    cpu[ref][i].append(run.figures["cpu"])
                    wall[ref][i].append(time.monotonic() - started)
                    rss[ref][i].append(run.figures["rss_mb"])
                    records[ref][i], requests_made[ref][i] = run.records, store.stats()["requests"] - before
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        for store in stores:
            store.__exit__(None, None, None)
        for path in checkouts.values():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)
    if args.solve:
        print(f"make bench's CPU solve, least CPU of {args.rounds} turns of each sync:")
        for ref in checkouts:
            figures = [(q, r, min(c)) for q, r, c in zip(requests_made[ref], records[ref], cpu[ref])]
            per_request, per_record = solve(figures)
            syncs_seen = ", ".join(f"{r} records/{q} requests {c:.2f} s" for q, r, c in figures)
            print(f"  {ref:>12}: {1000 * per_request:.2f} ms per request + {1000 * per_record:.4f} ms per record ({syncs_seen})")
        return
    streams = syncs[0][0]
    counts = next(iter(records.values()))
    print(f"{'+'.join(streams)}, {' and '.join(str(n) for n in counts)} records, least CPU and wall time of {args.rounds} turns "
          "each, and the range of peak RSS:")
    for ref in checkouts:
        least = [min(times) for times in cpu[ref]]
        line = " and ".join(f"{c:.2f} s of CPU ({min(w):.2f} s wall, {min(m):.0f}-{max(m):.0f} MB)"
                            for c, w, m in zip(least, wall[ref], rss[ref]))
        if len(syncs) == 2:
            line += f" -> {1000 * (least[1] - least[0]) / (counts[1] - counts[0]):.4f} ms per extra record"
        print(f"  {ref:>12}: {line}")

if __name__ == "__main__":
    main()
