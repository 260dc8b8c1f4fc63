"""`make bench`: the connector against the local store, scenario by scenario.

Prints, per scenario: requests made vs the fewest the data needs, wall time vs the bound the quota or
latency sets, records per second, 429s and the connector's peak RSS and CPU. Figures, not assertions:
tests check behaviour, this measures speed.   Usage: python -m bench [--quick]
"""

from __future__ import annotations

import json
import logging
import math
import re
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from integration_tests.connector import EXECUTABLE, catalog_for, config_for  # noqa: E402
from integration_tests.expectations import expected_records  # noqa: E402
from local_store import LocalStore  # noqa: E402
from source_bigcommerce.config import DEFAULT_NEWEST_FIRST_DAYS as NEWEST_FIRST_DAYS  # noqa: E402

RESULTS = Path(__file__).parent / "results"
START_DATE = "2015-01-01"  # everything in the local store
LIMIT = 250
# The streams the connector had before the catalogue grew: the scenarios that compare with earlier
# sessions' figures sync these; "every stream" rows sync all of them.
ORIGINAL_TEN = ("customers", "orders", "order_products", "transactions", "products", "brands", "categories", "pages", "channels", "store")


class Run:
    def __init__(self, command: str, config: Optional[dict] = None, catalog: Optional[dict] = None, state: Optional[list] = None):
        with tempfile.TemporaryDirectory() as folder:
            files = []
            for name, value in (("config", config), ("catalog", catalog), ("state", state)):
                if value is not None:
                    path = Path(folder) / f"{name}.json"
                    path.write_text(json.dumps(value))
                    files += [f"--{name}", str(path)]
            program = [EXECUTABLE]
            out = subprocess.run([sys.executable, "-m", "bench.measure", *program, command, *files], capture_output=True, text=True).stdout
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        self.figures = lines[-1]["bench"]
        self.messages = lines[:-1]
        self.records = sum(1 for m in self.messages if m.get("type") == "RECORD")
        self.states = [m["state"] for m in self.messages if m.get("type") == "STATE"]

    def final_state(self) -> list:
        latest: Dict[str, Any] = {}
        for state in self.states:
            latest[state["stream"]["stream_descriptor"]["name"]] = state
        return list(latest.values())


def fewest_requests(store, start_date: str = START_DATE, since_state: Optional[list] = None, streams=ORIGINAL_TEN,
                    shared_listing: bool = False) -> int:
    """The requests the data needs, from the stream declarations: every page of every stream at
    limit=250 (10 for products with options or modifiers), nothing twice, one clock read; a date range
    longer than the newest 15 days in two windows, each paged on its own (newest first). v3 says which
    page is last; v2 needs one short page (or a 204) to know it has reached the end. A child lists its
    parents itself and costs one request per parent when read per parent; an order whose embedded
    products do not add up costs its /products read."""
    from local_store.resources_orders import reports_empty_line_items
    from source_bigcommerce.dates import parse_date
    from source_bigcommerce.streams import BY_NAME
    from source_bigcommerce.streams.declaration import Unpaged

    expected = expected_records(store, start_date)
    cursors = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in since_state or []}
    for name, spec in BY_NAME.items():
        value = (cursors.get(name) or {}).get(spec.cursor or "-")
        if value:
            expected[name] = {k: r for k, r in expected[name].items() if parse_date(r[spec.cursor]) >= parse_date(value)}

    def pages(spec, n: int, per_page: int = LIMIT) -> int:
        if isinstance(spec.paging, Unpaged):
            return 1
        return n // per_page + 1 if spec.api_version == "v2" else max(1, math.ceil(n / per_page))

    boundary = store.now() - timedelta(days=NEWEST_FIRST_DAYS)

    def windowed_pages(spec, records, since: Optional[str], per_page: int = LIMIT) -> int:
        """A range longer than the newest days is read as two windows (newest first): each pages on its own."""
        if not spec.cursor or (since and parse_date(since) >= boundary) or (not since and parse_date(start_date + "T00:00:00+00:00") >= boundary):
            return pages(spec, len(records), per_page)
        newest = sum(1 for r in records if parse_date(r[spec.cursor]) >= boundary)
        return pages(spec, newest, per_page) + pages(spec, len(records) - newest, per_page)

    total = 1  # GET /v2/time: the store's clock, once per sync
    for name in streams:
        spec = BY_NAME[name]
        if spec.parent is None:
            total += windowed_pages(spec, list(expected[name].values()), (cursors.get(name) or {}).get(spec.cursor or "-"))
            continue
        parent = BY_NAME[spec.parent]
        if spec.cursor and not spec.window:  # read for the parents in its own window
            since = (cursors.get(name) or {}).get(spec.cursor)
            parents = [r for r in expected[spec.parent].values() if not since or parse_date(r[parent.cursor]) >= parse_date(since)]
        else:
            parents = list(store.data.records[spec.parent].values())
        small_pages = set(spec.parent_params.get("include", "").split(",")) & {"options", "modifiers"}
        if not (shared_listing and spec.parent in streams):  # with a shared listing, the parent's pages would serve
            if spec.cursor and not spec.window:
                total += windowed_pages(parent, parents, (cursors.get(name) or {}).get(spec.cursor))
            else:
                total += pages(parent, len(parents), 10 if small_pages else LIMIT)
        if spec.embedded is not None:
            if spec.fallback:  # orders whose consignments came back without their line items
                total += sum(1 for order in parents if reports_empty_line_items(order["id"]) and int(order.get("items_total") or 0))
            continue
        children: Dict[Any, int] = {}
        field = next(iter(spec.parent_fields))
        for record in expected[name].values():
            children[record[field]] = children.get(record[field], 0) + 1
        total += sum(pages(spec, children.get(p["id"], 0)) if not isinstance(spec.paging, Unpaged) else 1 for p in parents)
    return total


