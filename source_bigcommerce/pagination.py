"""Pure paginators: from the query just sent and the page it returned, decide which records to emit
and which query to send next.

Each paginator knows one BigCommerce paging style and nothing about HTTP. The next page token *is*
the next request's query, so a paginator never keeps state between pages: `first()` gives the first
query, `advance(sent, page)` gives (records to emit, next query or None). None means the API said the
page was the last one, so no request is ever made past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .dates import ONE_SECOND, format_date, parse_date

PAGE_LIMIT = 250  # the largest page BigCommerce serves; larger answers 413

Query = Dict[str, Any]
Record = Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    """One decoded response: its records and what the API said about what follows."""

    records: List[Record]
    more: bool  # the API says (v3 meta) or implies (v2 full page) that another page exists
    end_cursor: Optional[str] = None  # v3 cursor pagination (customers)
    total: Optional[int] = None  # v3: how many records the query matches in all


class PagingError(AirbyteTracedException):
    """The API's pages cannot be followed safely: the stream fails with this message rather than skip records."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message, internal_message=message, failure_type=FailureType.system_error)


class MissingCursorError(PagingError):
    """More pages announced, but no cursor to ask for them."""


class RepeatedPageError(PagingError):
    """The API led us back to a query we just sent: stop instead of looping forever."""


class OutOfOrderError(PagingError):
    """A page came back in an order other than the one asked for: the state, which follows the last
    record out, would move past records not read yet. The stream fails instead."""


def _guard(sent: Mapping[str, Any], following: Optional[Query]) -> Optional[Query]:
    if following is not None and {k: str(v) for k, v in following.items()} == {k: str(v) for k, v in sent.items()}:
        raise RepeatedPageError(f"BigCommerce pointed back to the page just read ({following}); stopping to avoid a loop.")
    return following


class PageNumberPaginator:
    """`page`/`limit` paging, for small resources in id order and for the children of one order."""

    def __init__(self, **fixed: Any) -> None:
        self.fixed = fixed

    def first(self) -> Query:
        return {**self.fixed, "limit": PAGE_LIMIT, "page": 1}

    def advance(self, sent: Mapping[str, Any], page: Page) -> Tuple[List[Record], Optional[Query]]:
        following = {**sent, "page": int(sent.get("page", 1)) + 1} if page.more and page.records else None
        return page.records, _guard(sent, following)


class UnpagedPaginator(PageNumberPaginator):
    """Endpoints that answer everything at once and take no paging parameters (order statuses,
    shipping zones, category trees): one request, whatever the answer says about pages."""

    def first(self) -> Query:
        return dict(self.fixed)

    def advance(self, sent: Mapping[str, Any], page: Page) -> Tuple[List[Record], Optional[Query]]:
        return page.records, None


class IdKeysetPaginator:
    """Reads in id order by raising the lower id bound (`min_id` on v2, `id:greater`/`id:min` on v3):
    a record deleted on an earlier page cannot shift the next one out of reach, as it can with page
    numbers. Ids must come back ascending; anything else fails the stream instead of skipping records."""

    def __init__(self, id_param: str, inclusive: bool, **fixed: Any) -> None:
        self.id_param, self.inclusive, self.fixed = id_param, inclusive, fixed

    def first(self) -> Query:
        return {**self.fixed, "limit": PAGE_LIMIT}

    def after(self, last_id: int) -> Query:
        """The first page of the records whose id is above `last_id`."""
        return {**self.first(), self.id_param: last_id + 1 if self.inclusive else last_id}

    def advance(self, sent: Mapping[str, Any], page: Page) -> Tuple[List[Record], Optional[Query]]:
        ids = [record.get("id") for record in page.records]
        if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
            raise OutOfOrderError("BigCommerce sent a record without an integer id where ids were to be ascending.")
        if any(b <= a for a, b in zip(ids, ids[1:])) or (self.id_param in sent and ids and ids[0] < int(sent[self.id_param])):
            raise OutOfOrderError(f"BigCommerce sent ids out of ascending order ({ids[:5]}...): stopping instead of skipping records.")
        if not page.more or not ids:
            return page.records, None
        following = {**sent, self.id_param: ids[-1] + 1 if self.inclusive else ids[-1]}
        return page.records, _guard(sent, following)


