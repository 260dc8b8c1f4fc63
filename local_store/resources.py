"""The local store's resources beyond the first ten, one declaration each.

A `Resource` says where BigCommerce serves a resource, how its body is shaped, which query
parameters it documents (anything else is a 400 in strict mode), which scope reads it, and how its
records are made: `generate(rng, data)` returns canonical records (what a correct connector emits:
ISO 8601 UTC dates or None, v2 money as decimal strings) in key order. The server answers every
declared resource with the same code (server.py `serve_resource`); `StoreData` builds each table
after the core ten, in the order of `RESOURCES`, so a generator may read the tables built before it.

Per-parent routes (`/v2/orders/{id}/coupons`) name the parent table and the child's field holding
the parent's key; an unknown parent is a 404, a parent without children is a 204 or an empty page
as the real endpoint answers. The groups live in resources_*.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple, Union

from .query import Sorting

if TYPE_CHECKING:
    from .data import StoreData

Generator = Callable[[random.Random, "StoreData"], list]
Editor = Callable[[random.Random, dict, str], None]

# Body shapes
V2 = "v2"  # bare JSON array, `page`/`limit`, 204 with an empty body past the last page
V2_ALL = "v2_all"  # bare JSON array, no paging parameters
V3 = "v3"  # {"data": [...], "meta": {"pagination": {...}}}, `page`/`limit`
V3_CURSOR = "v3_cursor"  # as V3 on page numbers, plus `meta.cursor_pagination` and `after`/`before` (metafields)
V3_ALL = "v3_all"  # {"data": [...], "meta": {"pagination": ...}} with every record, no paging parameters
SITES = "sites"  # {"data": [...], "meta": {"pagination": {"offset", "limit", "total_items"}}}, `page`/`limit`
SINGLE = "single"  # one object (v2)


@dataclass(frozen=True)
class Resource:
    name: str  # its table in StoreData.records, and the connector stream it backs
    route: str  # below /stores/{store_hash}; `{id}` is the parent's numeric key
    scope: str  # scope family: a token holding it or f"{scope}_read_only" may read
    body: str
    generate: Optional[Generator]  # None: the table is filled elsewhere (derived from another)
    key: Union[str, Tuple[str, ...]] = "id"
    filters: tuple = ()  # query.Filter objects the endpoint documents
    sorting: Sorting = field(default_factory=Sorting)
    parent: Optional[Tuple[str, str]] = None  # (parent table, child field holding the parent key)
    none_is_204: bool = False  # a parent without children answers 204 (else an empty page)
    v2_dates: tuple = ()  # top-level fields sent as RFC 2822 ("" for None)
    epoch_dates: tuple = ()  # top-level fields sent as Unix seconds in a string ("0" for None): v2 marketing
    connector_adds: tuple = ()  # canonical fields the API does not send (the connector adds them from the path)
    edit: Optional[Editor] = None  # a merchant edit: change the record in place; `now` is a canonical date
    extra_params: tuple = ()  # documented parameters with no effect on the data here (e.g. include=...)
    max_limit: int = 250

    def key_of(self, record: dict) -> Any:
        if isinstance(self.key, tuple):
            return tuple(record[k] for k in self.key)
        return record[self.key]


def scaled(data: "StoreData", base: int) -> int:
    """How many records a resource has at the store's scale (linear, at least 1)."""
    return max(1, round(base * data.scale))


def _groups() -> tuple:
    from . import resources_catalog, resources_customers, resources_marketing, resources_orders

    # Customers first: catalog assignments name the customer groups.
    return (*resources_orders.RESOURCES, *resources_customers.RESOURCES, *resources_catalog.RESOURCES, *resources_marketing.RESOURCES)


RESOURCES: tuple = _groups()
BY_NAME = {resource.name: resource for resource in RESOURCES}
