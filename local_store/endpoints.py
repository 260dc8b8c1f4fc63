"""The local store's endpoint catalogue and handlers: replies and errors, the listings of the first
ten resources (filters and sorts as data), routes (with the parameters each models) and the code that
answers them, including every resource declared in resources.py. Handlers run with the store's lock
held and read `store.data`; they know nothing of HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import base64
import binascii
import json
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache, partial
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence
from urllib.parse import urlencode

from .resources import RESOURCES, SITES, V2, V2_ALL, V3, V3_ALL, V3_CURSOR, Resource
from .query import (
    ANY_TEXT_WITHIN,
    AT_LEAST,
    AT_MOST,
    BadParam,
    EQUALS,
    Filter,
    HAS_ANY_MEMBER,
    HAS_MEMBER,
    ONE_OF,
    SortField,
    Sorting,
    billing_email,
    bool_filter,
    bool_key,
    date_key,
    date_value,
    decimal_value,
    field_value,
    full_name,
    int_filter,
    integer_filters,
    like_filter,
    number_key,
    order_records,
    parse_bool,
    parse_day_or_moment,
    parse_decimal,
    parse_int,
    parse_int_list,
    parse_text,
    parse_text_list,
    same_day_or_moment,
    sort_fields,
    text_filter,
    text_in_filter,
    text_key,
    v2_date_filters,
    v3_date_filters,
)

if TYPE_CHECKING:
    from .server import LocalStore

UTC = timezone.utc
DEFAULT_LIMIT = 50
MAX_LIMIT = 250
LIMIT_WITH_OPTIONS = 10  # products: including options/modifiers shrinks the page (BigCommerce docs)
STATUS_CODES_URL = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"



# --------------------------------------------------------------------------------------------------
# Replies and errors
# --------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json_bytes(payload), {"Content-Type": "application/json; charset=utf-8"})


def no_content() -> Reply:
    return Reply(204)


class ApiError(Exception):
    """An error answer. `v2_shape` picks v2's `[{"status", "message"}]` body over v3's object; the
    gateway-level errors (auth, scope, rate limit, 5xx, suspension) always use the object."""

    def __init__(self, status: int, title: str, *, v2_shape: bool = False):
        super().__init__(title)
        self.status, self.title, self.v2_shape = status, title, v2_shape

    def reply(self) -> Reply:
        if self.v2_shape:
            return json_reply(self.status, [{"status": self.status, "message": self.title}])
        return json_reply(self.status, {"status": self.status, "title": self.title, "type": STATUS_CODES_URL, "errors": {}})


# --------------------------------------------------------------------------------------------------
# The endpoint catalogue
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What one list endpoint supports: its filters and sort; `field_selection` enables the catalog's
    `include_fields`/`exclude_fields`. (`include=` sub-lists are left out by `StoreData.to_api`.)"""

    stream: str
    filters: tuple = ()
    sorting: Sorting = Sorting()
    field_selection: bool = False

    def active_filters(self, query: Mapping[str, str], now: datetime) -> list:
        return [(f, f.parse(query[f.param], now)) for f in self.filters if f.param in query]


CUSTOMERS = Listing(
    "customers",
    filters=(
        *integer_filters("id", "id", "in"),
        text_in_filter("company:in", "company"),
        *integer_filters("customer_group_id", "customer_group_id", "in"),
        *v3_date_filters("date_created"),
        *v3_date_filters("date_modified"),
        text_in_filter("email:in", "email"),
        Filter("name:in", full_name, parse_text_list, ONE_OF),
        Filter("name:like", full_name, parse_text_list, ANY_TEXT_WITHIN),
        text_in_filter("phone:in", "phone"),
        text_in_filter("registration_ip_address:in", "registration_ip_address"),
    ),
    sorting=Sorting("colon", sort_fields(date_created=date_key, date_modified=date_key, last_name=text_key)),
)

