"""Every stream the connector syncs, one short declaration each.

API reference: https://developer.bigcommerce.com/docs/rest-management
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable, Mapping, MutableMapping, Optional

from ..dates import format_date, parse_date
from ..pagination import V2_ORDERS, V3_CATALOG, CursorPaginator, DateKeysetPaginator, PageNumberPaginator
from ..errors import decoded_body
from .base import V2Stream, V3Stream, estimate, window

ESTIMATE_ORDERS_OVER = timedelta(days=7)


def _date_modified(record: Mapping[str, Any]):
    return parse_date(record["date_modified"])


class Customers(V3Stream):
    """https://developer.bigcommerce.com/docs/rest-management/customers#get-all-customers
    Cursor paging (`after`) inside the sync's date window, sorted by date_modified: a keyset, so a
    customer edited mid-sync cannot shift the others out of a page."""

    endpoint = "customers"
    scope = "store_v2_customers_read_only"
    cursor_field = "date_modified"

    def paginator(self, stream_slice: Optional[Mapping[str, Any]]) -> CursorPaginator:
        start, end = window(stream_slice)
        return CursorPaginator(**{"date_modified:min": format_date(start), "date_modified:max": format_date(end),
                                  "sort": "date_modified:asc", "include": "addresses,storecredit,attributes,formfields"})


class Orders(V2Stream):
    """https://developer.bigcommerce.com/docs/rest-management/orders#get-all-orders
    Date keyset paging (see DateKeysetPaginator): v2 has no cursor, and page numbers over
    date_modified skip records that change while we read."""

    endpoint = "orders"
    scope = "store_v2_orders_read_only"
    cursor_field = "date_modified"
    listing: Any = None  # a SharedOrderListing when the children read the same window

    def read_records(self, *args: Any, stream_slice: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        if self.listing is not None:
            return self._read_shared(stream_slice)
        return super().read_records(*args, stream_slice=stream_slice, **kwargs)

    def _read_shared(self, stream_slice: Optional[Mapping[str, Any]]) -> Iterable[Any]:
        if stream_slice and window(stream_slice)[1] - window(stream_slice)[0] > ESTIMATE_ORDERS_OVER:
            yield from OrdersCount(self.config, api_budget=self.api_budget, stats=self.stats).estimate(stream_slice)
        yield from self.listing.orders(self.name)

    def paginator(self, stream_slice: Optional[Mapping[str, Any]]) -> DateKeysetPaginator:
        start, end = window(stream_slice)
        return DateKeysetPaginator(V2_ORDERS, start, end, _date_modified)


class OrdersCount(V2Stream):
    """https://developer.bigcommerce.com/docs/rest-management/orders#get-a-count-of-orders
    v2 gives no totals with its pages, so a long window (a first sync) asks for the count once, for the
    platform's progress bar. Short incremental windows skip it: a request there is a large share of the sync."""

    endpoint = "orders/count"
    scope = "store_v2_orders_read_only"
    estimates_rows = False

    def get_json_schema(self) -> Mapping[str, Any]:
        return {}

    def estimate(self, stream_slice: Mapping[str, Any]) -> Iterable[Any]:
        start, end = window(stream_slice)
        query = {"min_date_modified": format_date(start), "max_date_modified": format_date(end)}
        try:
            response = self._http_client.send_request("GET", self.url_base + self.endpoint, headers=dict(self.request_headers()),
                                                      params=query, request_kwargs=dict(self.request_kwargs()))[1]
            count = (decoded_body(response) or {}).get("count") if response.ok else None
        except Exception as error:  # an estimate is never worth failing the sync for
            self.logger.warning(f"Could not count the orders for a progress estimate: {error}")
            return
        if isinstance(count, int) and not isinstance(count, bool):
            yield estimate("orders", count)


