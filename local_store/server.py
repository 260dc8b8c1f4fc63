"""A local double of the BigCommerce REST API, served over real HTTP.

`LocalStore` runs a threaded HTTP/1.1 server on 127.0.0.1 that answers the routes a BigCommerce
connector reads, the way BigCommerce does: v2 bare arrays with 204 past the last page, v3 `data`/`meta`
envelopes, customers' keyset cursors, the filters and sorts each real endpoint documents (anything else
is ignored, as BigCommerce ignores it), scopes, the four rate-limit headers and 429s, and the failures a
connector must survive (5xx, connections dropped mid-body, 200s whose JSON is cut short, latency,
merchants editing records mid-sync, a suspended store).

The records themselves live in `StoreData` (local_store/data.py) in canonical form; every response is
rendered through `StoreData.to_api`, so this module only decides *which* records go out and how they
are wrapped. Query parameters were checked against BigCommerce's OpenAPI files (bigcommerce/docs,
`reference/*.yml`) and its developer docs.

Layout: options and errors; query-value parsers; filters and sorts (as data); the endpoint
catalogue (`ROUTES`); endpoint handlers; rate limiter, faults, stats; the store; the HTTP handler.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
import re
import socket
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache, partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit

from .data import StoreData
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

UTC = timezone.utc
DEFAULT_LIMIT = 50
MAX_LIMIT = 250
LIMIT_WITH_OPTIONS = 10  # products: including options/modifiers shrinks the page (BigCommerce docs)
UNLIMITED_QUOTA = 1_000_000  # what the headers advertise when no quota is configured
STATUS_CODES_URL = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


# --------------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------------


@dataclass
class LocalStoreOptions:
    """Everything that makes one local store differ from another. Mutable: a running store reads it on
    every request, so a test may flip `suspended` or `quota` while the server runs."""

    seed: int = 1
    scale: float = 1.0
    store_hash: str = "localstore"
    tokens: dict[str, Optional[frozenset]] = field(default_factory=lambda: {"local-token": None})  # token -> scopes (None = all)
    latency_ms: float = 0
    jitter_ms: float = 0
    quota: Optional[int] = None  # requests per window; None = unlimited (headers still sent)
    quota_window_ms: int = 30000
    fault_5xx: float = 0  # probabilities per data request
    fault_drop: float = 0
    fault_truncate: float = 0
    fault_seed: int = 0
    change_every: Optional[int] = None  # every N data requests a merchant edits something
    shuffle_ties: bool = False  # BigCommerce promises no order among equal sort keys
    suspended: bool = False  # every API request -> 503
    clock_offset_seconds: float = 0  # the store's clock against the host's (BigCommerce's servers are not the connector's)
    strict: bool = True  # answer 400 to a query parameter the route does not model (BigCommerce ignores it; a test should not)
    broken_routes: dict = field(default_factory=dict)  # route template (e.g. "/v3/catalog/categories") -> status it always answers
    dropping_routes: frozenset = frozenset()  # route templates whose every answer is cut off mid-body (the connection drops)
    broken_paths: dict = field(default_factory=dict)  # one resource's path (e.g. "/v3/orders/142/transactions") -> status it always answers


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
    """Page numbers with `meta.pagination` (plus `cursor_pagination` on the first page), or, with
    `after`/`before`, `meta.cursor_pagination` only: the metafield lists' shape."""
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
    """Customers page by number or by cursor; with `after`/`before`, `page` is ignored."""
    if "after" in request.query or "before" in request.query:
        return serve_customers_by_cursor(store, request)
    return serve_customers_by_page(store, request)


def serve_customers_by_page(store: "LocalStore", request: ApiRequest) -> Reply:
    """`meta.pagination`, plus `meta.cursor_pagination` on the first page (BigCommerce docs: the
    cursors are returned "on the first page or when the request contains before or after")."""
    page, limit = read_paging(request)
    # The first page hands out a keyset cursor, so its order must be the keyset's (ties by id).
    ordered, name, by, descending = select(store, request, CUSTOMERS, store.data.records["customers"].values(), deterministic=page == 1)
    chunk = ordered[(page - 1) * limit : page * limit]
    meta = {"pagination": page_meta(request.query, len(ordered), len(chunk), page, limit)}
    if page == 1:
        meta["cursor_pagination"] = cursor_meta(request.query, (name, by, descending), chunk, False, len(ordered) > len(chunk), limit)
    return json_reply(200, {"data": render(store, CUSTOMERS, request, chunk), "meta": meta})


