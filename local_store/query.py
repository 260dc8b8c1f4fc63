"""Query parameters as BigCommerce reads them: value parsers, filters and sorts, all as data.

A resource of the local store names the filters and sort its real endpoint documents; `select` in
server.py applies them. A parser raises `BadParam` for a value BigCommerce would refuse.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Optional

UTC = timezone.utc

class BadParam(ValueError):
    """A supported query parameter with a value BigCommerce would refuse (v2: 400, v3: 422)."""


# --------------------------------------------------------------------------------------------------
# Query-value parsers: (text, request time) -> value, raising BadParam
# --------------------------------------------------------------------------------------------------


def _undo_form_plus(text: str) -> str:
    # A client that writes `+00:00` unescaped into a URL has it decoded to a space; read it back.
    text = re.sub(r"(?<=\d) (\d{2}:?\d{2})$", r"+\1", text)  # ISO: ...T10:00:00 00:00
    return re.sub(r"\s{2}(\d{4})$", r" +\1", text)  # RFC 2822: ...00:00:00  0000


def parse_int(text: str, _now: datetime = None) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadParam(f"'{text}' is not an integer") from None


def parse_int_list(text: str, _now: datetime = None) -> frozenset:
    return frozenset(parse_int(part.strip()) for part in text.split(",") if part.strip())


def parse_text(text: str, _now: datetime = None) -> str:
    return text.casefold()


def parse_text_list(text: str, _now: datetime = None) -> frozenset:
    return frozenset(part.strip().casefold() for part in text.split(",") if part.strip())


def parse_bool(text: str, _now: datetime = None) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise BadParam(f"'{text}' is not a boolean")


def parse_decimal(text: str, _now: datetime = None) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise BadParam(f"'{text}' is not a number") from None


DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_moment(text: str) -> datetime:
    """ISO 8601, RFC 2822 or epoch seconds -> aware UTC datetime (naive values are read as UTC)."""
    text = _undo_form_plus(text.strip())
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        if text[:1].isdigit():
            return _as_utc(datetime.fromisoformat(text))
        return _as_utc(parsedate_to_datetime(text))
    except (ValueError, TypeError, IndexError, OverflowError):
        raise BadParam(f"'{text}' is not a date (use ISO 8601 or RFC 2822)") from None


def parse_v2_date(text: str, _now: datetime = None) -> datetime:
    """v2 reads RFC 2822 or ISO 8601; a bare date means its midnight (UTC)."""
    return _parse_moment(text)


def parse_v3_date(text: str, now: datetime) -> datetime:
    """v3 reads ISO 8601. A bare date gets *the current time of the request* appended — observed
    BigCommerce behaviour that makes date-only windows silently lose the rest of the day."""
    stripped = text.strip()
    if DATE_ONLY.match(stripped):
        day = _parse_moment(stripped)
        return day.replace(hour=now.hour, minute=now.minute, second=now.second)
    return _parse_moment(stripped)


def parse_day_or_moment(text: str, _now: datetime = None):
    """The exact-date filters (`date_modified=2024-05-14`) match a whole day, or one instant."""
    stripped = text.strip()
    return _parse_moment(stripped).date() if DATE_ONLY.match(stripped) else _parse_moment(stripped)


# --------------------------------------------------------------------------------------------------
# Reading canonical record values
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def canonical_moment(value: Optional[str]) -> Optional[datetime]:
    """A canonical date (`YYYY-MM-DDTHH:MM:SS+00:00`, or None/"") as a datetime, never as a string."""
    if not value:
        return None
    return _as_utc(datetime.fromisoformat(value))


def field_value(name: str) -> Callable[[Mapping], Any]:
    return lambda record: record.get(name)


def text_value(name: str) -> Callable[[Mapping], Any]:
    return lambda record: record[name].casefold() if isinstance(record.get(name), str) else record.get(name)


def date_value(name: str) -> Callable[[Mapping], Optional[datetime]]:
    return lambda record: canonical_moment(record.get(name))


def decimal_value(name: str) -> Callable[[Mapping], Optional[Decimal]]:
    def read(record: Mapping) -> Optional[Decimal]:
        try:
            return Decimal(str(record.get(name)))
        except InvalidOperation:
            return None

    return read


def full_name(record: Mapping) -> str:
    return f"{record.get('first_name') or ''} {record.get('last_name') or ''}".strip().casefold()


def billing_email(record: Mapping) -> Optional[str]:
    email = (record.get("billing_address") or {}).get("email")
    return email.casefold() if isinstance(email, str) else None


# --------------------------------------------------------------------------------------------------
# Filters as data
# --------------------------------------------------------------------------------------------------


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    # Range tests never match a record whose value is unset (an empty date is before nothing).
    return lambda have, wanted: have is not None and test(have, wanted)


EQUALS = lambda have, wanted: have == wanted  # noqa: E731
ONE_OF = lambda have, wanted: have in wanted  # noqa: E731
NONE_OF = lambda have, wanted: have not in wanted  # noqa: E731
AT_LEAST = _ordered(lambda have, wanted: have >= wanted)
AT_MOST = _ordered(lambda have, wanted: have <= wanted)
ABOVE = _ordered(lambda have, wanted: have > wanted)
BELOW = _ordered(lambda have, wanted: have < wanted)
CONTAINS_TEXT = lambda have, wanted: have is not None and wanted in have  # noqa: E731
ANY_TEXT_WITHIN = lambda have, wanted: have is not None and any(part in have for part in wanted)  # noqa: E731
HAS_MEMBER = lambda have, wanted: wanted in (have or ())  # noqa: E731
HAS_ANY_MEMBER = lambda have, wanted: bool(wanted.intersection(have or ()))  # noqa: E731
NOT_EQUAL = lambda have, wanted: have != wanted  # noqa: E731


def same_day_or_moment(have: Optional[datetime], wanted) -> bool:
    if have is None:
        return False
    return have.date() == wanted if type(wanted) is date else have == wanted


@dataclass(frozen=True)
class Filter:
    """One query parameter: how to read it, which record value it looks at, and the test."""

    param: str
    read_record: Callable[[Mapping], Any]
    parse: Callable[[str, datetime], Any]
    test: Callable[[Any, Any], bool]


def integer_filters(base: str, record_field: str, operators: str = "eq in not_in min max greater less") -> tuple:
    """The v3 family `id`, `id:in`, `id:not_in`, `id:min`, `id:max`, `id:greater`, `id:less`."""
    spelled = {
        "eq": (base, parse_int, EQUALS),
        "in": (f"{base}:in", parse_int_list, ONE_OF),
        "not_in": (f"{base}:not_in", parse_int_list, NONE_OF),
        "min": (f"{base}:min", parse_int, AT_LEAST),
        "max": (f"{base}:max", parse_int, AT_MOST),
        "greater": (f"{base}:greater", parse_int, ABOVE),
        "less": (f"{base}:less", parse_int, BELOW),
    }
    return tuple(Filter(param, field_value(record_field), parse, test) for param, parse, test in (spelled[op] for op in operators.split()))


def v3_date_filters(record_field: str) -> tuple:
    """`date_modified`, `date_modified:min`, `date_modified:max` (inclusive bounds)."""
    read = date_value(record_field)
    return (
        Filter(record_field, read, parse_day_or_moment, same_day_or_moment),
        Filter(f"{record_field}:min", read, parse_v3_date, AT_LEAST),
        Filter(f"{record_field}:max", read, parse_v3_date, AT_MOST),
    )


def v2_date_filters(record_field: str) -> tuple:
    """`min_date_modified`, `max_date_modified` (inclusive; RFC 2822 or ISO 8601)."""
    read = date_value(record_field)
    return (Filter(f"min_{record_field}", read, parse_v2_date, AT_LEAST), Filter(f"max_{record_field}", read, parse_v2_date, AT_MOST))


def text_filter(param: str, record_field: str) -> Filter:
    return Filter(param, text_value(record_field), parse_text, EQUALS)


def text_in_filter(param: str, record_field: str) -> Filter:
    return Filter(param, text_value(record_field), parse_text_list, ONE_OF)


def like_filter(param: str, record_field: str) -> Filter:
    return Filter(param, text_value(record_field), parse_text_list, ANY_TEXT_WITHIN)


def int_filter(param: str, record_field: str) -> Filter:
    return Filter(param, field_value(record_field), parse_int, EQUALS)


def bool_filter(param: str, record_field: str) -> Filter:
    return Filter(param, field_value(record_field), parse_bool, EQUALS)


# --------------------------------------------------------------------------------------------------
# Sorts as data
# --------------------------------------------------------------------------------------------------


def _unset_last(value: Any, present: Any) -> tuple:
    return (value is None, present)


def number_key(value: Any) -> tuple:
    return _unset_last(value, value if value is not None else 0)


def text_key(value: Any) -> tuple:
    return _unset_last(value, value.casefold() if isinstance(value, str) else "")


def date_key(value: Any) -> tuple:
    moment = canonical_moment(value) if isinstance(value, str) else None
    return (moment is None, moment or datetime.min.replace(tzinfo=UTC))


def bool_key(value: Any) -> tuple:
    return _unset_last(value, bool(value))


@dataclass(frozen=True)
class SortField:
    record_field: str
    key: Callable[[Any], tuple]

    def of(self, record: Mapping) -> tuple:
        return self.key(record.get(self.record_field))


BY_ID = SortField("id", number_key)


@dataclass(frozen=True)
class Sorting:
    """How one endpoint spells its sort. `colon`: `sort=date_modified:asc` (v2 orders, customers);
    `direction`: `sort=date_modified&direction=asc` (catalog); `ascending`: `sort=name` only
    (categories); `none`: the endpoint has no sort (always id order)."""

    spelling: str = "none"
    fields: Mapping[str, SortField] = field(default_factory=dict)

    def parse(self, query: Mapping[str, str]) -> tuple:
        """-> (sort name, SortField, descending). Unknown values are refused, as BigCommerce does."""
        text = query.get("sort")
        if self.spelling == "none" or not text:
            return "id", BY_ID, False
        if self.spelling == "colon":
            name, _, direction = text.partition(":")
            direction = direction or "asc"
        else:
            name, direction = text, query.get("direction", "asc") if self.spelling == "direction" else "asc"
        if name not in self.fields:
            raise BadParam(f"sort '{text}' is not one of {sorted(self.fields)}")
        if direction.lower() not in ("asc", "desc"):
            raise BadParam(f"sort direction '{direction}' is not asc or desc")
        return name, self.fields[name], direction.lower() == "desc"


def sort_fields(**kinds: Callable[[Any], tuple]) -> dict:
    return {name: SortField(name, key) for name, key in kinds.items()}


def order_records(records: Iterable[Mapping], by: SortField, descending: bool, tie_shuffle: Optional[random.Random]) -> list:
    """Sort by one key; equal keys stay in id order (or random order when ties are shuffled).
    Python's sort is stable, also with reverse=True, so the tie order survives a descending sort."""
    ordered = sorted(records, key=BY_ID.of)
    if tie_shuffle is not None:
        tie_shuffle.shuffle(ordered)
    ordered.sort(key=by.of, reverse=descending)
    return ordered