def row(name: str, store, run: Run, fewest: int, bound: Optional[float] = None, note: str = "") -> dict:
    stats = store.stats()
    requests = stats["requests"]
    limited = stats["by_status"].get(429, 0)
    figures = run.figures
    return {
        "scenario": name, "exit": figures["exit"], "requests": requests, "fewest": fewest, "requests_ratio": requests / fewest,
        "wall_s": figures["wall"], "bound_s": bound, "wall_ratio": (figures["wall"] / bound) if bound else None,
        "records": run.records, "records_per_s": run.records / figures["wall"], "429s": limited, "429_share": limited / requests,
        "cpu_s": figures["cpu"], "rss_mb": figures["rss_mb"], "note": note,
    }


def quota_bound(scale: float, workers: int = 8, latency_ms: int = 0, quota: int = 30, window_ms: int = 2000) -> dict:
    with LocalStore(seed=1, scale=scale, quota=quota, quota_window_ms=window_ms, latency_ms=latency_ms) as store:
        run = Run("read", config_for(store.base_url, start_date=START_DATE, num_workers=workers), catalog_for(ORIGINAL_TEN))
        requests = store.stats()["requests"]
        name = f"1 quota-bound ({quota} req / {window_ms / 1000:g} s)" + (f", {workers} workers, {latency_ms} ms latency" if workers != 8 else "")
        return row(name, store, run, fewest_requests(store), bound=requests / (quota / (window_ms / 1000)),
                   note="bound = requests / quota rate" + ("; more requests in flight than a window allows" if workers > quota else ""))


def shared_quota(scale: float, share: float = 0.5) -> dict:
    """Another app spends half of every window, and two thirds of the first is gone before the sync."""
    quota, window_ms = 30, 2000
    with LocalStore(seed=1, scale=scale, quota=quota, quota_window_ms=window_ms, other_app_share=share, initially_spent=20) as store:
        run = Run("read", config_for(store.base_url, start_date=START_DATE), catalog_for(ORIGINAL_TEN))
        requests = store.stats()["requests"]
        left = quota * (1 - share) / (window_ms / 1000)
        return row(f"8 shared quota: another app spends {share:.0%} of every window", store, run, fewest_requests(store),
                   bound=requests / left, note=f"bound = requests / the {left:g} req/s the other app leaves; first window 20 of 30 spent at start")


