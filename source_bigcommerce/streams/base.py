"""The machinery every stream shares: one HTTP base, the v2 and v3 body shapes, and the date cursor.

A stream moves through the API with a pure paginator (see pagination.py): the next page token is the
next request's query, so `request_params` sends it and `parse_response` hands the page to the paginator.
"""

from __future__ import annotations

import time
from abc import ABC
from datetime import datetime
from typing import Any, ClassVar, Dict, Iterable, Iterator, List, Mapping, MutableMapping, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

import requests
from airbyte_cdk.models import (AirbyteEstimateTraceMessage, AirbyteMessage, AirbyteTraceMessage, EstimateType,
                                TraceType, Type)
from airbyte_cdk.sources.streams.http import HttpStream
from requests.adapters import HTTPAdapter

from .. import __version__
from ..config import MAX_WORKERS, BigCommerceConfig
from ..dates import apply_date_plan, compile_date_plan, parse_date
from ..errors import BigCommerceErrorHandler, RateLimitBackoff, missing_scope_message, take_decoded_body
from ..pagination import PAGE_LIMIT, Page, PageNumberPaginator
from ..stats import SyncStats

USER_AGENT = f"source-bigcommerce/{__version__} (Airbyte connector)"
TIMEOUT_SECONDS = (10, 120)  # connect, read
_NEXT_QUERY = "_bigcommerce_next_query"