ORDER_FILTERS = (
    *(Filter(p, field_value("id"), parse_int, t) for p, t in (("min_id", AT_LEAST), ("max_id", AT_MOST))),
    *(Filter(p, decimal_value("total_inc_tax"), parse_decimal, t) for p, t in (("min_total", AT_LEAST), ("max_total", AT_MOST))),
    int_filter("customer_id", "customer_id"),
    Filter("email", billing_email, parse_text, EQUALS),
    int_filter("status_id", "status_id"),
    text_filter("cart_id", "cart_id"),
    text_filter("payment_method", "payment_method"),
    *v2_date_filters("date_created"),
    *v2_date_filters("date_modified"),
    int_filter("channel_id", "channel_id"),
    text_filter("external_order_id", "external_order_id"),
    # Not in today's OpenAPI file but long accepted (client libraries send it); without it, archived
    # orders are listed too, so the local store's orders are exactly the canonical ones.
    bool_filter("is_deleted", "is_deleted"),
)

ORDERS = Listing(
    "orders",
    filters=ORDER_FILTERS,
    sorting=Sorting(
        "colon",
        sort_fields(
            id=number_key,
            customer_id=number_key,
            date_created=date_key,
            date_modified=date_key,
            status_id=number_key,
            channel_id=number_key,
            external_id=text_key,
        ),
    ),
)

ORDER_PRODUCTS = Listing("order_products")

TRANSACTIONS = Listing("transactions")

PRODUCTS = Listing(
    "products",
    filters=(
        *integer_filters("id", "id"),
        text_filter("name", "name"),
        text_filter("sku", "sku"),
        text_in_filter("sku:in", "sku"),
        Filter("price", decimal_value("price"), parse_decimal, EQUALS),
        Filter("weight", decimal_value("weight"), parse_decimal, EQUALS),
        text_filter("condition", "condition"),
        int_filter("brand_id", "brand_id"),
        *v3_date_filters("date_modified"),
        *v3_date_filters("date_last_imported"),
        Filter("date_last_imported:not", date_value("date_last_imported"), parse_day_or_moment, lambda h, w: not same_day_or_moment(h, w)),
        bool_filter("is_visible", "is_visible"),
        bool_filter("is_featured", "is_featured"),
        bool_filter("is_free_shipping", "is_free_shipping"),
        *integer_filters("inventory_level", "inventory_level"),
        int_filter("total_sold", "total_sold"),
        text_filter("type", "type"),
        Filter("categories", field_value("categories"), parse_int, HAS_MEMBER),
        Filter("categories:in", field_value("categories"), parse_int_list, HAS_ANY_MEMBER),
        text_filter("availability", "availability"),
    ),
    sorting=Sorting(
        "direction",
        sort_fields(
            id=number_key,
            name=text_key,
            sku=text_key,
            price=number_key,
            date_modified=date_key,
            date_last_imported=date_key,
            inventory_level=number_key,
            is_visible=bool_key,
            total_sold=number_key,
        ),
    ),
    field_selection=True,
)

BRANDS = Listing(
    "brands",
    filters=(*integer_filters("id", "id"), text_filter("name", "name"), like_filter("name:like", "name"), text_filter("page_title", "page_title")),
    sorting=Sorting("direction", sort_fields(name=text_key)),
    field_selection=True,
)

CATEGORIES = Listing(
    "categories",
    filters=(
        *integer_filters("id", "id"),
        text_filter("name", "name"),
        like_filter("name:like", "name"),
        *integer_filters("parent_id", "parent_id"),
        text_filter("page_title", "page_title"),
        like_filter("page_title:like", "page_title"),
        bool_filter("is_visible", "is_visible"),
    ),
    sorting=Sorting("ascending", sort_fields(name=text_key, id=number_key, parent_id=number_key, sort_order=number_key)),
    field_selection=True,
)

# `available=true` means these statuses (BigCommerce channels docs); false means the others.
AVAILABLE_CHANNEL_STATUSES = frozenset({"prelaunch", "active", "inactive", "connected"})

CHANNELS = Listing(
    "channels",
    filters=(
        Filter("available", lambda r: r.get("status") in AVAILABLE_CHANNEL_STATUSES, parse_bool, EQUALS),
        text_in_filter("status:in", "status"),
        text_in_filter("type:in", "type"),
        text_in_filter("platform:in", "platform"),
        *v3_date_filters("date_created"),
        *v3_date_filters("date_modified"),
    ),
)