class Products(V3Stream):
    """https://developer.bigcommerce.com/docs/rest-catalog/products#get-all-products
    Date keyset paging like orders. Variant edits do not bump a product's date_modified (an API limit)."""

    endpoint = "catalog/products"
    scope = "store_v2_products_read_only"
    cursor_field = "date_modified"

    def paginator(self, stream_slice: Optional[Mapping[str, Any]]) -> DateKeysetPaginator:
        start, end = window(stream_slice)
        return DateKeysetPaginator(V3_CATALOG, start, end, _date_modified, fixed={"include": "variants,images,custom_fields"})


class Channels(V3Stream):
    """https://developer.bigcommerce.com/docs/rest-management/channels#get-all-channels
    Filterable by date_modified but not sortable: the cursor moves only once every page is read."""

    endpoint = "channels"
    scope = "store_channel_settings_read_only"
    cursor_field = "date_modified"
    records_sorted_by_cursor = False

    def paginator(self, stream_slice: Optional[Mapping[str, Any]]) -> PageNumberPaginator:
        start, end = window(stream_slice)
        return PageNumberPaginator(**{"date_modified:min": format_date(start), "date_modified:max": format_date(end)})


class OrderChildStream:
    """Read per order, only for the orders in the sync's window, so an incremental sync costs requests
    for changed orders only. The order's date_modified is the cursor: each record carries it as
    `order_date_modified`, and the state moves as each order's children are complete."""

    cursor_field = "order_date_modified"
    missing_parent_is_fine = True  # an order deleted while we read
    estimates_rows = False  # a total per order is no estimate of the stream

    def transform(self, record: MutableMapping[str, Any], stream_slice: Optional[Mapping[str, Any]]) -> MutableMapping[str, Any]:
        record = super().transform(record, stream_slice)  # type: ignore[misc]
        record.setdefault("order_id", stream_slice["order_id"])  # type: ignore[index]
        record["order_date_modified"] = stream_slice["order_date_modified"]  # type: ignore[index]
        return record


class OrderProducts(OrderChildStream, V2Stream):
    """https://developer.bigcommerce.com/docs/rest-management/orders/order-products#get-order-products"""

    endpoint = "orders/{order_id}/products"
    scope = "store_v2_orders_read_only"


class Transactions(OrderChildStream, V3Stream):
    """https://developer.bigcommerce.com/docs/rest-management/transactions#get-transactions
    204 when the order has none."""

    endpoint = "orders/{order_id}/transactions"
    scope = "store_v2_transactions_read_only"


class Brands(V3Stream):
    """https://developer.bigcommerce.com/docs/rest-catalog/brands#get-all-brands
    No change marker: full refresh, paged in id order."""

    endpoint = "catalog/brands"
    scope = "store_v2_products_read_only"


class Categories(V3Stream):
    """https://developer.bigcommerce.com/docs/rest-catalog/categories#get-all-categories
    No change marker: full refresh, paged in id order."""

    endpoint = "catalog/categories"
    scope = "store_v2_products_read_only"


class Pages(V3Stream):
    """https://developer.bigcommerce.com/docs/rest-content/pages#get-pages
    No dates at all: full refresh, with the page markup (`include=body`)."""

    endpoint = "content/pages"
    scope = "store_v2_content_read_only"
    fixed_params = {"include": "body"}


class Store(V2Stream):
    """https://developer.bigcommerce.com/docs/rest-management/store-information#get-store-information
    One object, keyed by the store hash."""

    endpoint = "store"
    scope = "store_v2_information_read_only"

    def transform(self, record: MutableMapping[str, Any], stream_slice: Optional[Mapping[str, Any]]) -> MutableMapping[str, Any]:
        record = super().transform(record, stream_slice)
        if record.get("logo") == []:  # PHP's empty array for "no logo": null keeps the column an object
            record["logo"] = None
        return record

    def paginator(self, stream_slice: Optional[Mapping[str, Any]]) -> "SingleObject":
        return SingleObject()


class SingleObject(PageNumberPaginator):
    """/v2/store takes no paging parameters."""

    def first(self) -> dict:
        return {}