class BigCommerceStream(HttpStream, ABC):
    """One BigCommerce resource: where it lives, which scope reads it, how it pages.

    A stream only reads: given a slice it yields normalized records. Which slices exist and what the
    state is belong to the partition generators and cursors (see partitions.py and cursors.py).
    """

    primary_key = "id"
    api_version = "v3"
    endpoint = ""
    scope = ""
    fixed_params: ClassVar[Mapping[str, Any]] = {}
    missing_parent_is_fine = False  # 404 means "store unknown" unless the path hangs off a record
    cursor_field: ClassVar[str] = ""  # empty: full refresh only
    records_sorted_by_cursor = True  # records leave in cursor order, so the state may move with each one
    estimates_rows = True  # the first page's total (v3) is the stream's row estimate
    _schemas: ClassVar[Dict[str, Mapping[str, Any]]] = {}

    def __init__(self, config: BigCommerceConfig, api_budget: Any = None, stats: Optional[SyncStats] = None) -> None:
        self.config = config
        self.api_budget = api_budget
        self.stats = stats or SyncStats()
        self.forbidden = False  # set on a 403: the token lacks this stream's scope
        super().__init__(api_budget=api_budget)
        # Every worker of a stream shares this session; let its pool hold one connection per worker.
        self._http_client._session.mount("https://", HTTPAdapter(pool_maxsize=MAX_WORKERS))
        self._http_client._session.mount("http://", HTTPAdapter(pool_maxsize=MAX_WORKERS))
        self._date_plan = compile_date_plan(self.get_json_schema())

    def get_json_schema(self) -> Mapping[str, Any]:
        # The CDK reads the file on every call; records ask for it one by one.
        if self.name not in self._schemas:
            self._schemas[self.name] = super().get_json_schema()
        return self._schemas[self.name]

    def get_cursor(self) -> None:
        # State is kept by the concurrent cursors; the CDK's per-page "resumable full refresh" would
        # otherwise read only the first page of each slice.
        return None

    # -- where and how to ask
    @property
    def url_base(self) -> str:
        return f"{self.config.api_url}/stores/{self.config.store_hash}/{self.api_version}/"

    def path(self, *, stream_slice: Optional[Mapping[str, Any]] = None, **_: Any) -> str:
        return self.endpoint.format(**(stream_slice or {}))

    def request_headers(self, **_: Any) -> Mapping[str, Any]:
        return {"X-Auth-Token": self.config.access_token, "Accept": "application/json", "User-Agent": USER_AGENT}

    def request_kwargs(self, **_: Any) -> Mapping[str, Any]:
        return {"timeout": TIMEOUT_SECONDS}

    def get_error_handler(self) -> BigCommerceErrorHandler:
        return BigCommerceErrorHandler(self.name, self.scope, self.missing_parent_is_fine, self.config.store_hash, self.stats)

    def get_backoff_strategy(self) -> RateLimitBackoff:
        return RateLimitBackoff()

    # -- paging
    def paginator(self, stream_slice: Optional[Mapping[str, Any]]) -> Any:
        return PageNumberPaginator(**self.fixed_params)

    def request_params(self, stream_state: Any = None, stream_slice: Optional[Mapping[str, Any]] = None,
                       next_page_token: Optional[Mapping[str, Any]] = None) -> MutableMapping[str, Any]:
        return dict(next_page_token or self.paginator(stream_slice).first())

    def next_page_token(self, response: requests.Response) -> Optional[Mapping[str, Any]]:
        return response.__dict__.get(_NEXT_QUERY)

    def decode_page(self, body: Any) -> Page:
        raise NotImplementedError

    def read_records(self, *args: Any, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        if self.forbidden:  # one 403 is enough: don't spend a request per order finding out again
            return iter(())
        return super().read_records(*args, **kwargs)

    def parse_response(self, response: requests.Response, *, stream_slice: Optional[Mapping[str, Any]] = None,
                       **_: Any) -> Iterable[Mapping[str, Any]]:
        if not response.ok:  # an ignored 403 (missing scope) or 404 (parent gone): nothing to read here
            if response.status_code == 403 and not self.forbidden:
                self.forbidden = True
                self.logger.warning(missing_scope_message(self.name, self.scope))
            return
        sent = dict(parse_qsl(urlsplit(response.request.url).query))
        paginator = self.paginator(stream_slice)
        page = self.decode_page(take_decoded_body(response))
        records, following = paginator.advance(sent, page)
        response.__dict__[_NEXT_QUERY] = following
        total, page = page.total, None  # from here only `records` holds the page
        if self.estimates_rows and total is not None and sent == {k: str(v) for k, v in paginator.first().items()}:
            yield estimate(self.name, total)  # BigCommerce told how many the window holds: a progress bar
        self.stats.emitted(self.name, len(records))
        for record in _handed_out(records):
            yield self.transform(record, stream_slice)

    def transform(self, record: MutableMapping[str, Any], stream_slice: Optional[Mapping[str, Any]]) -> MutableMapping[str, Any]:
        apply_date_plan(record, self._date_plan)
        return record


class V2Stream(BigCommerceStream, ABC):
    """v2: bare JSON arrays (or one object), 204 past the last page, RFC 2822 dates, money as strings."""

    api_version = "v2"

    def decode_page(self, body: Any) -> Page:
        if body is None:
            return Page([], more=False)
        if isinstance(body, dict):
            return Page([body], more=False)
        if not isinstance(body, list):
            raise ValueError(f"Stream '{self.name}': BigCommerce sent {type(body).__name__} where a list was expected.")
        return Page(body, more=len(body) >= PAGE_LIMIT)


class V3Stream(BigCommerceStream, ABC):
    """v3: `{"data": [...], "meta": {"pagination" | "cursor_pagination": ...}}`."""

    def decode_page(self, body: Any) -> Page:
        if body is None:
            return Page([], more=False)
        if not isinstance(body, dict) or "data" not in body:
            raise ValueError(f"Stream '{self.name}': BigCommerce sent a body without `data`.")
        data = body["data"] or []
        records = data if isinstance(data, list) else [data]
        meta = body.get("meta") or {}
        pagination = meta.get("pagination") or {}
        current, pages, total = pagination.get("current_page"), pagination.get("total_pages"), pagination.get("total")
        total = total if isinstance(total, int) and not isinstance(total, bool) else None
        if meta.get("cursor_pagination"):
            cursor = meta["cursor_pagination"]
            links = cursor.get("links") or {}
            return Page(records, more=bool(links.get("next")), end_cursor=cursor.get("end_cursor"), total=total)
        if isinstance(current, int) and isinstance(pages, int):
            return Page(records, more=current < pages, total=total)
        return Page(records, more=len(records) >= PAGE_LIMIT, total=total)


def _handed_out(records: List[Any]) -> Iterator[Any]:
    """The page's records in order, each let go of as it leaves: a page waiting on a busy output shrinks
    as it drains instead of staying whole until its last record is taken. (The page is ours: decoded
    from a body nothing else keeps.)"""
    records.reverse()
    while records:
        yield records.pop()


def estimate(stream: str, rows: int) -> AirbyteMessage:
    return AirbyteMessage(type=Type.TRACE, trace=AirbyteTraceMessage(
        type=TraceType.ESTIMATE, emitted_at=time.time() * 1000,
        estimate=AirbyteEstimateTraceMessage(name=stream, type=EstimateType.STREAM, row_estimate=rows)))


def window(stream_slice: Optional[Mapping[str, Any]]) -> Tuple[datetime, datetime]:
    """A slice of an incremental stream is the date window `start <= date_modified <= end`."""
    return parse_date(stream_slice["start"]), parse_date(stream_slice["end"])  # type: ignore[index]