PAGES = Listing(
    "pages",
    filters=(int_filter("channel_id", "channel_id"), *integer_filters("id", "id", "in"), text_filter("name", "name"), like_filter("name:like", "name")),
)


@dataclass(frozen=True)
class Route:
    template: str  # below /stores/{store_hash}; `{id}` is a numeric path parameter
    scope: Optional[str]  # BigCommerce scope family; `X` or `X_read_only` grants it
    serve: Callable[["LocalStore", "ApiRequest"], Reply]
    accepts: frozenset = frozenset()  # the query parameters it models; strict mode answers 400 to others

    @property
    def pattern(self) -> re.Pattern:
        return _compile_template(self.template)


@lru_cache(maxsize=None)
def _compile_template(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>\\d+)", re.escape(template)) + "$")


@dataclass(frozen=True)
class ApiRequest:
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    received_at: datetime  # UTC, whole seconds
    v2: bool

    def error(self, status: int, title: str) -> ApiError:
        return ApiError(status, title, v2_shape=self.v2)


# --------------------------------------------------------------------------------------------------
# Endpoint handlers (run with the store's lock held)
# --------------------------------------------------------------------------------------------------


def read_paging(request: ApiRequest, *, cap: int = MAX_LIMIT) -> tuple:
    """`page` (1-based) and `limit` (default 50); a limit above 250 is 413 as on BigCommerce."""
    try:
        page = parse_int(request.query.get("page", "1"))
        limit = parse_int(request.query.get("limit", str(DEFAULT_LIMIT)))
    except BadParam as problem:
        raise request.error(400 if request.v2 else 422, f"Invalid paging: {problem}") from None
    if limit > MAX_LIMIT:
        raise request.error(413, f"The limit {limit} is larger than the maximum of {MAX_LIMIT}.")
    if page < 1 or limit < 1:
        raise request.error(400 if request.v2 else 422, "page and limit must be positive integers.")
    return page, min(limit, cap)


def select(store: "LocalStore", request: ApiRequest, listing: Listing, records: Iterable[Mapping], *, deterministic: bool = False) -> tuple:
    """Filter and sort canonical records. -> (ordered records, sort name, SortField, descending)."""
    try:
        active = listing.active_filters(request.query, request.received_at)
        name, by, descending = listing.sorting.parse(request.query)
    except BadParam as problem:
        raise request.error(400 if request.v2 else 422, str(problem)) from None
    kept = [r for r in records if all(f.test(f.read_record(r), wanted) for f, wanted in active)]
    shuffle = None if deterministic or not store.options.shuffle_ties else store.tie_random
    return order_records(kept, by, descending, shuffle), name, by, descending


def requested_includes(query: Mapping[str, str]) -> frozenset:
    return frozenset(part.strip() for part in query.get("include", "").split(",") if part.strip())


# `include=` names that embed a whole table of the parent's children: (parent table, include) -> (table, child field)
EMBEDDED_TABLES = {
    ("products", "reviews"): ("product_reviews", "product_id"),
    ("products", "bulk_pricing_rules"): ("product_bulk_pricing_rules", "product_id"),
    ("products", "options"): ("product_options", "product_id"),
    ("products", "modifiers"): ("product_modifiers", "product_id"),
    ("orders", "fees"): ("order_fees", "order_id"),
}


def render(store: "LocalStore", listing: Listing, request: ApiRequest, records: Sequence[Mapping]) -> list:
    """Canonical -> as BigCommerce sends it, minus what the request did not ask to include."""
    include = requested_includes(request.query)
    rendered = [store.data.to_api(listing.stream, record, base_url_for_links=store.base_url, include=include) for record in records]
    for (parent, name), (table, field_name) in EMBEDDED_TABLES.items():
        if parent == listing.stream and name in include and table in store.data.records:
            wanted = {item["id"] for item in rendered}
            children: dict = {}
            for child in store.data.records[table].values():
                if child.get(field_name) in wanted:
                    children.setdefault(child[field_name], []).append(store.data.to_api(table, child))
            for item in rendered:
                item[name] = children.get(item["id"], [])
    return [select_fields(item, request.query) for item in rendered] if listing.field_selection else rendered


