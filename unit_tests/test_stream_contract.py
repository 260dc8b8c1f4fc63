"""One table over every stream: where it reads, what it sends first, its key and cursor."""

from datetime import datetime, timezone

import pytest

from source_bigcommerce.config import BigCommerceConfig
from source_bigcommerce.streams import (
    Brands, Categories, Channels, Customers, OrderProducts, Orders, Pages, Products, Store, Transactions,
)

CONFIG = BigCommerceConfig(store_hash="abc123", access_token="t0ken", start_date=datetime(2020, 1, 1, tzinfo=timezone.utc))
WINDOW = {"start": "2020-01-01T00:00:00+00:00", "end": "2024-05-01T10:00:00+00:00"}
ORDER = {"order_id": 42, "order_date_modified": "2024-04-30T09:00:00+00:00"}
BASE = "https://api.bigcommerce.com/stores/abc123/"

CONTRACT = [
    # stream, slice, url, first query, cursor field, scope
    (Customers, WINDOW, "v3/customers",
     {"limit": 250, "date_modified:min": WINDOW["start"], "date_modified:max": WINDOW["end"], "sort": "date_modified:asc",
      "include": "addresses,storecredit,attributes,formfields"}, "date_modified", "store_v2_customers_read_only"),
    (Orders, WINDOW, "v2/orders",
     {"limit": 250, "min_date_modified": WINDOW["start"], "max_date_modified": WINDOW["end"], "sort": "date_modified:asc"},
     "date_modified", "store_v2_orders_read_only"),
    (OrderProducts, ORDER, "v2/orders/42/products", {"limit": 250, "page": 1}, "order_date_modified", "store_v2_orders_read_only"),
    (Transactions, ORDER, "v3/orders/42/transactions", {"limit": 250, "page": 1}, "order_date_modified", "store_v2_transactions_read_only"),
    (Products, WINDOW, "v3/catalog/products",
     {"limit": 250, "date_modified:min": WINDOW["start"], "date_modified:max": WINDOW["end"], "sort": "date_modified",
      "direction": "asc", "include": "variants,images,custom_fields"}, "date_modified", "store_v2_products_read_only"),
    (Channels, WINDOW, "v3/channels",
     {"limit": 250, "page": 1, "date_modified:min": WINDOW["start"], "date_modified:max": WINDOW["end"]},
     "date_modified", "store_channel_settings_read_only"),
    (Brands, None, "v3/catalog/brands", {"limit": 250, "page": 1}, "", "store_v2_products_read_only"),
    (Categories, None, "v3/catalog/categories", {"limit": 250, "page": 1}, "", "store_v2_products_read_only"),
    (Pages, None, "v3/content/pages", {"limit": 250, "page": 1, "include": "body"}, "", "store_v2_content_read_only"),
    (Store, None, "v2/store", {}, "", "store_v2_information_read_only"),
]


@pytest.mark.parametrize("stream_class, stream_slice, url, query, cursor_field, scope", CONTRACT, ids=[c[0].__name__ for c in CONTRACT])
def test_stream_contract(stream_class, stream_slice, url, query, cursor_field, scope):
    stream = stream_class(CONFIG)

    assert stream.url_base + stream.path(stream_slice=stream_slice) == BASE + url
    assert stream.request_params(stream_slice=stream_slice) == query
    assert stream.primary_key == "id"
    assert stream.cursor_field == cursor_field
    assert stream.scope == scope
    headers = stream.request_headers()
    assert headers["X-Auth-Token"] == "t0ken" and headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("source-bigcommerce/")
    assert stream.request_kwargs()["timeout"]  # every request has connect and read timeouts
    schema = stream.get_json_schema()
    assert "id" in schema["properties"]
    if cursor_field:
        assert schema["properties"][cursor_field]["format"] == "date-time"


def test_every_stream_is_in_the_contract():
    from source_bigcommerce.source import SourceBigCommerce

    names = [s.name for s in SourceBigCommerce().streams({"store_hash": "abc123", "access_token": "t", "start_date": "2020-01-01"})]
    assert sorted(names) == sorted(c[0](CONFIG).name for c in CONTRACT)


def test_given_store_without_logo_when_read_then_logo_is_null_not_an_empty_array():
    record = Store(CONFIG).transform({"id": "abc123", "logo": []}, None)
    assert record["logo"] is None
    assert Store(CONFIG).transform({"id": "abc123", "logo": {"url": "https://x/logo.png"}}, None)["logo"] == {"url": "https://x/logo.png"}
