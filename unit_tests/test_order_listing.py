"""The shared orders listing: one listing for all readers, bounded memory, nothing lost or doubled."""

import threading
import time
from datetime import datetime, timedelta, timezone

from source_bigcommerce import order_listing
from source_bigcommerce.dates import format_date, parse_date
from source_bigcommerce.order_listing import SharedOrderListing

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
ORDERS = [{"id": n, "date_modified": format_date(T0 + timedelta(seconds=n // 3))} for n in range(1, 2001)]  # ties of 3
END = format_date(T0 + timedelta(days=1))


class FakeOrdersStream:
    """Serves the orders of a window in date order and counts listings started."""

    listings = 0

    def read_records(self, sync_mode, stream_slice):
        FakeOrdersStream.listings += 1
        start, end = parse_date(stream_slice["start"]), parse_date(stream_slice["end"])
        return (o for o in ORDERS if start <= parse_date(o["date_modified"]) <= end)


def window(seconds):
    return {"start": format_date(T0 + timedelta(seconds=seconds)), "end": END}


def setup_function():
    FakeOrdersStream.listings = 0


def test_given_three_readers_when_all_read_then_orders_listed_once_and_each_gets_its_window():
    listing = SharedOrderListing(FakeOrdersStream, {"orders": window(0), "order_products": window(0), "transactions": window(100)})
    results = {}

    def read(reader):
        results[reader] = [o["id"] for o in listing.orders(reader)]

    threads = [threading.Thread(target=read, args=(r,)) for r in ("orders", "order_products", "transactions")]
    [t.start() for t in threads]
    [t.join() for t in threads]

    assert FakeOrdersStream.listings == 1
    assert results["orders"] == results["order_products"] == [o["id"] for o in ORDERS]
    assert results["transactions"] == [o["id"] for o in ORDERS if parse_date(o["date_modified"]) >= T0 + timedelta(seconds=100)]


def test_given_reader_that_never_starts_when_others_read_then_memory_stays_bounded_and_it_reads_alone_later(monkeypatch):
    monkeypatch.setattr(order_listing, "MAX_CHUNKS_AHEAD", 2)
    monkeypatch.setattr(order_listing, "START_GRACE_SECONDS", 0.2)
    listing = SharedOrderListing(FakeOrdersStream, {"orders": window(0), "transactions": window(0)})

    assert [o["id"] for o in listing.orders("orders")] == [o["id"] for o in ORDERS]
    assert len(listing._chunks) <= 2, "chunks kept for a reader that never started"

    late = [o["id"] for o in listing.orders("transactions")]
    assert late == [o["id"] for o in ORDERS]  # nothing lost, nothing twice
    assert FakeOrdersStream.listings == 2


def test_given_slow_started_reader_when_another_runs_ahead_then_it_waits_and_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(order_listing, "MAX_CHUNKS_AHEAD", 2)
    listing = SharedOrderListing(FakeOrdersStream, {"orders": window(0), "transactions": window(0)})
    held, results = [], {}

    def slow():
        ids = []
        for order in listing.orders("transactions"):
            ids.append(order["id"])
            if order["id"] % 100 == 0:
                time.sleep(0.01)
                held.append(len(listing._chunks))
        results["transactions"] = ids

    reader = threading.Thread(target=slow)
    reader.start()
    results["orders"] = [o["id"] for o in listing.orders("orders")]
    reader.join()

    assert results["orders"] == results["transactions"] == [o["id"] for o in ORDERS]
    assert max(held) <= 3
    assert FakeOrdersStream.listings == 1


def test_given_reader_that_stops_early_when_others_go_on_then_they_do_not_wait_for_it(monkeypatch):
    monkeypatch.setattr(order_listing, "MAX_CHUNKS_AHEAD", 2)
    listing = SharedOrderListing(FakeOrdersStream, {"orders": window(0), "transactions": window(0)})
    abandoned = listing.orders("transactions")
    next(abandoned)
    abandoned.close()  # its stream failed: the generator is closed

    assert [o["id"] for o in listing.orders("orders")] == [o["id"] for o in ORDERS]


def test_given_empty_window_when_read_then_nothing_and_no_request():
    listing = SharedOrderListing(FakeOrdersStream, {"orders": None})

    assert list(listing.orders("orders")) == []
    assert FakeOrdersStream.listings == 0
