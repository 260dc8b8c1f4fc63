"""`python -m local_store`: serve a local BigCommerce store until SIGTERM/SIGINT.

Prints exactly one line, the base URL (`http://127.0.0.1:PORT`), so a caller can read it from stdout
and point a connector at `<base URL>/stores/<store hash>/...`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Optional, Sequence

from .server import LocalStoreOptions, LocalStore


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_store", description="Serve a local BigCommerce store.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = about 600 customers and 1200 orders")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--jitter-ms", type=float, default=0)
    parser.add_argument("--quota", type=int, default=None, help="requests per window (default: unlimited)")
    parser.add_argument("--quota-window-ms", type=int, default=30000)
    parser.add_argument("--fault-5xx", type=float, default=0, help="probability of a 500/502/503 per data request")
    parser.add_argument("--fault-drop", type=float, default=0, help="probability of a connection dropped mid-response")
    parser.add_argument("--fault-truncate", type=float, default=0, help="probability of a 200 with its JSON cut short")
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--change-every", type=int, default=None, help="a merchant edit every N data requests")
    parser.add_argument("--shuffle-ties", action="store_true", help="equal sort keys come back in random order")
    parser.add_argument("--suspended", action="store_true", help="answer every API request with 503")
    parser.add_argument("--store-hash", default="localstore")
    parser.add_argument("--token", action="append", default=None, help="an accepted X-Auth-Token with every scope (repeatable)")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> LocalStoreOptions:
    return LocalStoreOptions(
        seed=args.seed,
        scale=args.scale,
        store_hash=args.store_hash,
        tokens={token: None for token in (args.token or ["local-token"])},
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        quota=args.quota,
        quota_window_ms=args.quota_window_ms,
        fault_5xx=args.fault_5xx,
        fault_drop=args.fault_drop,
        fault_truncate=args.fault_truncate,
        fault_seed=args.fault_seed,
        change_every=args.change_every,
        shuffle_ties=args.shuffle_ties,
        suspended=args.suspended,
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    store = LocalStore(options_from(args))
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    print(store.start(port=args.port), flush=True)
    # Wake up now and then: signal handlers only run in the main thread between bytecodes.
    while not stopping.wait(0.2):
        pass
    store.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
