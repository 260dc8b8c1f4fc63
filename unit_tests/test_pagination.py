from datetime import datetime, timedelta, timezone

import pytest

from source_bigcommerce.dates import format_date, parse_date
from source_bigcommerce.pagination import (
    MissingCursorError, PAGE_LIMIT, V2_ORDERS, V3_CATALOG, CursorPaginator, DateKeysetPaginator, Page, PageNumberPaginator,
    RepeatedPageError,
)

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
END = datetime(2024, 6, 1, tzinfo=timezone.utc)


def at(seconds):
    return format_date(T0 + timedelta(seconds=seconds))


def orders(*pairs):
    return [{"id": i, "date_modified": at(s)} for i, s in pairs]


def keyset(spelling=V2_ORDERS):
    return DateKeysetPaginator(spelling, T0, END, lambda r: parse_date(r["date_modified"]))


def as_sent(query):  # what the paginator sees back: the query string's values are text
    return {k: str(v) for k, v in query.items()}


@pytest.mark.parametrize(
    "page, expected_next",
    [
        (Page([{"id": 1}] * PAGE_LIMIT, more=True), {"limit": str(PAGE_LIMIT), "page": 2}),
        (Page([{"id": 1}] * 3, more=False), None),  # the page said it was last: no request past it
        (Page([], more=True), None),  # an empty page ends paging even if meta disagrees
    ],
)
def test_page_number_paginator(page, expected_next):
    records, following = PageNumberPaginator().advance(as_sent(PageNumberPaginator().first()), page)
    assert records == page.records
    assert following == expected_next


def test_page_number_paginator_keeps_fixed_params():
    paginator = PageNumberPaginator(include="body")
    assert paginator.first() == {"include": "body", "limit": PAGE_LIMIT, "page": 1}
    _, following = paginator.advance(as_sent(paginator.first()), Page([{"id": 1}], more=True))
    assert following == {"include": "body", "limit": "250", "page": 2}


@pytest.mark.parametrize(
    "page, expected_next",
    [
        (Page([{"id": 1}], more=True, end_cursor="abc"), {"limit": PAGE_LIMIT, "sort": "x", "after": "abc"}),
        (Page([{"id": 1}], more=False, end_cursor="abc"), None),
        (Page([], more=True, end_cursor=None), None),
    ],
)
def test_cursor_paginator(page, expected_next):
    paginator = CursorPaginator(sort="x")
    assert paginator.advance(paginator.first(), page)[1] == expected_next


def test_given_more_pages_but_no_cursor_when_advanced_then_raises_instead_of_stopping_short():
    with pytest.raises(MissingCursorError):
        CursorPaginator().advance({"limit": "250"}, Page([{"id": 1}], more=True, end_cursor=None))


def test_given_cursor_repeats_when_advanced_then_raises_instead_of_looping():
    with pytest.raises(RepeatedPageError):
        CursorPaginator().advance({"limit": "250", "after": "abc"}, Page([{"id": 1}], more=True, end_cursor="abc"))


def test_given_short_page_when_keyset_advanced_then_all_emitted_and_done():
    paginator = keyset()
    page = Page(orders((1, 0), (2, 5)), more=False)
    assert paginator.advance(as_sent(paginator.first()), page) == (page.records, None)


def test_given_full_page_when_keyset_advanced_then_trailing_tie_held_back_and_reread_from_its_second():
    paginator = keyset()
    records = orders(*[(i, i) for i in range(1, PAGE_LIMIT - 1)], (900, 500), (901, 500))
    emitted, following = paginator.advance(as_sent(paginator.first()), Page(records, more=True))
    assert emitted == records[:-2]
    assert following == {"limit": PAGE_LIMIT, "min_date_modified": at(500), "max_date_modified": format_date(END), "sort": "date_modified:asc"}


def test_given_page_of_one_second_when_keyset_advanced_then_that_second_read_by_id():
    paginator = keyset(V3_CATALOG)
    records = orders(*[(i, 7) for i in range(PAGE_LIMIT, 0, -1)])  # ties in no fixed order
    emitted, following = paginator.advance(as_sent(paginator.first()), Page(records, more=True))
    assert emitted == []
    assert following == {"limit": PAGE_LIMIT, "date_modified:min": at(7), "date_modified:max": at(7), "id:greater": 0,
                         "sort": "id", "direction": "asc"}
    # inside the tie: by id, then on past the second once the tie is exhausted
    emitted, following = paginator.advance(as_sent(following), Page(orders(*[(i, 7) for i in range(1, PAGE_LIMIT + 1)]), more=True))
    assert len(emitted) == PAGE_LIMIT and following["id:greater"] == PAGE_LIMIT
    emitted, following = paginator.advance(as_sent(following), Page(orders((PAGE_LIMIT + 1, 7)), more=False))
    assert [r["id"] for r in emitted] == [PAGE_LIMIT + 1]
    assert following["date_modified:min"] == at(8) and following["sort"] == "date_modified"


def test_given_v2_tie_when_paged_by_id_then_min_id_is_inclusive_next_id():
    paginator = keyset(V2_ORDERS)
    records = orders(*[(i, 7) for i in range(1, PAGE_LIMIT + 1)])
    _, following = paginator.advance(as_sent(paginator.first()), Page(records, more=True))
    _, following = paginator.advance(as_sent(following), Page(records, more=True))
    assert following["min_id"] == PAGE_LIMIT + 1 and following["sort"] == "id:asc"


def test_given_tie_at_window_end_when_exhausted_then_done():
    paginator = DateKeysetPaginator(V2_ORDERS, T0, T0 + timedelta(seconds=7), lambda r: parse_date(r["date_modified"]))
    tie = paginator._tie(T0 + timedelta(seconds=7), 0)
    assert paginator.advance(as_sent(tie), Page(orders((1, 7)), more=False)) == (orders((1, 7)), None)