def serve_customers_by_cursor(store: "LocalStore", request: ApiRequest) -> Reply:
    """`meta.cursor_pagination` only. Ties are in id order whatever `shuffle_ties` says: a keyset
    cursor needs a total order."""
    query = request.query
    _, limit = read_paging(request)
    ordered, name, by, descending = select(store, request, CUSTOMERS, store.data.records["customers"].values(), deterministic=True)
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
        is_anchor = [by.of(r) == anchor_key and r["id"] == anchor["id"] for r in ordered]
        preceding = [r for r, after, anchor_itself in zip(ordered, beyond, is_anchor) if not after and not anchor_itself]
        chunk, has_previous, has_next = preceding[-limit:], len(preceding) > limit, len(preceding) < len(ordered)
    meta = {"cursor_pagination": cursor_meta(query, (name, by, descending), chunk, has_previous, has_next, limit)}
    return json_reply(200, {"data": render(store, CUSTOMERS, request, chunk), "meta": meta})


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


# --------------------------------------------------------------------------------------------------
# Rate limit, faults, stats
# --------------------------------------------------------------------------------------------------


class FixedWindowLimiter:
    """BigCommerce's quota: N requests per fixed window, counted per store. Every answer carries the
    four headers; an answer past the quota is 429 (and does not use up more of the window)."""

    def __init__(self, options: LocalStoreOptions, clock: Callable[[], float] = time.monotonic):
        self.options, self.clock, self.lock = options, clock, threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.origin, self.window, self.used = self.clock(), 0, 0

    def _roll(self, now: float) -> float:
        """Move to the current window; return ms until it ends."""
        window_ms = max(1, self.options.quota_window_ms)
        elapsed_ms = (now - self.origin) * 1000
        current = int(elapsed_ms // window_ms)
        if current != self.window:
            self.window, self.used = current, 0
        return (current + 1) * window_ms - elapsed_ms

    def _headers(self, reset_ms: float) -> dict:
        quota = self.options.quota if self.options.quota is not None else UNLIMITED_QUOTA
        return {
            "X-Rate-Limit-Requests-Left": str(max(0, quota - self.used)),
            "X-Rate-Limit-Requests-Quota": str(quota),
            "X-Rate-Limit-Time-Reset-Ms": str(max(1, math.ceil(reset_ms))),
            "X-Rate-Limit-Time-Window-Ms": str(self.options.quota_window_ms),
        }

    def take(self) -> tuple:
        """Spend one request. -> (allowed, headers)."""
        with self.lock:
            reset_ms = self._roll(self.clock())
            quota = self.options.quota
            allowed = quota is None or self.used < quota
            if allowed:
                self.used += 1
            return allowed, self._headers(reset_ms)

    def peek(self) -> dict:
        with self.lock:
            return self._headers(self._roll(self.clock()))


class FaultPlan:
    """Seeded draws of what goes wrong with one data request: None, "5xx", "drop" or "truncate"."""

    def __init__(self, options: LocalStoreOptions):
        self.options, self.random, self.lock = options, random.Random(options.fault_seed), threading.Lock()

    def draw(self) -> tuple:
        """-> (fault kind or None, detail): detail is the 5xx status, or for a drop whether any of the
        body is sent before the socket closes."""
        o = self.options
        with self.lock:
            roll = self.random.random()
            if roll < o.fault_5xx:
                return "5xx", self.random.choice((500, 502, 503))
            if roll < o.fault_5xx + o.fault_drop:
                return "drop", self.random.choice(("after_headers", "mid_body"))
            if roll < o.fault_5xx + o.fault_drop + o.fault_truncate:
                return "truncate", None
            return None, None


FAULT_TITLES = {
    500: "Internal Server Error (local store fault)",
    502: "Bad Gateway (local store fault)",
    503: "Service Unavailable (local store fault)",
}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests, self.rate_limited, self.faults, self.changes = 0, 0, 0, 0
            self.by_route, self.by_status = Counter(), Counter()
            self.peak_concurrency = self.in_flight
            self.log = []

    def begin(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)

    def end(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def record(self, method: str, template: str, path: str, query: Mapping[str, str], status: int, fault: Optional[str]) -> None:
        with self.lock:
            self.requests += 1
            self.by_route[f"{method} {template} {status}"] += 1
            self.by_status[status] += 1
            self.rate_limited += status == 429
            self.faults += fault is not None
            entry = {"method": method, "path": path, "query": dict(query), "status": status, "t": time.time()}
            if fault:
                entry["fault"] = fault
            self.log.append(entry)

    def count_change(self) -> None:
        with self.lock:
            self.changes += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "by_route": dict(self.by_route),
                "by_status": dict(self.by_status),
                "rate_limited": self.rate_limited,
                "faults": self.faults,
                "peak_concurrency": self.peak_concurrency,
                "changes": self.changes,
            }


# --------------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """What the HTTP layer writes: the reply, the route template for the stats, and any fault."""

    reply: Reply
    template: str
    fault: Optional[str] = None
    fault_detail: Any = None


class LocalStore:
    """The BigCommerce double. Use as a context manager, or `start()` / `stop()`.

    All reads and writes of `data` happen under `lock`; merchant edits go through `touch`/`add`.
    """

    def __init__(self, options: Optional[LocalStoreOptions] = None, **overrides: Any):
        self.options = replace(options or LocalStoreOptions(), **overrides)
        o = self.options
        self.data = StoreData(seed=o.seed, scale=o.scale, store_hash=o.store_hash)
        self.lock = threading.RLock()
        self.base_url: Optional[str] = None
        self.tie_random = random.Random(o.seed ^ 0x5EED)
        self._change_random = random.Random(o.seed ^ 0xC4A9)
        self._stats = Stats()
        self._limiter = FixedWindowLimiter(o)
        self._faults = FaultPlan(o)
        self._data_requests = 0
        self._injected = 0
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (`port` 0 = any free port) in a background thread; return the base URL."""
        if self._server is not None:
            return self.base_url
        server = LocalStoreHTTPServer(("127.0.0.1", port), LocalStoreRequestHandler)
        server.local_store = self
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-store-http", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LocalStore":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- data --------------------------------------------------------------------------------------

    def touch(self, stream: str, key: Any) -> dict:
        """A merchant edits one record now."""
        with self.lock:
            record = self.data.touch(stream, key, self.now())
            self._changed()
            return record

    def delete(self, stream: str, key: Any) -> dict:
        """A merchant deletes one record now (BigCommerce's lists then simply no longer show it)."""
        with self.lock:
            record = self.data.delete(stream, key)
            self._changed()
            return record

    def add(self, stream: str) -> dict:
        """A merchant (or shopper) creates one record now."""
        with self.lock:
            record = self.data.add(stream, self.now())
            self._changed()
            return record

    def now(self) -> datetime:
        """The store's clock (whole seconds, UTC): the host's, shifted by `clock_offset_seconds`."""
        return (datetime.now(UTC) + timedelta(seconds=self.options.clock_offset_seconds)).replace(microsecond=0)

    def ground_truth(self) -> dict:
        """What a correct connector emits from this store: canonical records, with order link urls
        pointing at this server (as they were served) once it has started."""
        with self.lock:
            return self.data.ground_truth(base_url_for_links=self.base_url) if self.base_url else self.data.ground_truth()

    def _changed(self) -> None:
        self._stats.count_change()

    def children(self, stream: str, order_id: int) -> list:
        """An order's products or transactions (StoreData keeps the index, also through edits)."""
        return self.data.children_of(stream, order_id)

    def _inject_change_if_due(self) -> None:
        """Every `change_every` data requests a merchant edits a random order, customer or product;
        every third change is a new order instead, and every fifth a new refund."""
        every = self.options.change_every
        with self.lock:
            self._data_requests += 1
            if not every or self._data_requests % every:
                return
            self._injected += 1
            if self._injected % 5 == 0:  # a refund issued while the sync runs
                from .resources_orders import add_refund

                add_refund(self._change_random, self.data, self.now())
                self._changed()
                return
            if self._injected % 3 == 0:
                self.add("orders")
                return
            stream = self._change_random.choice(("orders", "customers", "products"))
            keys = list(self.data.records[stream])
            if keys:
                self.touch(stream, self._change_random.choice(keys))

    # -- stats -------------------------------------------------------------------------------------

    def stats(self) -> dict:
        return self._stats.snapshot()

    def request_log(self) -> list:
        with self._stats.lock:
            return [dict(entry) for entry in self._stats.log]

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count one API request as being served (for `peak_concurrency`) while the block runs."""
        self._stats.begin()
        try:
            yield
        finally:
            self._stats.end()

    def record_request(self, method: str, path: str, query: Mapping[str, str], answer: "Answer") -> None:
        self._stats.record(method, answer.template, path, query, answer.reply.status, answer.fault)

    def reset_stats(self) -> None:
        """Zero the counters and the log, and start a fresh rate-limit window (a benchmark run
        should not inherit the previous run's quota)."""
        self._stats.reset()
        self._limiter.reset()

    # -- answering ---------------------------------------------------------------------------------

    def answer_api(self, method: str, path: str, query: Mapping[str, str], token: Optional[str]) -> Answer:
        """Decide the answer to one API request. Checks run in the gateway's order: suspension,
        credentials, store, quota, route, scope; then the merchant's edits, the faults, the data."""
        self._sleep_latency()
        found = STORE_PREFIX.match(path)
        route, path_params = match_route(found["rest"]) if found else (None, {})
        template = route.template if route else "(unknown)"
        o = self.options

        def gateway(status: int, title: str, headers: Optional[dict] = None) -> Answer:
            reply = ApiError(status, title).reply()
            reply.headers.update(headers or self._limiter.peek())
            return Answer(reply, template)

        if o.suspended:
            return gateway(503, "This store is suspended or in maintenance.")
        if token is None or token not in o.tokens:
            return gateway(401, "Unauthorized: the X-Auth-Token header is missing or not valid for this API.")
        if not found or found["store_hash"] != o.store_hash:
            return gateway(404, "Not found: no store with this store hash.")
        allowed, headers = self._limiter.take()
        if not allowed:
            return gateway(429, "Too many requests: the store's API quota for this window is used up.", headers)
        if route is None:
            return gateway(404, f"Not found: {found['rest']} is not a route this local store serves.", headers)
        if method != "GET":
            return gateway(405, f"Method {method} is not allowed on {route.template}.", headers)
        if not has_scope(o.tokens[token], route.scope):
            return gateway(403, f"Forbidden: the token lacks the {route.scope}_read_only scope needed for {route.template}.", headers)
        unknown = sorted(set(query) - route.accepts)
        if o.strict and unknown:  # BigCommerce would ignore them; a test should hear of the typo
            return gateway(400, f"Strict mode: {route.template} does not take {', '.join(unknown)} (it takes {', '.join(sorted(route.accepts)) or 'no parameters'}).", headers)
        answer = self._answer_data(route, path_params, query)
        answer.reply.headers.update(headers)
        return answer

    def _answer_data(self, route: Route, path_params: Mapping[str, str], query: Mapping[str, str]) -> Answer:
        self._inject_change_if_due()
        path = route.template.replace("{id}", path_params.get("id", "{id}"))
        broken = self.options.broken_routes.get(route.template) or self.options.broken_paths.get(path)
        if broken:  # an outage of one resource, however often it is asked
            return Answer(ApiError(broken, FAULT_TITLES.get(broken, "Local store outage")).reply(), route.template, "5xx", broken)
        fault, detail = self._faults.draw()
        if route.template in self.options.dropping_routes:
            fault, detail = "drop", "mid_body"
        if fault == "5xx":
            return Answer(ApiError(detail, FAULT_TITLES[detail]).reply(), route.template, fault, detail)
        request = ApiRequest(path_params, query, self.now(), route.template.startswith("/v2/"))
        try:
            with self.lock:
                reply = route.serve(self, request)
        except ApiError as error:
            reply = error.reply()
        if fault == "truncate" and len(reply.body) < 2:
            fault = None  # nothing to cut short (204): serve it whole
        return Answer(reply, route.template, fault, detail)

    def _sleep_latency(self) -> None:
        # Sleeping in the handler thread keeps concurrent clients concurrent, as a real API is.
        o = self.options
        delay_ms = o.latency_ms + (random.uniform(0, o.jitter_ms) if o.jitter_ms else 0)
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)

    def answer_admin(self, method: str, path: str, query: Mapping[str, str]) -> Reply:
        """`/__local_store/...`: for a local_store in another process. Not counted, limited nor faulted."""
        name = path[len("/__local_store/") :]
        try:
            action = ADMIN_ACTIONS[(method, name)]
        except KeyError:
            known = sorted(f"{m} /__local_store/{n}" for m, n in ADMIN_ACTIONS)
            return ApiError(404, f"Unknown admin endpoint {method} {path}; known: {', '.join(known)}").reply()
        try:
            return json_reply(200, action(self, query))
        except ApiError as error:
            return error.reply()
        except ValueError as refused:  # e.g. StoreData refuses to touch a transaction
            return ApiError(422, str(refused)).reply()


def _admin_record_key(store: LocalStore, query: Mapping[str, str]) -> tuple:
    stream = query.get("stream", "")
    if stream not in store.data.records:
        raise ApiError(404, f"Unknown stream '{stream}'.")
    raw = query.get("id", "")
    key = raw if stream == "store" else (int(raw) if raw.lstrip("-").isdigit() else raw)
    if key not in store.data.records[stream]:
        raise ApiError(404, f"No {stream} record with id '{raw}'.")
    return stream, key


def _admin_add(store: LocalStore, query: Mapping[str, str]) -> dict:
    stream = query.get("stream", "")
    if stream not in store.data.records:
        raise ApiError(404, f"Unknown stream '{stream}'.")
    return store.add(stream)


def _admin_ground_truth(store: LocalStore, _query: Mapping[str, str]) -> dict:
    # Lists, not dicts: JSON object keys are strings, and the records carry their ids anyway.
    return {stream: list(records.values()) for stream, records in store.ground_truth().items()}


def _admin_reset(store: LocalStore, _query: Mapping[str, str]) -> dict:
    store.reset_stats()
    return {"reset": True}


ADMIN_ACTIONS = {
    ("GET", "stats"): lambda store, _q: store.stats(),
    ("GET", "log"): lambda store, _q: store.request_log(),
    ("GET", "ground_truth"): _admin_ground_truth,
    ("POST", "reset"): _admin_reset,
    ("POST", "touch"): lambda store, q: store.touch(*_admin_record_key(store, q)),
    ("POST", "add"): _admin_add,
}


# --------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------


class LocalStoreHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a kept-alive connection must never keep the process alive
    request_queue_size = 128  # bursts of parallel clients should queue, not be refused
    local_store: LocalStore

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._open: set = set()
        self._open_lock = threading.Lock()

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            (self._open.add if is_open else self._open.discard)(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is ordinary (and the drop fault does it on purpose).
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        """On stop, end kept-alive connections so clients see the server go, not a hang."""
        with self._open_lock:
            for connection in list(self._open):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class LocalStoreRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so `requests` reuses connections
    server_version = "BigCommerceLocalStore/1.0"
    # Headers and body leave in separate writes; with Nagle on, a kept-alive client waits out its
    # delayed ACK (~40 ms) on every request, which no real API costs.
    disable_nagle_algorithm = True
    timeout = 30  # idle kept-alive connections are closed after this many seconds
    server: LocalStoreHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # the stats and the request log record every request; stderr stays quiet

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _dispatch(self) -> None:
        self._discard_request_body()
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        store = self.server.local_store
        if split.path.startswith("/__local_store/"):
            self._write(store.answer_admin(self.command, split.path, query))
            return
        # In flight while the answer is worked out (latency included), not while it is written: a client
        # may send its next request the moment the last byte arrives, before this thread gets here.
        with store.in_flight():
            answer = store.answer_api(self.command, split.path, query, self.headers.get("X-Auth-Token"))
            store.record_request(self.command, split.path, query, answer)
        if answer.fault == "drop":
            self._write_dropped(answer.reply, answer.fault_detail)
        else:
            self._write(answer.reply, truncate=answer.fault == "truncate")

    def _discard_request_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _write_head(self, reply: Reply, content_length: int) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status != 204:  # a 204 has no body and, per RFC 9110, no Content-Length
            self.send_header("Content-Length", str(content_length))
        self.end_headers()

    def _write(self, reply: Reply, *, truncate: bool = False) -> None:
        # A truncated body is a *complete* HTTP message: Content-Length matches the cut JSON, so only
        # a client that parses (and trusts nothing else) notices.
        body = reply.body[: len(reply.body) // 2] if truncate else reply.body
        self._write_head(reply, len(body))
        if body:
            self.wfile.write(body)

    def _write_dropped(self, reply: Reply, mode: str) -> None:
        """Promise the whole body, send the headers (and maybe half of it), then hang up."""
        self.close_connection = True
        if not reply.body:
            return  # nothing promised to cut: close before answering at all
        self._write_head(reply, len(reply.body))
        if mode == "mid_body":
            self.wfile.write(reply.body[: len(reply.body) // 2])
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