class CursorPaginator:
    """v3 cursor paging (`after` = the previous page's `end_cursor`): a keyset, so stable under change."""

    def __init__(self, **fixed: Any) -> None:
        self.fixed = fixed

    def first(self) -> Query:
        return {**self.fixed, "limit": PAGE_LIMIT}

    def advance(self, sent: Mapping[str, Any], page: Page) -> Tuple[List[Record], Optional[Query]]:
        if page.more and page.records and not page.end_cursor:
            # Stopping here would end the stream with records missing and exit 0: fail loudly instead.
            raise MissingCursorError("BigCommerce said more pages follow but sent no `end_cursor` to reach them.")
        following = {**sent, "after": page.end_cursor} if page.more and page.records else None
        return page.records, _guard(sent, following)


@dataclass(frozen=True)
class KeysetSpelling:
    """How one endpoint spells the filters the date keyset needs."""

    date_min: str
    date_max: str
    sort_by_date: Mapping[str, str]
    sort_by_id: Mapping[str, str]
    id_filter: str  # keeps ids strictly greater than `after` ...
    id_offset: int  # ... when sent as after + id_offset (v2 `min_id` is inclusive, v3 `id:greater` is not)


V2_ORDERS = KeysetSpelling("min_date_modified", "max_date_modified", {"sort": "date_modified:asc"}, {"sort": "id:asc"}, "min_id", 1)
V3_CATALOG = KeysetSpelling("date_modified:min", "date_modified:max", {"sort": "date_modified", "direction": "asc"},
                            {"sort": "id", "direction": "asc"}, "id:greater", 0)


class DateKeysetPaginator:
    """Reads `start <= date_modified <= end` in date order by raising the lower bound, never by page number.

    Page-number paging over a moving sort key skips records when one changes mid-sync; here every
    request is "the first page from date T". A full page's trailing group of records sharing its last
    timestamp is held back and re-read from that timestamp, so a tie split by the page boundary arrives
    whole. A page that is one timestamp throughout (a bulk import) is then read by id within that second.
    Records leave in date order, which makes "date of the last record emitted" a safe resume point.
    """

    def __init__(self, spelling: KeysetSpelling, start: datetime, end: datetime,
                 date_of: Callable[[Record], datetime], fixed: Optional[Mapping[str, Any]] = None) -> None:
        self.spelling, self.start, self.end, self.date_of = spelling, start, end, date_of
        self.fixed = dict(fixed or {})

    def first(self) -> Query:
        return self._from(self.start)  # type: ignore[return-value]

    def advance(self, sent: Mapping[str, Any], page: Page) -> Tuple[List[Record], Optional[Query]]:
        records = page.records
        lower = parse_date(str(sent[self.spelling.date_min]))
        dates = self._check_order(sent, records, lower)
        if self._is_tie_query(sent):
            if page.more and records:
                return records, _guard(sent, self._tie(lower, int(records[-1]["id"])))
            return records, _guard(sent, self._from(lower + ONE_SECOND))
        if not page.more or not records:
            return records, None
        last = dates[-1]
        head = [r for r, date in zip(records, dates) if date < last]
        if head:
            return head, _guard(sent, self._from(last))
        # The whole page shares one timestamp: read that second by id, then carry on after it.
        return [], _guard(sent, self._tie(last, 0))

    def _check_order(self, sent: Mapping[str, Any], records: List[Record], lower: datetime) -> List[datetime]:
        """Dates ascending and inside the asked window (ids ascending within a tie query), or fail; -> the records' dates."""
        dates = [self.date_of(r) for r in records]
        upper = parse_date(str(sent[self.spelling.date_max]))
        if any(b < a for a, b in zip(dates, dates[1:])) or (dates and (dates[0] < lower or dates[-1] > upper)):  # ascending: its ends tell
            raise OutOfOrderError(f"BigCommerce sent records out of date order or outside {format_date(lower)}..{format_date(upper)}: "
                                  "stopping instead of moving the state past records not read yet.")
        if self._is_tie_query(sent):
            ids = [int(r["id"]) for r in records]
            if any(b <= a for a, b in zip(ids, ids[1:])):
                raise OutOfOrderError("BigCommerce sent a second's records out of id order: stopping instead of skipping records.")
        return dates

    def _is_tie_query(self, sent: Mapping[str, Any]) -> bool:
        return all(str(sent.get(k)) == v for k, v in self.spelling.sort_by_id.items())

    def _from(self, lower: datetime) -> Optional[Query]:
        if lower > self.end:
            return None
        s = self.spelling
        return {**self.fixed, "limit": PAGE_LIMIT, s.date_min: format_date(lower), s.date_max: format_date(self.end), **s.sort_by_date}

    def _tie(self, moment: datetime, after_id: int) -> Query:
        s = self.spelling
        second = format_date(moment)
        return {**self.fixed, "limit": PAGE_LIMIT, s.date_min: second, s.date_max: second,
                s.id_filter: after_id + s.id_offset, **s.sort_by_id}
