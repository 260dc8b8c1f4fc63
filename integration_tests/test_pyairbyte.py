"""The connector as PyAirbyte users run it: `get_source` on the installed `source-bigcommerce` command,
every stream, read into a DuckDB cache, against the local store."""

import os
import warnings

# Before airbyte is imported (it reads them at import): no registry look-ups, no telemetry.
os.environ["AIRBYTE_OFFLINE_MODE"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
# The Google clients PyAirbyte imports announce their Python support policy; not this connector's business.
warnings.filterwarnings("ignore", message="You are using a Python version", category=FutureWarning)

from datetime import datetime, timezone  # noqa: E402

import airbyte as ab  # noqa: E402
from airbyte.caches import DuckDBCache  # noqa: E402
from sqlalchemy import text  # noqa: E402

from source_bigcommerce.dates import parse_date  # noqa: E402

from .connector import EXECUTABLE, STREAMS, config_for  # noqa: E402
from .expectations import expected_records  # noqa: E402


def as_utc(value) -> datetime:
    """A DuckDB date as PyAirbyte stored it: a TIMESTAMP (naive values are UTC), or an ISO 8601 string."""
    if isinstance(value, str):
        return parse_date(value)
    assert isinstance(value, datetime), f"a date arrived as {type(value).__name__}: {value!r}"
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def test_given_pyairbyte_when_every_stream_is_read_into_duckdb_then_rows_dates_and_money_arrive_intact(store, tmp_path):
    source = ab.get_source("source-bigcommerce", config=config_for(store.base_url), local_executable=EXECUTABLE)
    source.select_all_streams()
    cache = DuckDBCache(db_path=tmp_path / "bigcommerce.duckdb")

    result = source.read(cache=cache, force_full_refresh=True)

    expected = expected_records(store)
    assert set(result.streams) == set(STREAMS)
    with cache.get_sql_engine().connect() as sql:
        counts = {s: sql.execute(text(f"SELECT count(*) FROM {cache.schema_name}.{s}")).scalar() for s in STREAMS}
        types = dict(sql.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = :schema AND table_name = 'orders'"
        ), {"schema": cache.schema_name}).fetchall())
        orders = {row.id: row for row in sql.execute(text(f"SELECT id, date_modified, total_inc_tax FROM {cache.schema_name}.orders"))}

    assert counts == {s: len(expected[s]) for s in STREAMS}
    assert types["date_modified"] in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "VARCHAR"), types["date_modified"]
    assert types["total_inc_tax"] == "VARCHAR", "v2 money must stay text: a float would round it"
    for key, order in expected["orders"].items():
        assert as_utc(orders[key].date_modified) == parse_date(order["date_modified"]), key
        assert orders[key].total_inc_tax == order["total_inc_tax"], key  # e.g. "183.0900", digit for digit


# The view docs/bigcommerce.md gives for current rows: PyAirbyte's DuckDB cache keeps a tombstone as a
# row (merged by primary key); the view leaves deleted records out.
CURRENT_ROWS_VIEW = 'CREATE OR REPLACE VIEW {schema}.customers_current AS SELECT * FROM {schema}.customers WHERE "_ab_cdc_deleted_at" IS NULL'


def test_given_detect_deletes_when_a_customer_is_deleted_between_two_pyairbyte_syncs_then_the_current_rows_view_drops_it(store, tmp_path):
    source = ab.get_source("source-bigcommerce", config={**config_for(store.base_url), "detect_deletes": True}, local_executable=EXECUTABLE)
    source.select_streams(["customers"])
    cache = DuckDBCache(db_path=tmp_path / "bigcommerce.duckdb")
    source.read(cache=cache)
    gone = sorted(expected_records(store)["customers"])[0]
    store.delete("customers", gone)

    source.read(cache=cache)

    with cache.get_sql_engine().connect() as sql:
        sql.execute(text(CURRENT_ROWS_VIEW.format(schema=cache.schema_name)))
        current = {row.id for row in sql.execute(text(f"SELECT id FROM {cache.schema_name}.customers_current"))}
        stored = {row.id for row in sql.execute(text(f"SELECT id FROM {cache.schema_name}.customers"))}
    assert gone in stored, "the tombstone arrives as a row"
    assert current == set(expected_records(store)["customers"]), "the view shows exactly the live customers"