def select_fields(item: dict, query: Mapping[str, str]) -> dict:
    """Catalog `include_fields` / `exclude_fields`; the id always stays."""
    if query.get("include_fields"):
        keep = {f.strip() for f in query["include_fields"].split(",")} | {"id"}
        item = {k: v for k, v in item.items() if k in keep}
    if query.get("exclude_fields"):
        drop = {f.strip() for f in query["exclude_fields"].split(",")} - {"id"}
        item = {k: v for k, v in item.items() if k not in drop}
    return item


def page_link(query: Mapping[str, str], **position: Any) -> str:
    """v3 links are relative query strings; they keep the request's filters so following one is safe."""
    kept = {k: v for k, v in query.items() if k not in ("page", "limit", "after", "before")}
    return "?" + urlencode({**kept, **position})


def page_meta(query: Mapping[str, str], total: int, count: int, page: int, limit: int) -> dict:
    total_pages = math.ceil(total / limit)
    links = {"current": page_link(query, page=page, limit=limit)}
    if page > 1:
        links["previous"] = page_link(query, page=page - 1, limit=limit)
    if page < total_pages:
        links["next"] = page_link(query, page=page + 1, limit=limit)
    return {"total": total, "count": count, "per_page": limit, "current_page": page, "total_pages": total_pages, "links": links}


def serve_v2_list(store: "LocalStore", request: ApiRequest, listing: Listing, records: Optional[Iterable[Mapping]] = None) -> Reply:
    """A v2 list: a bare JSON array; nothing to return (also past the last page) is 204, empty body."""
    page, limit = read_paging(request)
    ordered, *_ = select(store, request, listing, store.data.records[listing.stream].values() if records is None else records)
    chunk = ordered[(page - 1) * limit : page * limit]
    if not chunk:
        return no_content()
    rendered = render(store, listing, request, chunk)
    includes = requested_includes(request.query)
    if listing.stream == "orders" and includes & {"consignments", "consignments.line_items"}:
        for order in rendered:
            embed_consignments(store, request, order, "consignments.line_items" in includes)
    return json_reply(200, rendered)


def embed_consignments(store: "LocalStore", request: ApiRequest, order: dict, line_items: bool) -> None:
    """`include=consignments[.line_items]`: the order's consignments (`consignment_structure=object`
    gives the object, otherwise BigCommerce's legacy array around it)."""
    from .resources_orders import consignments

    shaped = consignments(store.data, store.data.records["orders"][order["id"]], line_items, base_url=store.base_url)
    order["consignments"] = shaped if request.query.get("consignment_structure") == "object" else [shaped]


def serve_v3_list(store: "LocalStore", request: ApiRequest, listing: Listing, records: Optional[Iterable[Mapping]] = None,
                  cap: int = MAX_LIMIT) -> Reply:
    """A v3 list: `{"data": [...], "meta": {"pagination": {...}}}`; past the last page `data` is empty."""
    if requested_includes(request.query) & {"options", "modifiers"} and listing is PRODUCTS:
        cap = LIMIT_WITH_OPTIONS
    page, limit = read_paging(request, cap=cap)
    ordered, *_ = select(store, request, listing, store.data.records[listing.stream].values() if records is None else records)
    chunk = ordered[(page - 1) * limit : page * limit]
    meta = {"pagination": page_meta(request.query, len(ordered), len(chunk), page, limit)}
    return json_reply(200, {"data": render(store, listing, request, chunk), "meta": meta})


