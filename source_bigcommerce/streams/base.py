"""The machinery every stream shares: one HTTP base, the v2 and v3 body shapes, and the date cursor.

A stream moves through the API with a pure paginator (see pagination.py): the next page token is the
next request's query, so `request_params` sends it and `parse_response` hands the page to the paginator.
"""

from __future__ import annotations

from abc import ABC
from datetime import datetime
from typing import Any, Iterable, List, Mapping, MutableMapping, Optional
from urllib.parse import parse_qsl, urlsplit

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams import IncrementalMixin
from airbyte_cdk.sources.streams.http import HttpStream

from .. import __version__
from ..config import BigCommerceConfig
from ..dates import UTC, apply_date_plan, compile_date_plan, format_date, optional_date, parse_date
from ..errors import BigCommerceErrorHandler, RateLimitBackoff, decoded_body
from ..pagination import PAGE_LIMIT, Page, PageNumberPaginator

USER_AGENT = f"source-bigcommerce/{__version__} (Airbyte connector)"
TIMEOUT_SECONDS = (10, 120)  # connect, read
_NEXT_QUERY = "_bigcommerce_next_query"


class BigCommerceStream(HttpStream, ABC):
    """One BigCommerce resource: where it lives, which scope reads it, how it pages."""

    primary_key = "id"
    api_version = "v3"
    endpoint = ""
    scope = ""
    fixed_params: Mapping[str, Any] = {}
    missing_parent_is_fine = False  # 404 means "store unknown" unless the path hangs off a record

    def __init__(self, config: BigCommerceConfig, api_budget: Any = None, now: Optional[datetime] = None) -> None:
        self.config = config
        # One "now" per sync: incremental windows end here, so records changed while we read are left for next time.
        self.sync_started_at = (now or datetime.now(tz=UTC)).replace(microsecond=0)
        super().__init__(api_budget=api_budget)
        self._date_plan = compile_date_plan(self.get_json_schema())

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
        return BigCommerceErrorHandler(self.name, self.scope, self.missing_parent_is_fine)

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

    def parse_response(self, response: requests.Response, *, stream_slice: Optional[Mapping[str, Any]] = None,
                       **_: Any) -> Iterable[Mapping[str, Any]]:
        if not response.ok:  # an ignored 403/404: nothing to read here
            self.logger.warning(self.get_error_handler().interpret_response(response).error_message)
            self.on_slice_read(stream_slice)
            return
        sent = dict(parse_qsl(urlsplit(response.request.url).query))
        records, following = self.paginator(stream_slice).advance(sent, self.decode_page(decoded_body(response)))
        response.__dict__[_NEXT_QUERY] = following
        for record in records:
            record = self.transform(dict(record), stream_slice)
            self.on_record(record)
            yield record
        if following is None:
            self.on_slice_read(stream_slice)

    # -- records and progress
    def transform(self, record: MutableMapping[str, Any], stream_slice: Optional[Mapping[str, Any]]) -> MutableMapping[str, Any]:
        apply_date_plan(record, self._date_plan)
        return record

    def on_record(self, record: Mapping[str, Any]) -> None:
        """Called as each record leaves, before it is emitted."""

    def on_slice_read(self, stream_slice: Optional[Mapping[str, Any]]) -> None:
        """Called once the last page of a slice has been read."""


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
        if meta.get("cursor_pagination"):
            cursor = meta["cursor_pagination"]
            links = cursor.get("links") or {}
            return Page(records, more=bool(links.get("next")), end_cursor=cursor.get("end_cursor"))
        pagination = meta.get("pagination") or {}
        current, total = pagination.get("current_page"), pagination.get("total_pages")
        if isinstance(current, int) and isinstance(total, int):
            return Page(records, more=current < total)
        return Page(records, more=len(records) >= PAGE_LIMIT)


class DateCursor(IncrementalMixin):
    """Incremental on a date: the state is an ISO 8601 UTC timestamp meaning "every record dated before
    this has been emitted". The next sync starts *at* it (inclusive), so a group of records sharing that
    second is never cut in two; records leave in cursor order, so the state moves as each one leaves."""

    cursor_field = "date_modified"
    state_checkpoint_interval = PAGE_LIMIT
    records_sorted_by_cursor = True

    _cursor_value: Optional[datetime] = None
    _pending_value: Optional[datetime] = None

    @property
    def state(self) -> MutableMapping[str, Any]:
        return {self.cursor_field: format_date(self._cursor_value)} if self._cursor_value else {}

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        saved = optional_date((value or {}).get(self.cursor_field))
        self._cursor_value = saved

    def window_start(self, sync_mode: SyncMode) -> datetime:
        start = self.config.start_date  # type: ignore[attr-defined]
        if sync_mode == SyncMode.incremental and self._cursor_value:
            start = max(start, self._cursor_value)
        return start

    def stream_slices(self, *, sync_mode: SyncMode, **_: Any) -> Iterable[Optional[Mapping[str, Any]]]:
        start, end = self.window_start(sync_mode), self.sync_started_at  # type: ignore[attr-defined]
        if start <= end:
            yield {"start": format_date(start), "end": format_date(end)}

    def advance(self, moment: Optional[datetime]) -> None:
        if moment and (self._cursor_value is None or moment > self._cursor_value):
            self._cursor_value = moment

    def on_record(self, record: Mapping[str, Any]) -> None:
        moment = optional_date(record.get(self.cursor_field))
        if self.records_sorted_by_cursor:
            self.advance(moment)
        elif moment and (self._pending_value is None or moment > self._pending_value):
            self._pending_value = moment

    def on_slice_read(self, stream_slice: Optional[Mapping[str, Any]]) -> None:
        # Unsorted streams only move the cursor once every page of the window has been read.
        self.advance(self._pending_value)
        self._pending_value = None


def window(stream_slice: Optional[Mapping[str, Any]]) -> tuple:
    return parse_date(stream_slice["start"]), parse_date(stream_slice["end"])  # type: ignore[index]


def first_of(records: List[Any]) -> Any:
    return records[0] if records else None
