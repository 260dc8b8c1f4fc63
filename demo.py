"""`make demo`: start the local store, sync all of it into DuckDB through PyAirbyte (as a data
engineer would), and print what arrived next to what the store holds."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

# The Google clients PyAirbyte imports announce their Python support policy; not this demo's business.
warnings.filterwarnings("ignore", message="You are using a Python version", category=FutureWarning)
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # PyAirbyte: no registry lookups
os.environ.setdefault("DO_NOT_TRACK", "1")  # PyAirbyte: no telemetry

import airbyte as ab  # noqa: E402
from airbyte.caches import DuckDBCache  # noqa: E402

from local_store import LocalStore  # noqa: E402
from integration_tests.expectations import STREAMS, expected_records  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = HERE / ".demo"
START_DATE = "2015-01-01"  # the local store's history starts in 2016: this takes everything


def main() -> int:
    WORK.mkdir(exist_ok=True)
    with LocalStore(seed=1, scale=1) as store:
        print(f"Local BigCommerce store at {store.base_url}")
        source = ab.get_source(
            "source-bigcommerce",
            config={"store_hash": "localstore", "access_token": "local-token", "start_date": START_DATE, "api_url": store.base_url},
            local_executable=str(Path(sys.executable).with_name("source-bigcommerce")),
        )
        source.check()
        source.select_all_streams()
        cache = DuckDBCache(db_path=WORK / "bigcommerce.duckdb", cache_dir=WORK / "cache")
        source.read(cache=cache, force_full_refresh=True)
        truth = expected_records(store, start_date=START_DATE)  # every record the store holds, as a correct sync emits it
        requests_made = store.stats()["requests"]

    rows = []
    with cache.get_sql_engine().connect() as connection:
        from sqlalchemy import text

        for stream in STREAMS:
            count = connection.execute(text(f'SELECT COUNT(*) FROM "{stream}"')).scalar()
            rows.append((stream, count, len(truth[stream])))
    print()
    print(f"{'stream':<30}{'rows in DuckDB':>16}{'in the store':>14}  match")
    for stream, count, expected in rows:
        print(f"{stream:<30}{count:>16}{expected:>14}  {'yes' if count == expected else 'NO'}")
    print(f"\n{requests_made} API requests; DuckDB file: {cache.db_path}")
    return 0 if all(count == expected for _, count, expected in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
