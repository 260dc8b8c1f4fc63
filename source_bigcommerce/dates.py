"""BigCommerce dates in, ISO 8601 UTC out.

v2 sends RFC 2822 (`Tue, 20 Nov 2012 00:00:00 +0000`) and `""` for an unset date; v3 sends ISO 8601.
Records leave the connector with every date as `YYYY-MM-DDTHH:MM:SS+00:00` (or null), and cursors are
compared as datetimes, never as strings.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

UTC = timezone.utc
ONE_SECOND = timedelta(seconds=1)


# v2's RFC 2822 dates, as BigCommerce writes them: read here directly, since the standard library's
# general parser costs about 10 us a date and an order holds several. Anything else goes to that parser.
_RFC_2822 = re.compile(r"[A-Z][a-z]{2}, (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")
_MONTHS = {name: number for number, name in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


# The days of v2 dates seen so far, by the date's first 16 characters (`Tue, 20 Nov 2012`): a store's
# records share days, so a date costs a lookup and a check of its clock. Cleared when this large.
_V2_DAYS: Dict[str, Optional[Tuple[str, int, int, int]]] = {}
_V2_DAYS_KEPT = 4_096


def _v2_day(head: str) -> Optional[Tuple[str, int, int, int]]:
    """(`2012-11-20`, 2012, 11, 20) for `Tue, 20 Nov 2012`, None when it is not a day of that shape."""
    month = _MONTHS.get(head[8:11])
    year, day = head[12:16], head[5:7]
    if (month is None or head[3:5] != ", " or head[7] != " " or head[11] != " " or not head.isascii()
            or not (head[0].isupper() and head[1:3].islower()) or not (year.isdigit() and day.isdigit())):
        return None
    try:
        datetime(int(year), month, int(day))
    except ValueError:
        return None
    return f"{year}-{month:02d}-{day}", int(year), month, int(day)


def _bigcommerce_utc(text: str) -> Optional[Tuple[str, Tuple[str, int, int, int]]]:
    """The exact shape v2 writes, `Tue, 20 Nov 2012 00:00:00 +0000` (31 characters, UTC), read by
    position: what `_RFC_2822` and `datetime` accept in this shape, at a fraction of their cost.
    (its clock `00:00:00`, its day) or None for anything else (another zone, a one-digit day)."""
    if len(text) != 31 or not text.endswith(" +0000") or text[16] != " " or text[19] != ":" or text[22] != ":":
        return None
    head = text[:16]
    day = _V2_DAYS.get(head, False)
    if day is False:
        day = _v2_day(head)
        if len(_V2_DAYS) >= _V2_DAYS_KEPT:
            _V2_DAYS.clear()
        _V2_DAYS[head] = day
    if day is None:
        return None
    hour, minute, second = text[17:19], text[20:22], text[23:25]
    if not ((hour + minute + second).isdigit() and text.isascii() and hour <= "23" and minute <= "59" and second <= "59"):
        return None
    return text[17:25], day  # type: ignore[return-value]


@lru_cache(maxsize=4096)  # the same dates come back: a record's date is read by its page, its cursor and its state
def parse_date(value: str) -> datetime:
    """Parse an ISO 8601 or RFC 2822 date into an aware UTC datetime; naive values are read as UTC."""
    text = value.strip()
    if not text:
        raise ValueError("empty date")
    if text[0].isdigit():
        parsed = datetime.fromisoformat(text)
    else:
        found_v2 = _bigcommerce_utc(text)
        if found_v2 is not None:
            clock, (_, year, month, day) = found_v2
            return datetime(year, month, day, int(clock[:2]), int(clock[3:5]), int(clock[6:]), tzinfo=UTC)
        found = _RFC_2822.fullmatch(text)
        if found is not None and found.group(2) in _MONTHS:
            day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = found.groups()
            if zone_hours == zone_minutes == "00":  # BigCommerce's own: its dates are UTC
                zone = UTC
            else:
                offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
                zone = timezone(-offset if sign == "-" else offset)
            parsed = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone)
        else:
            parsed = parsedate_to_datetime(text)  # raises ValueError/TypeError on garbage
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_date(moment: datetime) -> str:
    """The one output format: ISO 8601 in UTC, whole seconds unless the source had fractions."""
    moment = moment.astimezone(UTC)
    timespec = "seconds" if moment.microsecond == 0 else "microseconds"
    return moment.isoformat(timespec=timespec)


def normalize_date(value: Any) -> Any:
    """`""`/None -> None; a parseable date -> ISO 8601 UTC; v2 marketing's Unix seconds in a string
    (gift certificates, banners) likewise, with its "0" for unset -> None; anything else is returned
    unchanged (nothing is invented: a value we cannot read is passed on as BigCommerce sent it)."""
    if value is None or value == "" or value == "0":
        return None
    if not isinstance(value, str):
        return value
    if (len(value) == 25 and value.endswith("+00:00") and value[10] == "T" and value[4] == value[7] == "-"
            and value[13] == value[16] == ":" and value.isascii()):
        # Already the output format (v3 sends its dates so): read and written again it is the same
        # string, and a value of this shape that is no date is passed on unchanged either way.
        return value
    found_v2 = _bigcommerce_utc(value)
    if found_v2 is not None:  # v2's own dates, in UTC: the digits rearranged, the day checked once per day
        return f"{found_v2[1][0]}T{found_v2[0]}+00:00"
    return _normalize_text(value)


@lru_cache(maxsize=4096)
def _normalize_text(value: str) -> str:
    found = _RFC_2822.fullmatch(value)
    if found is not None and found.group(8) == found.group(9) == "00" and found.group(2) in _MONTHS:
        # v2's own dates, in UTC: the digits are rearranged, once datetime has checked they make a date.
        day, month, year, hour, minute, second = found.group(1, 2, 3, 4, 5, 6)
        try:
            datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
        except ValueError:
            return value
        return f"{int(year):04d}-{_MONTHS[month]:02d}-{int(day):02d}T{int(hour):02d}:{int(minute):02d}:{int(second):02d}+00:00"
    if value.isdigit():
        try:
            return format_date(datetime.fromtimestamp(int(value), tz=UTC))
        except (ValueError, OverflowError, OSError):
            return value
    try:
        return format_date(parse_date(value))
    except (ValueError, TypeError, OverflowError):
        return value


def parse_start_date(value: str) -> datetime:
    """`start_date` from the config: a date (`2021-01-01`) or a full ISO 8601 datetime, read as UTC."""
    return parse_date(value if "T" in value or " " in value else f"{value}T00:00:00")


# A compiled plan of where a schema keeps its dates: {field: True} for a date-time leaf,
# {field: plan} for an object, {field: ("items", plan)} for an array of objects.
DatePlan = Mapping[str, Any]


def _types(schema: Mapping[str, Any]) -> set:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def compile_date_plan(schema: Mapping[str, Any]) -> DatePlan:
    """Walk a JSON schema once and keep only the paths that lead to `format: date-time` fields."""
    plan: dict = {}
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("format") == "date-time":
            plan[name] = True
        elif "object" in _types(prop) and prop.get("properties"):
            inner = compile_date_plan(prop)
            if inner:
                plan[name] = inner
        elif "array" in _types(prop) and isinstance(prop.get("items"), Mapping):
            items = prop["items"]
            if items.get("format") == "date-time":
                plan[name] = ("items", True)
            elif items.get("properties"):
                inner = compile_date_plan(items)
                if inner:
                    plan[name] = ("items", inner)
    return plan


def apply_date_plan(record: Any, plan: DatePlan, normalize: Callable[[Any], Any] = normalize_date) -> None:
    """Normalize, in place, every date the plan points at. Missing fields and odd shapes are left alone."""
    if not isinstance(record, dict):
        return
    for name, sub in plan.items():
        if name not in record:
            continue
        value = record[name]
        if sub is True:
            record[name] = normalize(value)
        elif isinstance(sub, tuple):
            if isinstance(value, list):
                if sub[1] is True:
                    record[name] = [normalize(item) for item in value]
                else:
                    for item in value:
                        apply_date_plan(item, sub[1], normalize)
        else:
            apply_date_plan(value, sub, normalize)


def optional_date(value: Any) -> Optional[datetime]:
    """A cursor value as a datetime, or None when the record has none we can read."""
    if not value or not isinstance(value, str):
        return None
    try:
        return parse_date(value)
    except (ValueError, TypeError, OverflowError):
        return None
