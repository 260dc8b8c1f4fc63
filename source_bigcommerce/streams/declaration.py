"""What a stream declaration holds, and the paging styles it can name.

A `Spec` is everything that differs between two BigCommerce streams; the stream object, its
partitions and cursor, `check`'s probes, the docs' stream table, the test catalogs and the
benchmark's fewest-requests figure are all derived from the table of specs in catalogue.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, MutableMapping, Optional, Tuple, Union

from ..dates import format_date
from ..pagination import (
    PAGE_LIMIT, CursorPaginator, DateKeysetPaginator, IdKeysetPaginator, KeysetSpelling, PageNumberPaginator,
    UnpagedPaginator,
)


@dataclass(frozen=True)
class Scope:
    """A read-only OAuth scope, and what the store's control panel calls it."""

    name: str
    label: str


# -- paging styles: each makes a pure paginator (pagination.py) for one slice
@dataclass(frozen=True)
class PageNumbers:
    """`page`/`limit`. A record leaving an earlier page mid-read shifts the rest by one; the stream
    notices on v3 (the pages' record count changes) and reads the listing again for what moved
    (BigCommerceStream._until_steady). v2 pages carry no count: say so in the stream's notes where a
    listing can pass one page."""

    sorted_by_cursor = False
    stable = False  # a record deleted on an earlier page shifts the rest by one

    def make(self, fixed: Mapping[str, Any], window: Optional[Tuple[Any, Any]], date_of: Callable) -> Any:
        return PageNumberPaginator(**fixed)


@dataclass(frozen=True)
class Unpaged:
    """One request answers everything; the endpoint takes no paging parameters."""

    sorted_by_cursor = False
    stable = True

    def make(self, fixed: Mapping[str, Any], window: Optional[Tuple[Any, Any]], date_of: Callable) -> Any:
        return UnpagedPaginator(**fixed)


@dataclass(frozen=True)
class ById:
    """Keyset by id: `min_id` (v2, inclusive) or `id:greater` (v3, exclusive)."""

    param: str
    inclusive: bool
    sorted_by_cursor = False
    stable = True

    def make(self, fixed: Mapping[str, Any], window: Optional[Tuple[Any, Any]], date_of: Callable) -> Any:
        return IdKeysetPaginator(self.param, self.inclusive, **fixed)


@dataclass(frozen=True)
class ByCursor:
    """v3 cursor paging (`after` = the previous page's `end_cursor`): a keyset, stable under change.
    `sorted_by_cursor` when the fixed parameters sort by the stream's cursor."""

    sorted_by_cursor: bool = False
    stable = True

    def make(self, fixed: Mapping[str, Any], window: Optional[Tuple[Any, Any]], date_of: Callable) -> Any:
        return CursorPaginator(**fixed)


@dataclass(frozen=True)
class ByDate:
    """The date keyset (DateKeysetPaginator): records in date order, read from date T on."""

    spelling: KeysetSpelling
    sorted_by_cursor = True
    stable = True

    def make(self, fixed: Mapping[str, Any], window: Optional[Tuple[Any, Any]], date_of: Callable) -> Any:
        start, end = window  # type: ignore[misc]
        return DateKeysetPaginator(self.spelling, start, end, date_of, fixed=fixed)


PAGES = PageNumbers()
UNPAGED = Unpaged()
V2_BY_ID = ById("min_id", inclusive=True)
V3_BY_ID = ById("id:greater", inclusive=False)
V3_BY_ID_MIN = ById("id:min", inclusive=True)
CURSOR = ByCursor()
Paging = Union[PageNumbers, Unpaged, ById, ByCursor, ByDate]

Extract = Callable[[Mapping[str, Any]], Iterable[MutableMapping[str, Any]]]


@dataclass(frozen=True)
class DeleteScan:
    """How to list every id of a stream as cheaply as the API allows, to find the records deleted since
    the last scan (`detect_deletes`): a paging that needs no date window, and parameters that shrink
    the records (`include_fields` where the endpoint has it)."""

    paging: Paging
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """One stream. `path` is below /stores/{hash}/ and starts with its API version; a child read per
    parent has `{parent_id}` in it. A child taken from its parent's page has `embedded` (the records
    inside one parent record) and `parent_params` (what the parent listing must `include`)."""

    name: str
    path: str
    scope: Scope
    docs: str  # BigCommerce's reference page
    key: Union[str, Tuple[str, ...]] = "id"
    cursor: Optional[str] = None  # the field incremental syncs go by; None: full refresh only
    window: Optional[Tuple[str, str]] = None  # (min, max) parameters filtering `cursor`, when paging is not ByDate
    paging: Paging = PAGES
    params: Mapping[str, Any] = field(default_factory=dict)  # fixed query parameters
    parent: Optional[str] = None
    embedded: Optional[Extract] = None
    parent_params: Mapping[str, Any] = field(default_factory=dict)
    parent_fields: Mapping[str, str] = field(default_factory=dict)  # child field <- parent field, set on each record
    fallback: Optional[str] = None  # a per-parent stream read for the parents whose embedded records look incomplete
    complete: Optional[Callable[[Mapping[str, Any], list], bool]] = None  # (parent, embedded records) -> trust them?
    suggested: bool = True  # in metadata's suggestedStreams (per-parent streams are not: one request per parent)
    transform: Optional[Callable[[MutableMapping[str, Any]], MutableMapping[str, Any]]] = None
    estimates_rows: bool = True  # a v3 first page's `total` is this stream's row estimate
    hidden: bool = False  # read by the connector itself (the store clock), never in the catalog
    max_in_flight: Optional[int] = None  # the endpoint's documented cap on simultaneous requests
    deletes: Optional[DeleteScan] = None  # with `detect_deletes`, a tombstone for each id gone since the last scan
    notes: str = ""  # what a user should know: deletes, staleness, quirks (goes to the docs table)

    @property
    def api_version(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def endpoint(self) -> str:
        return self.path.split("/", 1)[1]

    @property
    def per_parent(self) -> bool:
        return "{parent_id}" in self.path

    @property
    def primary_key(self) -> list:
        return list(self.key) if isinstance(self.key, tuple) else [self.key]

    @property
    def incremental(self) -> bool:
        return self.cursor is not None

    def first_query(self, window: Optional[Tuple[Any, Any]], date_of: Callable) -> dict:
        return self.paginator(window, date_of).first()

    def paginator(self, window: Optional[Tuple[Any, Any]], date_of: Callable) -> Any:
        fixed = dict(self.params)
        if self.window and window is not None:
            fixed.update({self.window[0]: format_date(window[0]), self.window[1]: format_date(window[1])})
        return self.paging.make(fixed, window, date_of)


__all__ = ["Spec", "Scope", "PAGES", "UNPAGED", "V2_BY_ID", "V3_BY_ID", "V3_BY_ID_MIN", "CURSOR", "ByCursor", "ByDate",
           "PAGE_LIMIT"]
