from datetime import datetime, timedelta, timezone

import pytest

from source_bigcommerce.dates import apply_date_plan, compile_date_plan, normalize_date, parse_start_date


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Tue, 20 Nov 2012 00:00:00 +0000", "2012-11-20T00:00:00+00:00"),  # v2 RFC 2822
        ("Tue, 20 Nov 2012 02:30:00 +0230", "2012-11-20T00:00:00+00:00"),  # offsets folded into UTC
        ("2018-08-15T14:49:05+00:00", "2018-08-15T14:49:05+00:00"),  # v3 ISO
        ("2018-08-15T14:49:05Z", "2018-08-15T14:49:05+00:00"),
        ("2018-08-15T16:49:05+02:00", "2018-08-15T14:49:05+00:00"),
        ("2018-08-15T14:49:05.250000Z", "2018-08-15T14:49:05.250000+00:00"),
        ("2018-08-15T14:49:05", "2018-08-15T14:49:05+00:00"),  # naive read as UTC
        ("", None),  # v2 unset date
        (None, None),
        ("not a date", "not a date"),  # never invented: passed on as sent
    ],
)
def test_given_bigcommerce_date_when_normalized_then_iso_utc(raw, expected):
    assert normalize_date(raw) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-01-01", datetime(2021, 1, 1, tzinfo=timezone.utc)),
        ("2021-01-01T10:00:00Z", datetime(2021, 1, 1, 10, tzinfo=timezone.utc)),
        ("2021-01-01T10:00:00+02:00", datetime(2021, 1, 1, 8, tzinfo=timezone.utc)),
    ],
)
def test_given_start_date_when_parsed_then_utc(text, expected):
    assert parse_start_date(text) == expected


def test_given_schema_with_nested_dates_when_plan_applied_then_every_date_normalized():
    schema = {
        "properties": {
            "date_created": {"type": ["null", "string"], "format": "date-time"},
            "name": {"type": "string"},
            "billing": {"type": "object", "properties": {"shipped": {"type": ["null", "string"], "format": "date-time"}}},
            "events": {"type": "array", "items": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}},
            "stamps": {"type": "array", "items": {"type": "string", "format": "date-time"}},
        }
    }
    record = {
        "date_created": "Tue, 20 Nov 2012 00:00:00 +0000",
        "name": "Tue, 20 Nov 2012 00:00:00 +0000",  # not a date field: untouched
        "billing": {"shipped": ""},
        "events": [{"at": "2020-01-01T00:00:00Z"}, {"other": 1}],
        "stamps": ["2020-01-02T00:00:00Z"],
    }
    apply_date_plan(record, compile_date_plan(schema))
    assert record == {
        "date_created": "2012-11-20T00:00:00+00:00",
        "name": "Tue, 20 Nov 2012 00:00:00 +0000",
        "billing": {"shipped": None},
        "events": [{"at": "2020-01-01T00:00:00+00:00"}, {"other": 1}],
        "stamps": ["2020-01-02T00:00:00+00:00"],
    }


def test_given_odd_shapes_when_plan_applied_then_left_alone():
    schema = {"properties": {"billing": {"type": ["null", "object"], "properties": {"at": {"format": "date-time"}}},
                             "events": {"type": "array", "items": {"type": "object", "properties": {"at": {"format": "date-time"}}}}}}
    record = {"billing": None, "events": None}
    apply_date_plan(record, compile_date_plan(schema))
    assert record == {"billing": None, "events": None}


def test_given_rfc_2822_dates_then_the_direct_reading_agrees_with_the_standard_librarys_parser():
    import random
    from email.utils import format_datetime, parsedate_to_datetime

    from source_bigcommerce.dates import UTC, parse_date

    rng = random.Random(3)
    for _ in range(3000):
        moment = datetime(1999, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 40 * 365 * 86400))
        zone = timezone(timedelta(minutes=rng.choice([0, 0, -300, 330, 600, -720, 45])))
        text = format_datetime(moment.astimezone(zone))
        assert parse_date(text) == parsedate_to_datetime(text).astimezone(UTC), text
    assert parse_date("Tue, 20 Nov 2012 00:00:00 -0000") == datetime(2012, 11, 20, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_date("Tue, 31 Feb 2012 00:00:00 +0000")


def test_given_values_already_in_the_output_format_then_the_shortcut_gives_what_reading_them_would():
    """normalize_date passes `YYYY-MM-DDTHH:MM:SS+00:00` through without reading it: the same string
    must come out as from reading and writing it, valid or not."""
    import random

    from source_bigcommerce.dates import _normalize_text

    rng = random.Random(5)
    values = ["2018-08-15T14:49:05+00:00", "2018-02-30T14:49:05+00:00", "2018-08-15T24:00:00+00:00", "2018-08-15T14:49:60+00:00",
              "0000-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "2018-08-15T1a:49:05+00:00", "2018-08-15T14:4\u0669:05+00:00",
              "+018-08-15T14:49:05+00:00", "2018-08-15T14:49: 5+00:00"]
    for _ in range(3000):
        moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(0, 80 * 365 * 86400))
        text = moment.isoformat()
        position = rng.randrange(0, 19)
        values += [text, text[:position] + rng.choice("0123456789:-T x") + text[position + 1:]]
    for value in values:
        assert normalize_date(value) == _normalize_text.__wrapped__(value), value


def test_given_rfc_2822_dates_in_utc_then_the_rearranged_digits_agree_with_reading_and_writing_the_date():
    import random
    from email.utils import format_datetime

    from source_bigcommerce.dates import format_date, _normalize_text, parse_date

    rng = random.Random(7)
    values = ["Tue, 31 Feb 2012 00:00:00 +0000", "Tue, 20 Nov 2012 24:00:00 +0000", "Tue, 20 Nov 2012 00:00:00 -0000",
              "Tue, 1 Nov 2012 00:00:00 +0000", "Tue, 20 Foo 2012 00:00:00 +0000", "Tue, 20 Nov 0000 00:00:00 +0000",
              "Tue, 20 Nov 2012 23:60:00 +0000", "Tue, 20 Nov 2012 00:00:60 +0000", "tue, 20 Nov 2012 00:00:00 +0000",
              "TUE, 20 Nov 2012 00:00:00 +0000", "Tue; 20 Nov 2012 00:00:00 +0000", "Tue, 20 Nov 2012 00-00:00 +0000",
              "Tue, 20 Nov 2012 -1:00:00 +0000", "Tue, 2٩ Nov 2012 00:00:00 +0000", "Tue, 20 Nov 2012 0٩:00:00 +0000",
              "Tue, 29 Feb 2012 00:00:00 +0000", "Tue, 29 Feb 2013 00:00:00 +0000", "Tue, 20 Nov 0001 00:00:00 +0000",
              "Tue, 20 Nov 2012 00:00:00 +0000 ", "Tue, 20 Nov 2012 00:00:00 +0100"]
    for _ in range(3000):
        moment = datetime(1990, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(0, 50 * 365 * 86400))
        values.append(format_datetime(moment))
    for value in values:
        try:
            expected = format_date(parse_date(value))
        except ValueError:
            expected = value
        assert _normalize_text.__wrapped__(value) == expected, value
        # the direct reading of v2's own shape (by position, a day looked up once) gives the same
        assert normalize_date(value) == expected, value
        try:
            read = parse_date.__wrapped__(value)
        except ValueError:
            read = None
        assert (format_date(read) if read else value) == expected, value