def serve_resource(store: "LocalStore", request: ApiRequest, resource: Resource) -> Reply:
    """Any declared resource (resources.py): its records (one parent's, on a per-parent route),
    filtered, sorted and wrapped in the body its real endpoint sends."""
    listing = Listing(resource.name, filters=resource.filters, sorting=resource.sorting)
    records: Iterable[Mapping] = store.data.records[resource.name].values()
    if resource.parent is not None:
        table, field_name = resource.parent
        parent_id = int(request.path_params["id"])
        if parent_id not in store.data.records[table]:
            raise request.error(404, f"{table} {parent_id} was not found.")
        records = [r for r in records if r.get(field_name) == parent_id]
        if not records and resource.none_is_204:
            return no_content()
    visible = getattr(sys.modules.get(resource.generate.__module__ if resource.generate else ""), "visible", None)
    if visible is not None:
        records = [r for r in records if visible(r)]
    if resource.body == V2:
        return serve_v2_list(store, request, listing, records)
    if resource.body == V3:
        return serve_v3_list(store, request, listing, records, cap=resource.max_limit)
    ordered, name, by, descending = select(store, request, listing, records, deterministic=True)
    if resource.body == V2_ALL:
        return json_reply(200, render(store, listing, request, ordered)) if ordered else no_content()
    if resource.body == V3_ALL:
        meta = {"pagination": page_meta(request.query, len(ordered), len(ordered), 1, max(1, len(ordered)))}
        return json_reply(200, {"data": render(store, listing, request, ordered), "meta": meta})
    if resource.body == SITES:
        page, limit = read_paging(request)
        chunk = ordered[(page - 1) * limit : page * limit]
        meta = {"pagination": {"offset": (page - 1) * limit, "limit": limit, "total_items": len(ordered)}}
        return json_reply(200, {"data": render(store, listing, request, chunk), "meta": meta})
    if resource.body == V3_CURSOR:
        return serve_by_cursor(store, request, listing, ordered, (name, by, descending))
    raise ValueError(f"unknown body shape {resource.body!r}")


def serve_by_cursor(store: "LocalStore", request: ApiRequest, listing: Listing, ordered: list, sort: tuple) -> Reply:
    """Page numbers with `meta.pagination` (plus `cursor_pagination` on the first page: BigCommerce
    returns the cursors "on the first page or when the request contains before or after"), or, with
    `after`/`before`, `meta.cursor_pagination` only: the customers' and metafield lists' shape. The
    cursor carries the record's sort value and id, not a position, so edits elsewhere cannot shift it."""
    query = request.query
    page, limit = read_paging(request)
    name, by, descending = sort
    if "after" not in query and "before" not in query:
        chunk = ordered[(page - 1) * limit : page * limit]
        meta = {"pagination": page_meta(query, len(ordered), len(chunk), page, limit)}
        if page == 1:
            meta["cursor_pagination"] = cursor_meta(query, sort, chunk, False, len(ordered) > len(chunk), limit)
        return json_reply(200, {"data": render(store, listing, request, chunk), "meta": meta})
    try:
        anchor = decode_cursor(query.get("after") or query["before"])
    except BadParam as problem:
        raise request.error(422, str(problem)) from None
    if anchor["sort"] != name or anchor["desc"] != descending:
        raise request.error(422, "The cursor was issued for a different sort; start again without it.")
    anchor_key = by.key(anchor["value"])
    beyond = [comes_after(r, by, descending, anchor_key, anchor["id"]) for r in ordered]
    if "after" in query:
        following = [r for r, after in zip(ordered, beyond) if after]
        chunk, has_next, has_previous = following[:limit], len(following) > limit, len(following) < len(ordered)
    else:
        preceding = [r for r, after in zip(ordered, beyond) if not after and not (by.of(r) == anchor_key and r["id"] == anchor["id"])]
        chunk, has_previous, has_next = preceding[-limit:], len(preceding) > limit, len(preceding) < len(ordered)
    meta = {"cursor_pagination": cursor_meta(query, sort, chunk, has_previous, has_next, limit)}
    return json_reply(200, {"data": render(store, listing, request, chunk), "meta": meta})


def serve_v2_children(store: "LocalStore", request: ApiRequest, listing: Listing) -> Reply:
    """`/v2/orders/{id}/products`: 404 for an unknown order, 204 when it has none (or past the end)."""
    order_id = int(request.path_params["id"])
    if order_id not in store.data.records["orders"]:
        raise request.error(404, f"Order {order_id} was not found.")
    return serve_v2_list(store, request, listing, store.children(listing.stream, order_id))