def latency_bound(scale: float, workers: int) -> dict:
    """The bound is requests x latency / workers. What the connector does before its first request
    (imports, the streams, the thread pool) is wall time too: measured from the launch to the store's
    receipt of the first request, it gives the wall-time bound with start-up."""
    with LocalStore(seed=1, scale=scale, latency_ms=50) as store:
        run = Run("read", config_for(store.base_url, start_date=START_DATE, num_workers=workers), catalog_for(ORIGINAL_TEN))
        requests = store.stats()["requests"]
        log = store.request_log()
        result = row(f"2 latency-bound (50 ms), {workers} worker{'s' if workers > 1 else ''}", store, run, fewest_requests(store),
                     bound=requests * 0.05 / workers, note="bound = requests x 50 ms / workers")
    startup = min(e["received"] for e in log) - run.figures["launched"]
    reading = max(e["t"] for e in log) - min(e["received"] for e in log)
    result["note"] += (f"; start-up (launch to the first request) {startup:.2f} s, wall / (bound + start-up) = "
                       f"{run.figures['wall'] / (result['bound_s'] + startup):.2f}x; first request to last answer {reading:.2f} s "
                       f"= {reading / result['bound_s']:.2f}x the bound")
    return result


def parallel_slices(scale: float, workers: int = 16, latency_ms: int = 300) -> List[dict]:
    """A first sync of the long sorted listings alone (no per-order child to keep the workers busy), at
    no quota and a round trip nearer a real page of 250 orders than the local store's: one window for
    the history, then one slice per worker."""
    streams = ("customers", "orders", "products")
    rows = []
    for sliced in (False, True):
        with LocalStore(seed=1, scale=scale, latency_ms=latency_ms) as store:
            run = Run("read", config_for(store.base_url, start_date=START_DATE, num_workers=workers, parallel_date_slices=sliced),
                      catalog_for(streams))
            fewest = fewest_requests(store, streams=streams)
            rows.append(row(f"9 long listings ({latency_ms} ms), {workers} workers, {'parallel date slices' if sliced else 'one window'}",
                            store, run, fewest, note="customers, orders, products, a first sync, no quota"))
    rows[1]["note"] += f"; {rows[0]['wall_s'] / rows[1]['wall_s']:.1f}x faster than one window, {rows[1]['requests'] - rows[0]['requests']} requests more"
    return rows


# The CPU solve's three syncs: a read of one record (the start-up), one heavy in records and one heavy in
# requests, each (streams, store scale as a multiple of the bench's).
SOLVE_SHAPES = ((("store",), 1.0), (("customers", "orders", "products"), 20.0), (("order_products", "transactions"), 4.0))


def solve(figures: List[Tuple[int, int, float]]) -> Tuple[float, float]:
    """(CPU s per request, per record) from the SOLVE_SHAPES syncs' (requests, records, least CPU s):
    the start-up sync is subtracted from the other two, which then give two equations in two unknowns."""
    (q0, r0, c0), (q1, r1, c1), (q2, r2, c2) = figures
    (q1, r1, c1), (q2, r2, c2) = (q1 - q0, r1 - r0, c1 - c0), (q2 - q0, r2 - r0, c2 - c0)
    per_record = (c1 * q2 - c2 * q1) / (r1 * q2 - r2 * q1)
    return (c1 - per_record * r1) / q1, per_record


