"""The machinery every stream shares: one HTTP base, the v2 and v3 body shapes, and the date cursor.

A stream moves through the API with a pure paginator (see pagination.py): the next page token is the
next request's query, so `request_params` sends it and `parse_response` hands the page to the paginator.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from array import array
from bisect import bisect_left
from datetime import datetime, timedelta
from typing import Any, Callable, ClassVar, Dict, Iterable, Iterator, List, Mapping, MutableMapping, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

import requests
from airbyte_cdk.models import (AirbyteEstimateTraceMessage, AirbyteMessage, AirbyteTraceMessage, EstimateType, FailureType,
                                TraceType, Type)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

from .. import __version__, transport
from ..client import lean_client
from ..config import BigCommerceConfig
from ..dates import apply_date_plan, compile_date_plan, format_date, parse_date
from ..errors import BigCommerceErrorHandler, RateLimitBackoff, take_decoded_body
from ..pagination import PAGE_LIMIT, OutOfOrderError, Page
from ..rate_limit import InFlightLimit, sending_for
from ..stats import SyncStats
from .declaration import ByDate, PageNumbers, Spec

USER_AGENT = f"source-bigcommerce/{__version__} (Airbyte connector)"
TIMEOUT_SECONDS = (10, 120)  # connect, read
_NEXT_QUERY = "_bigcommerce_next_query"
SHIFT_PASSES = 5  # reads of a page-number listing whose record count keeps changing, before the stream gives up
LOGGER = logging.getLogger("airbyte")
# What urljoin leaves as it is: no query or fragment, no empty, "." or ".." segment (it drops or
# resolves those), a base ending in "/".
_PLAIN_BASE = re.compile(r"https?://[^/?#]+(?:/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)*/")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")


class Batch(list):
    """A page's records, normalized, as one item: `read_batches` hands a partition a page at once, and
    the partition passes it on to the main thread in pieces (see partitions.pieces) rather than a
    record at a time. What else the stream yields (row estimates) is not a Batch."""


class _ForbiddenMeanwhile(Exception):
    """Another partition of the stream got a 403 while this one waited for its turn to send."""


class BigCommerceStream(HttpStream):
    """One BigCommerce resource, as its `Spec` declares it: where it lives, which scope reads it, how
    it pages, what its records carry from their parent.

    A stream only reads: given a slice it yields normalized records. Which slices exist and what the
    state is belong to the partition generators and cursors (see partitions.py and cursors.py).
    Slices: None (everything), {"start", "end"} (a date window), and for a child read per parent
    {"parent_id", "parent": {child field: value}} plus the child's own window if it has one.
    """

    _schemas: ClassVar[Dict[str, Mapping[str, Any]]] = {}

    def __init__(self, spec: Spec, config: BigCommerceConfig, api_budget: Any = None, stats: Optional[SyncStats] = None,
                 reported_as: Optional[str] = None, in_flight: Tuple[InFlightLimit, ...] = ()) -> None:
        self.spec = spec
        self.reported_as = reported_as or spec.name  # a child's listing of its parents counts as the child's requests
        self.config = config
        self.api_budget = api_budget
        self.stats = stats or SyncStats()
        self.forbidden = False  # set on a 403: the token lacks this stream's scope
        super().__init__(api_budget=api_budget)
        # One kept-alive connection per worker thread, shared by every stream (see transport.py).
        self._http_client._session.mount("https://", transport.SHARED)
        self._http_client._session.mount("http://", transport.SHARED)
        environment_once(self._http_client._session, config.api_url)
        transport.streamline(self._http_client._session)  # requests' per-request merges, lean where they reduce to dicts
        lean_client(self._http_client)  # the CDK client's per-request work, done once (see client.py)
        self._http_client._session.send = self._unless_forbidden(self._http_client._session.send)
        for limit in in_flight:  # `num_workers` requests on the wire at most, and the endpoint's own cap if it has one
            self._http_client._session.send = limit.around(self._http_client._session.send)
        self._http_client._session.send = sending_for(self.reported_as, self._http_client._session.send)
        self._date_plan = compile_date_plan(self.get_json_schema())
        self._pass = threading.local()  # the listing totals of the page-number pass this thread reads
        self._window_totals: Dict[Any, int] = {}  # the record count of each window read so far, for the row estimate
        self._totals_lock = threading.Lock()
        # A page is out: (slice, the next page's query or None, the pass's record count), for a cursor's checkpoint
        self.on_page: Optional[Callable[[Optional[Mapping[str, Any]], Optional[Mapping[str, Any]], Optional[int]], None]] = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def primary_key(self) -> List[str]:  # type: ignore[override]
        return self.spec.primary_key

    @property
    def cursor_field(self) -> str:  # type: ignore[override]
        return self.spec.cursor or ""

    @property
    def scope(self) -> str:
        return self.spec.scope.name

    def get_json_schema(self) -> Mapping[str, Any]:
        # The CDK reads the file on every call; records ask for it one by one.
        if self.name not in self._schemas:
            self._schemas[self.name] = {} if self.spec.hidden else ResourceSchemaLoader("source_bigcommerce").get_schema(self.name)
        return self._schemas[self.name]

    def get_cursor(self) -> None:
        # State is kept by the concurrent cursors; the CDK's per-page "resumable full refresh" would
        # otherwise read only the first page of each slice.
        return None

    # -- where and how to ask
    @property
    def url_base(self) -> str:
        return f"{self.config.api_url}/stores/{self.config.store_hash}/{self.spec.api_version}/"

    @classmethod
    def _join_url(cls, url_base: str, path: str) -> str:
        # The CDK's urljoin parses both again on every request; for a base of plain segments ending in
        # "/" and a relative path of plain segments, what it returns is the two end to end.
        if _PLAIN_BASE.fullmatch(url_base) and _PLAIN_PATH.fullmatch(path):
            return url_base + path
        return super()._join_url(url_base, path)

    def path(self, *, stream_slice: Optional[Mapping[str, Any]] = None, **_: Any) -> str:
        if self.spec.per_parent:
            return self.spec.endpoint.format(parent_id=stream_slice["parent_id"])  # type: ignore[index]
        return self.spec.endpoint

    def request_headers(self, **_: Any) -> Mapping[str, Any]:
        return {"X-Auth-Token": self.config.access_token, "Accept": "application/json", "User-Agent": USER_AGENT}

    def request_kwargs(self, **_: Any) -> Mapping[str, Any]:
        return {"timeout": TIMEOUT_SECONDS}

    def get_error_handler(self) -> BigCommerceErrorHandler:
        return BigCommerceErrorHandler(self.reported_as, self.scope, self.spec.per_parent, self.config.store_hash, self.stats,
                                       on_forbidden=self._forbid)

    def _forbid(self) -> None:
        self.forbidden = True

    def get_backoff_strategy(self) -> RateLimitBackoff:
        on_wait = getattr(self.api_budget, "on_wait", None)  # the stream status that says "waiting for the quota"
        return RateLimitBackoff(on_rate_limited=(lambda seconds: on_wait(self.reported_as, timedelta(seconds=seconds))) if on_wait else None)

    # -- paging
    def paginator(self, stream_slice: Optional[Mapping[str, Any]]) -> Any:
        has_window = bool(stream_slice) and "start" in stream_slice  # type: ignore[operator]
        return self.spec.paginator(window(stream_slice) if has_window else None, self._cursor_date)

    def _cursor_date(self, record: Mapping[str, Any]) -> datetime:
        return parse_date(record[self.spec.cursor])  # type: ignore[index]

    def request_params(self, stream_state: Any = None, stream_slice: Optional[Mapping[str, Any]] = None,
                       next_page_token: Optional[Mapping[str, Any]] = None) -> MutableMapping[str, Any]:
        if next_page_token:
            return dict(next_page_token)
        if stream_slice and stream_slice.get("resume"):
            return dict(stream_slice["resume"])  # the page an earlier sync stopped at, in its window
        return self.paginator(stream_slice).first()

    def next_page_token(self, response: requests.Response) -> Optional[Mapping[str, Any]]:
        return response.__dict__.get(_NEXT_QUERY)

    def decode_page(self, body: Any) -> Page:
        return decode_v2(self.name, body) if self.spec.api_version == "v2" else decode_v3(self.name, body)

    def read_records(self, *args: Any, stream_slice: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
        """The records one by one (and the row estimates), for the readers that take them so: parent
        listings, the store's clock, the delete scan, the fallback reads."""
        for item in self.read_batches(*args, stream_slice=stream_slice, **kwargs):
            if type(item) is Batch:
                yield from _handed_out(item)
            else:
                yield item

    def read_batches(self, *args: Any, stream_slice: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Iterable[Any]:
        """A Batch per page read (and the row estimates). The page's checkpoint (`on_page`) runs when
        the reader asks for what follows the page, so after whatever the reader did with the page."""
        if self.forbidden:  # one 403 is enough: don't spend a request per parent finding out again
            return iter(())
        if isinstance(self.spec.paging, PageNumbers):
            return self._quiet_once_forbidden(self._until_steady(stream_slice, args, kwargs))
        records = super().read_records(*args, stream_slice=stream_slice, **kwargs)
        if self.spec.paging.sorted_by_cursor and stream_slice and "start" in stream_slice:
            records = self._in_cursor_order(records)
        return self._quiet_once_forbidden(records)

    def _unless_forbidden(self, send: Callable[..., requests.Response]) -> Callable[..., requests.Response]:
        """Checked once a request has its turn (inside the in-flight limit): partitions waiting in line
        when the first 403 came back send nothing."""
        def send_unless_forbidden(*args: Any, **kwargs: Any) -> requests.Response:
            if self.forbidden:
                raise _ForbiddenMeanwhile()
            return send(*args, **kwargs)

        return send_unless_forbidden

    @staticmethod
    def _quiet_once_forbidden(records: Iterable[Any]) -> Iterator[Any]:
        try:
            yield from records
        except _ForbiddenMeanwhile:
            return  # the stream's first 403 already failed it with the scope to add

    def _until_steady(self, stream_slice: Optional[Mapping[str, Any]], args: Any, kwargs: Any) -> Iterator[Any]:
        """Page numbers shift when a record on a page already read leaves the listing (deleted, or edited
        out of the sync's date window): the record that moves up into that page would be skipped. v3
        pages say how many records the listing holds; when the count at the last page differs from the
        count at the first, the listing is read again, emitting only the records not emitted yet, until a
        pass sees a steady count. v2 pages carry no count: nothing to compare, one pass."""
        emitted = array("q")  # hashes of the keys emitted so far (an int id is its own hash)
        for attempt in range(1, SHIFT_PASSES + 1):
            before = sorted(emitted) if attempt > 1 else None
            # A window resumed where an earlier sync stopped starts from the count that sync saw there.
            resumed = attempt == 1 and bool(stream_slice and stream_slice.get("resume"))
            self._pass.totals = [stream_slice.get("resume_total")] if resumed else []  # type: ignore[union-attr]
            if attempt > 1 and stream_slice and stream_slice.get("resume"):
                stream_slice = {k: v for k, v in stream_slice.items() if k not in ("resume", "resume_total")}
            for item in super().read_records(*args, stream_slice=stream_slice, **kwargs):
                if type(item) is Batch:
                    kept = Batch()
                    for record in item:
                        digest = hash(self._key(record))
                        if before is not None and _holds(before, digest):
                            if self.reported_as == self.name:
                                self.stats.emitted(self.name, -1)  # counted by parse_response, not emitted again
                            continue
                        emitted.append(digest)
                        kept.append(record)
                    item.clear()
                    item = kept
                elif attempt > 1:
                    continue  # the progress estimate, already given
                yield item
            totals, self._pass.totals = self._pass.totals, None
            if len(totals) < 2 or None in totals or totals[0] == totals[-1]:
                return
            LOGGER.info(f"Stream '{self.name}': the listing went from {totals[0]} to {totals[-1]} records while it was read "
                        "(some were edited or deleted), so later pages shifted; reading it again for the records that moved.")
        message = (f"Stream '{self.name}': records kept leaving the listing while it was read ({SHIFT_PASSES} passes); its state "
                   "stays where it was, and the next sync reads it again.")
        raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.transient_error)

    def _key(self, record: Mapping[str, Any]) -> Any:
        key = self.spec.key
        return tuple(record.get(part) for part in key) if isinstance(key, tuple) else record.get(key)

    def _in_cursor_order(self, records: Iterable[Any]) -> Iterator[Any]:
        """The state follows the last record out, so records must leave in cursor order: a record dated
        before one already emitted fails the stream rather than let the state skip what lies between."""
        latest = None
        cursor = self.spec.cursor
        # The date keyset's paginator has checked each page: ascending, and from the date the page was
        # asked from, which is the previous page's last. Its pages' first and last records are checked
        # here still; any other paging's every record.
        ends_only = isinstance(self.spec.paging, ByDate)
        for item in records:
            if type(item) is Batch:
                for record in ((item[0], item[-1]) if ends_only and item else item):
                    if record.get(cursor):
                        moment = parse_date(record[cursor])
                        if latest is not None and moment < latest:
                            raise OutOfOrderError(f"Stream '{self.name}': BigCommerce sent a record dated {format_date(moment)} after one "
                                                  f"dated {format_date(latest)}, although it was asked for {cursor} order; stopping so the "
                                                  "state does not move past records not read yet.")
                        latest = moment
            yield item

    def parse_response(self, response: requests.Response, *, stream_slice: Optional[Mapping[str, Any]] = None,
                       **_: Any) -> Iterable[Mapping[str, Any]]:
        if not response.ok:  # an ignored 404 (a parent deleted while we read): nothing to read here
            return
        sent = dict(parse_qsl(urlsplit(response.request.url).query))
        paginator = self.paginator(stream_slice)
        page = self.decode_page(take_decoded_body(response))
        records, following = paginator.advance(sent, page)
        response.__dict__[_NEXT_QUERY] = following
        total, page = page.total, None  # from here only `records` holds the page
        totals = getattr(self._pass, "totals", None)
        if totals is not None:
            totals.append(total)
        first = sent == {k: str(v) for k, v in paginator.first().items()}
        if self.spec.estimates_rows and not self.spec.per_parent and total is not None and first:
            # BigCommerce told how many the window holds: the stream's estimate is its windows' sum so far (a progress bar)
            with self._totals_lock:  # held while the message goes out, so the last estimate out is the largest sum
                self._window_totals[(stream_slice or {}).get("start")] = total
                yield estimate(self.name, sum(self._window_totals.values()))
        if self.reported_as == self.name:  # a child's listing of its parents emits no records of its own
            self.stats.emitted(self.name, len(records))
        transform = self.transform
        batch = Batch([transform(record, stream_slice) for record in records])
        records.clear()  # the Batch holds the page now: each record goes once its reader lets it go
        yield batch
        if self.on_page is not None:
            # Runs once the page's last record is taken. The count saved is the pass's first: a resumed
            # sync then also notices a shift that happened before this checkpoint.
            self.on_page(stream_slice, following, totals[0] if totals else total)

    def transform(self, record: MutableMapping[str, Any], stream_slice: Optional[Mapping[str, Any]]) -> MutableMapping[str, Any]:
        apply_date_plan(record, self._date_plan)
        if self.spec.transform is not None:
            record = self.spec.transform(record)
        if stream_slice and "parent" in stream_slice:
            carry(record, stream_slice["parent"], self.spec.cursor)
        return record