def serve_v3_children(store: "LocalStore", request: ApiRequest, listing: Listing) -> Reply:
    """`/v3/orders/{id}/transactions`: 404 for an unknown order and 204 when it has no transactions."""
    order_id = int(request.path_params["id"])
    if order_id not in store.data.records["orders"]:
        raise request.error(404, f"Order {order_id} was not found.")
    children = store.children(listing.stream, order_id)
    if not children:
        return no_content()
    return serve_v3_list(store, request, listing, children)


# v2 order statuses as `/v2/orders/count` and `/v2/order_statuses` list them.
ORDER_STATUSES = (
    (0, "Incomplete"), (1, "Pending"), (2, "Shipped"), (3, "Partially Shipped"), (4, "Refunded"),
    (5, "Cancelled"), (6, "Declined"), (7, "Awaiting Payment"), (8, "Awaiting Pickup"),
    (9, "Awaiting Shipment"), (10, "Completed"), (11, "Awaiting Fulfillment"),
    (12, "Manual Verification Required"), (13, "Disputed"), (14, "Partially Refunded"),
)  # fmt: skip


def serve_orders_count(store: "LocalStore", request: ApiRequest) -> Reply:
    """`/v2/orders/count`: the number of orders matching the filters, and a count per status."""
    ordered, *_ = select(store, request, Listing("orders", filters=ORDER_FILTERS), store.data.records["orders"].values())
    per_status = Counter(order.get("status_id") for order in ordered)
    statuses = [
        {"id": sid, "name": name, "system_label": name, "custom_label": name, "system_description": name, "count": per_status[sid], "sort_order": sid}
        for sid, name in ORDER_STATUSES
    ]
    return json_reply(200, {"count": len(ordered), "statuses": statuses})


def serve_store(store: "LocalStore", request: ApiRequest) -> Reply:
    record = next(iter(store.data.records["store"].values()))
    return json_reply(200, store.data.to_api("store", record, base_url_for_links=store.base_url))


def serve_time(store: "LocalStore", request: ApiRequest) -> Reply:
    return json_reply(200, {"time": int(request.received_at.timestamp())})


# --------------------------------------------------------------------------------------------------
# Customers: page numbers or an opaque keyset cursor
# --------------------------------------------------------------------------------------------------


def encode_cursor(sort_name: str, descending: bool, record: Mapping, by: SortField) -> str:
    # The cursor carries the record's sort value and id, not a position, so edits elsewhere in the
    # list cannot shift it: the next page starts strictly after this (value, id) pair.
    token = {"sort": sort_name, "desc": descending, "value": record.get(by.record_field), "id": record["id"]}
    return base64.urlsafe_b64encode(json_bytes(token)).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> dict:
    try:
        token = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(token, dict) or not {"sort", "desc", "value", "id"} <= token.keys():
            raise ValueError
        return token
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadParam(f"'{text}' is not a cursor this endpoint issued") from None


def comes_after(record: Mapping, by: SortField, descending: bool, anchor_key: tuple, anchor_id: int) -> bool:
    key = by.of(record)
    if key != anchor_key:
        return key < anchor_key if descending else key > anchor_key
    return record["id"] > anchor_id  # ties are always in id order under a cursor


def cursor_meta(query: Mapping[str, str], sort: tuple, page: Sequence[Mapping], has_previous: bool, has_next: bool, limit: int) -> dict:
    name, by, descending = sort
    start = encode_cursor(name, descending, page[0], by) if page else None
    end = encode_cursor(name, descending, page[-1], by) if page else None
    links = {"current": page_link(query, **{k: query[k] for k in ("after", "before") if k in query}, limit=limit)}
    if has_previous and start:
        links["previous"] = page_link(query, before=start, limit=limit)
    if has_next and end:
        links["next"] = page_link(query, after=end, limit=limit)
    return {"count": len(page), "per_page": limit, "start_cursor": start, "end_cursor": end, "links": links}