def cpu_bound(scale: float) -> dict:
    """CPU = start-up + a x requests + b x records. The start-up is a read of one record (the store's
    profile: /v2/time and /v2/store), which costs all a read costs before and after its records (the
    imports `spec` needs and those only a read needs, the streams and thread pool, the store's clock);
    measured by `spec` alone, what a read adds would count as per-record cost. Two syncs then tell a
    and b apart: one heavy in records (customers, orders, products: 250 a page), one heavy in requests
    (order children: one per order)."""
    # Each sync runs three times, the syncs taking turns, and the least CPU of each counts: this
    # machine's speed drifts by a third from minute to minute, and turns spread the drift over all three.
    spec_cpu = min(Run("spec").figures["cpu"] for _ in range(3))
    # Large enough that each sync's CPU beyond the start-up is several seconds: the solve subtracts
    # figures that each drift, and small differences would carry the drift into a and b.
    stores = [LocalStore(seed=1, scale=scale * factor) for _, factor in SOLVE_SHAPES]
    for store in stores:
        store.__enter__()
    try:
        runs: List[List[Run]] = [[], [], []]
        for _ in range(3):
            for i, ((streams, _), store) in enumerate(zip(SOLVE_SHAPES, stores)):
                runs[i].append(Run("read", config_for(store.base_url, start_date=START_DATE), catalog_for(streams)))
        requests_made = [store.stats()["requests"] // 3 for store in stores]
    finally:
        for store in stores:
            store.__exit__(None, None, None)
    figures = [(q, batch[0].records, min(run.figures["cpu"] for run in batch)) for q, batch in zip(requests_made, runs)]
    per_request, per_record = solve(figures)
    (_, r0, c0), (q1, r1, _), (q2, r2, _) = figures
    with LocalStore(seed=1, scale=scale) as store:
        run = Run("read", config_for(store.base_url, start_date=START_DATE), catalog_for(ORIGINAL_TEN))
        result = row("3 CPU-bound (no latency, no quota)", store, run, fewest_requests(store))
    heavy_records, heavy_cpu = runs[1][0].records, min(r.figures["cpu"] for r in runs[1])
    result["note"] = (f"start-up {c0:.2f} s CPU (a read of 1 record; `spec` alone {spec_cpu:.2f} s), then {1000 * per_request:.2f} ms "
                      f"per request + {1000 * per_record:.3f} ms per record (solved from a {r1}-record/{q1}-request sync and "
                      f"a {r2}-record/{q2}-request one); the whole process: {heavy_records / heavy_cpu:.0f} records per CPU-second "
                      f"in the first, {run.records / run.figures['cpu']:.0f} in this row's")
    return result


def incremental(scale: float, share: float = 0.01) -> dict:
    with LocalStore(seed=1, scale=scale) as store:
        config, catalog = config_for(store.base_url, start_date=START_DATE), catalog_for(ORIGINAL_TEN)
        first = Run("read", config, catalog)
        orders = sorted(store.data.records["orders"])
        changed = orders[:: max(1, round(1 / share))]
        for key in changed:
            store.touch("orders", key)
        store.reset_stats()
        second = Run("read", config, catalog, state=first.final_state())
        fewest = fewest_requests(store, since_state=first.final_state())
        shared = fewest_requests(store, since_state=first.final_state(), shared_listing=True)
        return row(f"4 incremental after {share:.0%} of orders changed", store, second, fewest,
                   note=f"{len(changed)} of {len(orders)} orders changed; a listing shared by orders and its children would save "
                        f"{fewest - shared} of them")


def every_stream(scale: float) -> List[dict]:
    """A first sync of every declared stream, and the requests per order of the ten original ones."""
    from integration_tests.connector import STREAMS

    rows = []
    for streams, name in ((ORIGINAL_TEN, "6 requests per order: the ten original streams"), (STREAMS, f"7 every stream ({len(STREAMS)})")):
        with LocalStore(seed=1, scale=scale) as store:
            run = Run("read", config_for(store.base_url, start_date=START_DATE), catalog_for(streams))
            orders = len(store.data.records["orders"])
            fewest = fewest_requests(store, streams=streams)
            saved = fewest - fewest_requests(store, streams=streams, shared_listing=True)
            rows.append(row(name, store, run, fewest,
                            note=f"{store.stats()['requests'] / orders:.2f} requests per order ({orders} orders); a shared parent "
                                 f"listing would save {saved}"))
    return rows


def memory(scales: List[float]) -> List[dict]:
    rows = []
    for scale in scales:
        with LocalStore(seed=1, scale=scale) as store:
            run = Run("read", config_for(store.base_url, start_date=START_DATE), catalog_for(ORIGINAL_TEN))
            rows.append(row(f"5 memory, store scale {scale:g}", store, run, fewest_requests(store)))
    rows[-1]["note"] = f"peak RSS {rows[-1]['rss_mb']:.0f} MB vs {rows[0]['rss_mb']:.0f} MB at {scales[-1] / scales[0]:.0f}x the data"
    return rows


def profile(scale: float) -> Path:
    """py-spy samples every thread of a CPU-bound sync; the summary lists where the CPU went."""
    RESULTS.mkdir(exist_ok=True)
    raw, target = RESULTS / "profile.raw", RESULTS / "profile.txt"
    with LocalStore(seed=1, scale=scale) as store, tempfile.TemporaryDirectory() as folder:
        config, catalog = Path(folder, "config.json"), Path(folder, "catalog.json")
        config.write_text(json.dumps(config_for(store.base_url, start_date=START_DATE)))
        catalog.write_text(json.dumps(catalog_for(ORIGINAL_TEN)))
        spy = Path(sys.executable).with_name("py-spy")
        subprocess.run([str(spy), "record", "--threads", "-r", "250", "-f", "raw", "-o", str(raw), "--",
                        EXECUTABLE, "read", "--config", str(config), "--catalog", str(catalog)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    inclusive: Dict[str, int] = {}
    own: Dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r" \(.*?site-packages/", " (", f) for f in stack.split(";")[1:]]  # drop the thread frame
        samples = int(count)
        total += samples
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + samples
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + samples
    lines = [f"{total} samples of on-CPU time across all threads", "", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:40]]
    lines += ["", "own time:"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in sorted(own.items(), key=lambda kv: -kv[1])[:25]]
    target.write_text("\n".join(lines) + "\n")
    return target