def environment_once(session: requests.Session, api_url: str) -> None:
    """What requests looks up in the environment on every request (proxies and NO_PROXY, the CA bundle
    variables, ~/.netrc), looked up once: every request of a sync goes to the same host. The token is
    sent in a header, so a .netrc entry never applied anyway."""
    session.proxies.update(requests.utils.get_environ_proxies(api_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False


def _holds(ascending: List[int], value: int) -> bool:
    at = bisect_left(ascending, value)
    return at < len(ascending) and ascending[at] == value


def carry(record: MutableMapping[str, Any], from_parent: Mapping[str, Any], cursor: Optional[str]) -> None:
    """Put the parent's fields on a child record: its key where the API leaves it out, and always the
    parent's cursor value, which the child syncs by."""
    for child_field, value in from_parent.items():
        if child_field == cursor or child_field not in record:
            record[child_field] = value


def decode_v2(stream: str, body: Any) -> Page:
    """v2: bare JSON arrays (or one object), 204 past the last page."""
    if body is None:
        return Page([], more=False)
    if isinstance(body, dict):
        return Page([body], more=False)
    if not isinstance(body, list):
        raise ValueError(f"Stream '{stream}': BigCommerce sent {type(body).__name__} where a list was expected.")
    return Page(body, more=len(body) >= PAGE_LIMIT)


def decode_v3(stream: str, body: Any) -> Page:
    """v3: `{"data": [...], "meta": {"pagination" | "cursor_pagination": ...}}`; /v3/sites counts by
    `offset`/`total_items` instead of pages."""
    if body is None:
        return Page([], more=False)
    if not isinstance(body, dict) or "data" not in body:
        raise ValueError(f"Stream '{stream}': BigCommerce sent a body without `data`.")
    data = body["data"] or []
    records = data if isinstance(data, list) else [data]
    meta = body.get("meta") or {}
    pagination = meta.get("pagination") or {}
    current, pages, total = pagination.get("current_page"), pagination.get("total_pages"), pagination.get("total")
    if total is None:
        total = pagination.get("total_items")
    total = total if isinstance(total, int) and not isinstance(total, bool) else None
    if meta.get("cursor_pagination"):
        cursor = meta["cursor_pagination"]
        links = cursor.get("links") or {}
        return Page(records, more=bool(links.get("next")), end_cursor=cursor.get("end_cursor"), total=total)
    if isinstance(current, int) and isinstance(pages, int):
        return Page(records, more=current < pages, total=total)
    offset = pagination.get("offset")
    if isinstance(offset, int) and total is not None:
        return Page(records, more=offset + len(records) < total, total=total)
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