def serve_customers(store: "LocalStore", request: ApiRequest) -> Reply:
    """Customers page by number or by cursor (with `after`/`before`, `page` is ignored). The first page
    hands out a keyset cursor, so its order, like a cursor page's, is the keyset's: ties by id whatever
    `shuffle_ties` says (a keyset cursor needs a total order)."""
    cursored = "after" in request.query or "before" in request.query
    page, _ = read_paging(request)
    ordered, name, by, descending = select(store, request, CUSTOMERS, store.data.records["customers"].values(),
                                           deterministic=cursored or page == 1)
    return serve_by_cursor(store, request, CUSTOMERS, ordered, (name, by, descending))


# Scope families (BigCommerce "OAuth scopes"); a token holding `X` or `X_read_only` may read.
SCOPE_CUSTOMERS = "store_v2_customers"
SCOPE_ORDERS = "store_v2_orders"
SCOPE_TRANSACTIONS = "store_v2_transactions"
SCOPE_CONTENT = "store_v2_content"
SCOPE_PRODUCTS = "store_v2_products"
SCOPE_CHANNELS = "store_channel_settings"
SCOPE_INFORMATION = "store_v2_information"

PAGING = frozenset({"page", "limit"})


def modelled(listing: Listing, *extra: str, paged: bool = True) -> frozenset:
    """The query parameters a route models: its filters, its sort, paging, and `extra`."""
    sort = {"none": set(), "direction": {"sort", "direction"}}.get(listing.sorting.spelling, {"sort"})
    return frozenset({f.param for f in listing.filters} | sort | (PAGING if paged else set()) | set(extra))


def resource_route(resource: Resource) -> Route:
    listing = Listing(resource.name, filters=resource.filters, sorting=resource.sorting)
    cursor = ("after", "before") if resource.body == V3_CURSOR else ()
    paged = resource.body not in (V2_ALL, V3_ALL)
    return Route(resource.route, resource.scope, partial(serve_resource, resource=resource),
                 modelled(listing, *resource.extra_params, *cursor, paged=paged))


FIELD_SELECTION = ("include_fields", "exclude_fields")

ROUTES = (
    Route("/v2/time", None, serve_time),
    Route("/v2/store", SCOPE_INFORMATION, serve_store),
    Route("/v2/orders", SCOPE_ORDERS, partial(serve_v2_list, listing=ORDERS), modelled(ORDERS, "include", "consignment_structure")),
    Route("/v2/orders/count", SCOPE_ORDERS, serve_orders_count, modelled(Listing("orders", filters=ORDER_FILTERS), paged=False)),
    Route("/v2/orders/{id}/products", SCOPE_ORDERS, partial(serve_v2_children, listing=ORDER_PRODUCTS), PAGING),
    Route("/v3/customers", SCOPE_CUSTOMERS, serve_customers, modelled(CUSTOMERS, "include", "after", "before")),
    Route("/v3/catalog/products", SCOPE_PRODUCTS, partial(serve_v3_list, listing=PRODUCTS), modelled(PRODUCTS, "include", *FIELD_SELECTION)),
    Route("/v3/catalog/brands", SCOPE_PRODUCTS, partial(serve_v3_list, listing=BRANDS), modelled(BRANDS, *FIELD_SELECTION)),
    Route("/v3/catalog/categories", SCOPE_PRODUCTS, partial(serve_v3_list, listing=CATEGORIES), modelled(CATEGORIES, *FIELD_SELECTION)),
    Route("/v3/channels", SCOPE_CHANNELS, partial(serve_v3_list, listing=CHANNELS), modelled(CHANNELS, "include")),
    Route("/v3/content/pages", SCOPE_CONTENT, partial(serve_v3_list, listing=PAGES), modelled(PAGES, "include")),
    Route("/v3/orders/{id}/transactions", SCOPE_TRANSACTIONS, partial(serve_v3_children, listing=TRANSACTIONS), PAGING),
    *(resource_route(resource) for resource in RESOURCES),
)

STORE_PREFIX = re.compile(r"^/stores/(?P<store_hash>[^/]+)(?P<rest>/.*)$")


def match_route(rest: str) -> tuple:
    for route in ROUTES:
        found = route.pattern.match(rest)
        if found:
            return route, found.groupdict()
    return None, {}


def has_scope(scopes: Optional[frozenset], family: Optional[str]) -> bool:
    return scopes is None or family is None or family in scopes or f"{family}_read_only" in scopes