def table(rows: List[dict]) -> str:
    head = "| scenario | requests / fewest | wall s / bound s | records/s | 429s | CPU s | peak RSS MB | notes |\n|---|---|---|---|---|---|---|---|"
    lines = [head]
    for r in rows:
        bound = f"{r['wall_s']:.1f} / {r['bound_s']:.1f} = {r['wall_ratio']:.2f}x" if r["bound_s"] else f"{r['wall_s']:.1f}"
        lines.append(f"| {r['scenario']} | {r['requests']} / {r['fewest']} = {r['requests_ratio']:.3f}x | {bound} | {r['records_per_s']:.0f} | "
                     f"{r['429s']} ({r['429_share']:.1%}) | {r['cpu_s']:.1f} | {r['rss_mb']:.0f} | {r['note']} |")
    return "\n".join(lines)


def discover_time() -> str:
    """How long `discover` takes beyond the process start-up (`spec` does no I/O): best of three each."""
    with LocalStore(seed=1, scale=1.0) as store:
        spec = min(Run("spec").figures["wall"] for _ in range(3))
        runs = [Run("discover", config_for(store.base_url)) for _ in range(3)]
    streams = sum(len(m["catalog"]["streams"]) for m in runs[0].messages if m.get("type") == "CATALOG")
    wall = min(r.figures["wall"] for r in runs)
    return f"discover: {wall:.2f} s for {streams} streams, {wall - spec:.2f} s beyond the start-up (`spec`: {spec:.2f} s)"


def state_size() -> str:
    """What `detect_deletes` keeps in the state for a million ids: ids as BigCommerce hands them out
    (one by one, 2% of them after a gap left by deleted records), and ids spread at random over 50x the range."""
    import random

    from source_bigcommerce import id_sets

    rng = random.Random(1)
    ids, value = [], 0
    for _ in range(1_000_000):
        value += 1 + (rng.randint(1, 3) if rng.random() < 0.02 else 0)
        ids.append(value)
    sparse = sorted(rng.sample(range(1, 50_000_000), 1_000_000))
    return (f"detect_deletes state for 1,000,000 ids: {len(id_sets.encode(ids)) / 1024:.0f} KB as ids grow in a store, "
            f"{len(id_sets.encode(sparse)) / 1024:.0f} KB spread at random over 50,000,000")


def record_path() -> str:
    """Writing a RECORD line, ours (run.py's `_line`, orjson, nulls kept) against the CDK's
    (`AirbyteEntrypoint.airbyte_message_to_string`, which drops top-level nulls), on every record of
    every stream of a scale-1 local store: best of three passes each, in this process."""
    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type

    from source_bigcommerce.run import _line

    with LocalStore(seed=1, scale=1.0) as store:
        truth = expected_records(store)
    messages = [AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=dict(record), emitted_at=1))
                for stream, records in truth.items() for record in records.values()]

    def per_record_us(write) -> float:
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            for message in messages:
                write(message)
            best = min(best, time.perf_counter() - started)
        return best / len(messages) * 1e6

    ours, cdk = per_record_us(_line), per_record_us(AirbyteEntrypoint.airbyte_message_to_string)
    dropped = sum(1 for m in messages for value in m.record.data.values() if value is None)
    for message in messages:  # same record either way, but for the null keys the CDK leaves out
        kept = json.loads(_line(message))["record"]["data"]
        assert {k: v for k, v in kept.items() if v is not None} == json.loads(AirbyteEntrypoint.airbyte_message_to_string(message))["record"]["data"]
    return (f"record path: {ours:.1f} us per record written by the connector vs {cdk:.1f} us by the CDK's serializer "
            f"({cdk / ours:.1f}x faster), {len(messages):,} records of {len(truth)} streams; the CDK's lines lack "
            f"{dropped:,} null top-level keys")


def environment_lookups() -> str:
    """What requests spends per request looking at the environment (proxies, CA bundle, ~/.netrc), with
    the session as the CDK leaves it and as `environment_once` sets it: best of five, in this process."""
    import requests

    from source_bigcommerce.streams.base import environment_once

    def per_request_us(session) -> float:
        url, best = "http://127.0.0.1:9/stores/x/v3/catalog/products?limit=250&page=1", math.inf
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(2000):
                prepared = session.prepare_request(requests.Request("GET", url, headers={"X-Auth-Token": "t"}))
                session.merge_environment_settings(prepared.url, {}, None, None, None)
            best = min(best, (time.perf_counter() - started) / 2000)
        return best * 1e6

    once = requests.Session()
    environment_once(once, "http://127.0.0.1:9")
    return (f"preparing a request: {per_request_us(requests.Session()):.0f} us with the environment read per request, "
            f"{per_request_us(once):.0f} us read once")


def request_floor(requests_made: int = 400) -> str:
    """The CPU one request costs through the CDK's HttpStream alone (requests, urllib3, the CDK's
    HttpClient, this connector's paging and parsing), one thread, no framework around it: transactions
    read order by order from a local store in another process, so its CPU is not counted."""
    from airbyte_cdk.models import SyncMode

    from source_bigcommerce.config import BigCommerceConfig
    from source_bigcommerce.streams import BY_NAME
    from source_bigcommerce.streams.base import BigCommerceStream

    store = subprocess.Popen([sys.executable, "-m", "local_store", "--port", "0", "--seed", "1", "--scale", "1"],
                             stdout=subprocess.PIPE, text=True)
    try:
        url = store.stdout.readline().strip().split()[-1]  # type: ignore[union-attr]
        stream = BigCommerceStream(BY_NAME["transactions"], BigCommerceConfig.from_mapping(config_for(url, start_date=START_DATE)))
        orders = [o for o in range(100, 100 + 2 * requests_made)]

        def read(ids) -> int:
            return sum(1 for o in ids for _ in stream.read_records(sync_mode=SyncMode.full_refresh,
                                                                   stream_slice={"parent_id": o, "parent": {"order_id": o}}))

        logging.getLogger("airbyte").setLevel(logging.WARNING)  # the orders deleted before the sync answer 404, and say so
        read(orders[:50])  # connections and caches warm
        started = time.process_time()
        records = read(orders[50:50 + requests_made])
        spent = time.process_time() - started
    finally:
        store.terminate()
    return (f"one request through the CDK's HttpStream alone, one thread: {1000 * spent / requests_made:.2f} ms of CPU "
            f"({requests_made} transactions requests, {records} records)")


def main() -> int:
    quick = "--quick" in sys.argv
    k = 0.25 if quick else 1.0
    started = time.monotonic()
    rows = [quota_bound(0.2 * k), quota_bound(0.2 * k, workers=32, latency_ms=20), quota_bound(0.08 * k, quota=20), quota_bound(0.4 * k),
            shared_quota(0.2 * k)]
    serial, parallel = latency_bound(0.3 * k, 1), latency_bound(0.3 * k, 16)
    parallel["note"] += f"; {serial['wall_s'] / parallel['wall_s']:.1f}x faster than 1 worker"
    rows += [serial, parallel, *parallel_slices(5.0 * k), cpu_bound(1.0 * k), incremental(1.0 * k)]
    rows += every_stream(1.0 * k)
    rows += memory([1.0 * k, 10.0 * k])
    from .newest import newest_first_line

    newest, _ = newest_first_line(round(2000 * k))
    text = (table(rows) + "\n\n" + newest + "\n" + discover_time() + "\n" + state_size() + "\n" + record_path() + "\n"
            + environment_lookups() + "\n" + request_floor())
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n")
    if not quick:
        print(f"\nprofile of a CPU-bound sync: {profile(1.0)}")
    print(f"\n(bench took {time.monotonic() - started:.0f} s)")
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
