"""The local BigCommerce store, exercised over real HTTP with `requests`.

Each test states one behaviour of the real API (or of the failures the local store injects) and checks the
the local store shows it. The expected records come from the store's canonical data, filtered in the test with
parsed datetimes, so a test never trusts the server's own filtering to compute its expectation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from local_store import LocalStoreOptions, LocalStore

UTC = timezone.utc
TOKEN = "local-token"
AUTH = {"X-Auth-Token": TOKEN}
RATE_HEADERS = ("X-Rate-Limit-Requests-Left", "X-Rate-Limit-Requests-Quota", "X-Rate-Limit-Time-Reset-Ms", "X-Rate-Limit-Time-Window-Ms")
REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(60)


# ------------------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def store():
    """One shared read-only store; tests that change data or options make their own."""
    with LocalStore(scale=0.2) as shared:
        yield shared


@pytest.fixture
def make_store():
    started = []

    def make(**options) -> LocalStore:
        local_store = LocalStore(LocalStoreOptions(scale=0.2), **options)
        local_store.start()
        started.append(local_store)
        return local_store

    yield make
    for local_store in started:
        local_store.stop()


def get(store: LocalStore, path: str, params=None, token: str | None = TOKEN, store_hash: str = "localstore", session=None):
    headers = {"X-Auth-Token": token} if token is not None else {}
    return (session or requests).get(f"{store.base_url}/stores/{store_hash}{path}", params=params, headers=headers, timeout=10)


def ids(response) -> list:
    body = response.json()
    return [r["id"] for r in (body["data"] if isinstance(body, dict) else body)]


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def canonical(store: LocalStore, stream: str) -> list:
    return list(store.data.records[stream].values())


def rfc2822(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S +0000")


def busiest_date_modified(store: LocalStore, stream: str) -> datetime:
    """The bulk import: the date_modified shared by the most records."""
    counts: dict = {}
    for record in canonical(store, stream):
        counts[record["date_modified"]] = counts.get(record["date_modified"], 0) + 1
    return moment(max(counts, key=counts.get))


def read_all_v2(store, path, params):
    seen, page = [], 1
    while True:
        response = get(store, path, {**params, "page": page, "limit": 250})
        if response.status_code == 204:
            return seen
        seen += ids(response)
        page += 1


# ------------------------------------------------------------------------------------------ v2 paging


def test_given_no_paging_params_when_listing_v2_orders_then_first_50_in_id_order(store):
    response = get(store, "/v2/orders")
    assert response.status_code == 200
    assert isinstance(response.json(), list)
    assert ids(response) == sorted(store.data.records["orders"])[:50]


def test_given_v2_pages_when_read_to_the_end_then_every_order_once_and_204_with_empty_body_after(store):
    seen, page = [], 1
    while True:
        response = get(store, "/v2/orders", {"page": page, "limit": 100})
        if response.status_code == 204:
            break
        assert response.status_code == 200
        seen += ids(response)
        page += 1
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert page == 1 + -(-len(store.data.records["orders"]) // 100)
    assert seen == sorted(store.data.records["orders"])


@pytest.mark.parametrize("path", ["/v2/orders", "/v3/catalog/products", "/v3/customers"])
def test_given_limit_above_250_when_listing_then_413(store, path):
    assert get(store, path, {"limit": 251}).status_code == 413
    assert get(store, path, {"limit": 250}).status_code == 200


def test_given_bad_paging_values_then_v2_answers_400_and_v3_422(store):
    v2 = get(store, "/v2/orders", {"page": "zero"})
    assert v2.status_code == 400 and v2.json()[0]["status"] == 400 and v2.json()[0]["message"]
    assert get(store, "/v3/catalog/brands", {"limit": 0}).status_code == 422


def test_given_order_products_when_paged_past_the_end_then_204(store):
    order_id = next(o for o in store.data.records["orders"] if len(store.children("order_products", o)) >= 2)
    expected = [line["id"] for line in store.children("order_products", order_id)]
    first = get(store, f"/v2/orders/{order_id}/products", {"limit": 1})
    assert ids(first) == expected[:1] and first.json()[0]["order_id"] == order_id
    assert ids(get(store, f"/v2/orders/{order_id}/products")) == expected
    assert get(store, f"/v2/orders/{order_id}/products", {"page": 2}).status_code == 204
    assert get(store, "/v2/orders/999999/products").status_code == 404


# ------------------------------------------------------------------------------------------ v3 paging


def test_given_v3_pages_then_meta_pagination_counts_and_relative_links(store):
    total = len(store.data.records["products"])
    per_page = 30
    pages = -(-total // per_page)
    first = get(store, "/v3/catalog/products", {"limit": per_page}).json()
    assert first["meta"]["pagination"] == {
        "total": total,
        "count": per_page,
        "per_page": per_page,
        "current_page": 1,
        "total_pages": pages,
        "links": {"current": f"?page=1&limit={per_page}", "next": f"?page=2&limit={per_page}"},
    }
    last = get(store, "/v3/catalog/products", {"limit": per_page, "page": pages}).json()["meta"]["pagination"]
    assert last["count"] == total - per_page * (pages - 1)
    assert "next" not in last["links"]
    assert last["links"]["previous"] == f"?page={pages - 1}&limit={per_page}"
    beyond = get(store, "/v3/catalog/products", {"limit": per_page, "page": pages + 1})
    assert beyond.status_code == 200 and beyond.json()["data"] == []


def test_given_no_limit_then_v3_pages_hold_50(store):
    assert get(store, "/v3/customers").json()["meta"]["pagination"]["per_page"] == 50


def test_given_filters_then_v3_links_keep_them(store):
    links = get(store, "/v3/catalog/products", {"limit": 5, "is_visible": "true"}).json()["meta"]["pagination"]["links"]
    assert links["next"] == "?is_visible=true&page=2&limit=5"


# ------------------------------------------------------------------------------------------ v2 orders filters and sorts


def test_given_min_and_max_date_modified_then_orders_in_that_inclusive_window_whatever_the_date_format(store):
    bulk = busiest_date_modified(store, "orders")
    low, high = bulk - timedelta(days=400), bulk
    expected = sorted(o["id"] for o in canonical(store, "orders") if low <= moment(o["date_modified"]) <= high)
    as_rfc = read_all_v2(store, "/v2/orders", {"min_date_modified": rfc2822(low), "max_date_modified": rfc2822(high)})
    as_iso = read_all_v2(store, "/v2/orders", {"min_date_modified": low.isoformat(), "max_date_modified": high.isoformat()})
    # Same instant in another offset: compared as datetimes, never as strings.
    as_offset = read_all_v2(store, "/v2/orders", {"min_date_modified": low.astimezone(timezone(timedelta(hours=2))).isoformat(),
                                                  "max_date_modified": high.astimezone(timezone(timedelta(hours=-5))).isoformat()})  # fmt: skip
    assert as_rfc == as_iso == as_offset == expected
    assert any(moment(store.data.records["orders"][i]["date_modified"]) == high for i in expected), "the max bound is inclusive"


def test_given_is_deleted_then_only_archived_or_only_live_orders_and_by_default_both(store):
    archived = sorted(o["id"] for o in canonical(store, "orders") if o["is_deleted"])
    assert archived, "the data has archived orders"
    assert read_all_v2(store, "/v2/orders", {"is_deleted": "true"}) == archived
    assert read_all_v2(store, "/v2/orders", {"is_deleted": "false"}) == sorted(set(store.data.records["orders"]) - set(archived))
    assert set(archived) <= set(read_all_v2(store, "/v2/orders", {}))


def test_given_min_and_max_id_then_orders_between_inclusive(store):
    all_ids = sorted(store.data.records["orders"])
    low, high = all_ids[10], all_ids[20]
    assert read_all_v2(store, "/v2/orders", {"min_id": low, "max_id": high}) == all_ids[10:21]


@pytest.mark.parametrize("param, field", [("status_id", "status_id"), ("customer_id", "customer_id"), ("channel_id", "channel_id")])
def test_given_an_equality_filter_then_only_matching_orders(store, param, field):
    value = canonical(store, "orders")[0][field]
    expected = sorted(o["id"] for o in canonical(store, "orders") if o[field] == value)
    assert read_all_v2(store, "/v2/orders", {param: value}) == expected


def test_given_lenient_mode_and_an_unsupported_param_then_it_is_ignored_as_bigcommerce_does(make_store):
    store = make_store(strict=False)
    plain = get(store, "/v2/orders", {"limit": 30}).json()
    assert get(store, "/v2/orders", {"limit": 30, "colour": "red", "date_modified:min": "2030-01-01"}).json() == plain
    # v3 spelling on v2 is ignored; v2 spelling on v3 is ignored.
    assert ids(get(store, "/v3/catalog/products", {"min_date_modified": "2030-01-01"})) == ids(get(store, "/v3/catalog/products"))


def test_given_sort_by_date_modified_then_dates_in_order_and_ties_in_id_order(store):
    seen = read_all_v2(store, "/v2/orders", {"sort": "date_modified:asc"})
    records = store.data.records["orders"]
    keys = [(moment(records[i]["date_modified"]), i) for i in seen]
    assert keys == sorted(keys)
    descending = read_all_v2(store, "/v2/orders", {"sort": "date_modified:desc"})
    dates = [moment(records[i]["date_modified"]) for i in descending]
    assert dates == sorted(dates, reverse=True)
    assert read_all_v2(store, "/v2/orders", {"sort": "id:desc"}) == sorted(records, reverse=True)


def test_given_an_unknown_sort_then_400(store):
    assert get(store, "/v2/orders", {"sort": "colour:asc"}).status_code == 400
    assert get(store, "/v3/catalog/products", {"sort": "colour"}).status_code == 422


def test_given_a_bad_date_then_the_request_is_refused(store):
    assert get(store, "/v2/orders", {"min_date_modified": "yesterday"}).status_code == 400
    assert get(store, "/v3/catalog/products", {"date_modified:min": "yesterday"}).status_code == 422


def test_given_orders_count_then_count_and_statuses_match_the_filter(store):
    bulk = busiest_date_modified(store, "orders")
    body = get(store, "/v2/orders/count", {"min_date_modified": bulk.isoformat()}).json()
    matching = [o for o in canonical(store, "orders") if moment(o["date_modified"]) >= bulk]
    assert body["count"] == len(matching)
    assert sum(status["count"] for status in body["statuses"]) == len(matching)
    assert {"id", "name", "count"} <= body["statuses"][0].keys()


def test_given_consignment_line_items_included_then_each_order_embeds_its_products(store):
    order = get(store, "/v2/orders", {"limit": 1, "include": "consignments.line_items", "consignment_structure": "object"}).json()[0]
    shaped = order["consignments"]
    groups = [*shaped["shipping"], *shaped["pickups"], *shaped["downloads"], *shaped["email"]["gift_certificates"]]
    lines = [line for group in groups for line in group["line_items"]]
    assert sorted(line["id"] for line in lines) == [line["id"] for line in store.children("order_products", order["id"])]


# ------------------------------------------------------------------------------------------ v3 filters and sorts


def test_given_products_date_window_and_id_filters_then_exactly_the_matching_products(store):
    products = canonical(store, "products")
    bulk = busiest_date_modified(store, "products")
    expected = sorted(p["id"] for p in products if moment(p["date_modified"]) <= bulk)
    got = ids(get(store, "/v3/catalog/products", {"date_modified:max": bulk.isoformat(), "limit": 250}))
    assert got == expected and any(moment(store.data.records["products"][i]["date_modified"]) == bulk for i in got)
    assert ids(get(store, "/v3/catalog/products", {"date_modified:min": bulk.isoformat().replace("+00:00", "Z"), "limit": 250})) == sorted(
        p["id"] for p in products if moment(p["date_modified"]) >= bulk
    )
    all_ids = sorted(p["id"] for p in products)
    pivot = all_ids[5]
    assert ids(get(store, "/v3/catalog/products", {"id:greater": pivot, "limit": 250})) == all_ids[6:]
    assert ids(get(store, "/v3/catalog/products", {"id:min": pivot, "limit": 250})) == all_ids[5:]
    assert ids(get(store, "/v3/catalog/products", {"id:max": pivot, "limit": 250})) == all_ids[:6]
    assert ids(get(store, "/v3/catalog/products", {"id:in": f"{all_ids[1]},{all_ids[3]}"})) == [all_ids[1], all_ids[3]]
    assert ids(get(store, "/v3/catalog/products", {"id:not_in": ",".join(map(str, all_ids[1:])), "limit": 250})) == all_ids[:1]


def test_given_products_sorted_by_date_modified_with_direction_then_in_that_order(store):
    got = ids(get(store, "/v3/catalog/products", {"sort": "date_modified", "direction": "desc", "limit": 250}))
    records = store.data.records["products"]
    dates = [moment(records[i]["date_modified"]) for i in got]
    assert dates == sorted(dates, reverse=True) and len(got) == len(records)
    ascending = ids(get(store, "/v3/catalog/products", {"sort": "date_modified", "direction": "asc", "limit": 250}))
    assert ascending == [i for _, i in sorted((moment(records[i]["date_modified"]), i) for i in records)]


def test_given_product_includes_then_sub_lists_appear_only_when_asked(store):
    bare = get(store, "/v3/catalog/products", {"limit": 1}).json()["data"][0]
    full = get(store, "/v3/catalog/products", {"limit": 1, "include": "variants,images,custom_fields"}).json()["data"][0]
    assert not {"variants", "images", "custom_fields"} & bare.keys()
    assert {"variants", "images", "custom_fields"} <= full.keys()
    assert get(store, "/v3/catalog/products", {"include": "options"}).json()["meta"]["pagination"]["per_page"] == 10


def test_given_a_date_only_date_modified_min_then_the_request_time_is_appended(make_store):
    local_store = make_store()
    product_id = next(iter(local_store.data.records["products"]))
    local_store.touch("products", product_id)  # date_modified = now (whole seconds)
    time.sleep(1.1)
    today = datetime.now(UTC).date().isoformat()
    midnight = get(local_store, "/v3/catalog/products", {"date_modified:min": f"{today}T00:00:00"})
    date_only = get(local_store, "/v3/catalog/products", {"date_modified:min": today})
    if datetime.now(UTC).date().isoformat() != today:
        pytest.skip("ran across midnight UTC")
    assert ids(midnight) == [product_id]
    assert ids(date_only) == [], "a bare date means 'today at the time of the request', so the earlier edit is missed"


def test_given_customer_filters_and_includes_then_matching_customers_with_the_asked_sub_lists(store):
    customers = canonical(store, "customers")
    bulk = busiest_date_modified(store, "customers")
    body = get(store, "/v3/customers", {"date_modified:min": bulk.isoformat(), "date_modified:max": bulk.isoformat(), "limit": 250}).json()
    assert [c["id"] for c in body["data"]] == sorted(c["id"] for c in customers if moment(c["date_modified"]) == bulk)
    chosen = customers[3]
    assert ids(get(store, "/v3/customers", {"id:in": f"{chosen['id']}"})) == [chosen["id"]]
    assert chosen["id"] in ids(get(store, "/v3/customers", {"email:in": chosen["email"].upper()}))
    assert chosen["id"] in ids(get(store, "/v3/customers", {"name:like": chosen["last_name"][1:4], "limit": 250}))
    bare = get(store, "/v3/customers", {"limit": 1}).json()["data"][0]
    with_addresses = get(store, "/v3/customers", {"limit": 1, "include": "addresses"}).json()["data"][0]
    assert "addresses" not in bare and "addresses" in with_addresses and "store_credit_amounts" not in with_addresses


def test_given_customers_sorted_by_last_name_desc_then_in_that_order(store):
    got = ids(get(store, "/v3/customers", {"sort": "last_name:desc", "limit": 250}))
    names = [store.data.records["customers"][i]["last_name"].casefold() for i in got]
    assert names == sorted(names, reverse=True)


def test_given_brand_filters_and_name_sort_then_matching_brands_in_order(store):
    brands = canonical(store, "brands")
    got = ids(get(store, "/v3/catalog/brands", {"sort": "name", "direction": "desc"}))
    assert [store.data.records["brands"][i]["name"].casefold() for i in got] == sorted((b["name"].casefold() for b in brands), reverse=True)
    pivot = sorted(b["id"] for b in brands)[2]
    assert ids(get(store, "/v3/catalog/brands", {"id:greater": pivot})) == sorted(b["id"] for b in brands if b["id"] > pivot)
    needle = brands[0]["name"][:3].lower()
    assert ids(get(store, "/v3/catalog/brands", {"name:like": needle})) == sorted(b["id"] for b in brands if needle in b["name"].casefold())


def test_given_strict_mode_and_a_param_the_route_does_not_model_then_400_naming_it(store):
    answer = get(store, "/v2/orders", {"limit": 30, "date_modified:min": "2030-01-01"})
    assert answer.status_code == 400 and "date_modified:min" in answer.json()["title"]
    assert get(store, "/v3/catalog/variants", {"id:greater": 5}).status_code == 400, "variants have no id keyset"
    assert get(store, "/v3/catalog/brands", {"id:greater": 5}).status_code == 200


def test_given_categories_then_sort_is_ascending_only_and_direction_is_ignored(make_store):
    store = make_store(strict=False)  # `direction` is not a categories parameter: BigCommerce ignores it
    by_name = ids(get(store, "/v3/catalog/categories", {"sort": "name"}))
    records = store.data.records["categories"]
    assert [records[i]["name"].casefold() for i in by_name] == sorted(r["name"].casefold() for r in records.values())
    assert ids(get(store, "/v3/catalog/categories", {"sort": "name", "direction": "desc"})) == by_name
    parent = next(r["parent_id"] for r in records.values() if r["parent_id"])
    assert ids(get(store, "/v3/catalog/categories", {"parent_id": parent})) == sorted(i for i, r in records.items() if r["parent_id"] == parent)


def test_given_channels_then_date_and_status_filters_apply_and_sort_is_ignored(make_store):
    store = make_store(strict=False)  # channels take no `sort`: BigCommerce ignores it
    channels = canonical(store, "channels")
    assert ids(get(store, "/v3/channels"))[0] == 1, "the default storefront is always there"
    assert ids(get(store, "/v3/channels", {"sort": "name:desc"})) == sorted(c["id"] for c in channels)
    newest = max(moment(c["date_modified"]) for c in channels)
    assert ids(get(store, "/v3/channels", {"date_modified:min": newest.isoformat()})) == [c["id"] for c in channels if moment(c["date_modified"]) == newest]
    status = channels[0]["status"]
    assert ids(get(store, "/v3/channels", {"status:in": status})) == [c["id"] for c in channels if c["status"] == status]


def test_given_pages_then_channel_and_id_filters_apply_and_body_only_when_included(store):
    pages = canonical(store, "pages")
    first = pages[0]
    assert ids(get(store, "/v3/content/pages", {"id:in": first["id"]})) == [first["id"]]
    assert ids(get(store, "/v3/content/pages", {"channel_id": first["channel_id"]})) == [p["id"] for p in pages if p["channel_id"] == first["channel_id"]]
    assert "body" not in get(store, "/v3/content/pages").json()["data"][0]
    assert "body" in get(store, "/v3/content/pages", {"include": "body"}).json()["data"][0]


def test_given_order_transactions_then_envelope_or_204_when_none_and_404_for_unknown_orders(store):
    with_some = next(o for o in store.data.records["orders"] if store.children("transactions", o))
    without = next(o for o in store.data.records["orders"] if not store.children("transactions", o))
    body = get(store, f"/v3/orders/{with_some}/transactions").json()
    assert [t["id"] for t in body["data"]] == [t["id"] for t in store.children("transactions", with_some)]
    assert body["meta"]["pagination"]["total"] == len(body["data"])
    none = get(store, f"/v3/orders/{without}/transactions")
    assert none.status_code == 204 and none.content == b""
    assert get(store, "/v3/orders/999999/transactions").status_code == 404


def test_given_time_and_store_then_the_cheap_auth_check_and_the_store_object(store):
    now = time.time()
    assert abs(get(store, "/v2/time").json()["time"] - now) < 5
    assert get(store, "/v2/store").json()["id"] == "localstore"


# ------------------------------------------------------------------------------------------ customers cursor


def read_by_cursor(store, params, between_pages=lambda page_number: None):
    """Follow `end_cursor` until `links.next` is gone; -> (ids in order, the metas)."""
    response = get(store, "/v3/customers", params).json()
    seen, metas, page_number = [c["id"] for c in response["data"]], [response["meta"]], 1
    while "next" in response["meta"]["cursor_pagination"]["links"]:
        between_pages(page_number)
        after = response["meta"]["cursor_pagination"]["end_cursor"]
        response = get(store, "/v3/customers", {**params, "after": after}).json()
        seen += [c["id"] for c in response["data"]]
        metas.append(response["meta"])
        page_number += 1
    return seen, metas


def test_given_cursor_paging_then_every_customer_exactly_once_in_sort_order(store):
    seen, metas = read_by_cursor(store, {"sort": "date_modified:asc", "limit": 25})
    records = store.data.records["customers"]
    assert seen == [i for _, i in sorted((moment(records[i]["date_modified"]), i) for i in records)]
    assert {"pagination", "cursor_pagination"} <= metas[0].keys(), "the first page carries both"
    assert all(meta.keys() == {"cursor_pagination"} for meta in metas[1:])
    cursor = metas[1]["cursor_pagination"]
    assert {"count", "per_page", "start_cursor", "end_cursor", "links"} <= cursor.keys() and cursor["per_page"] == 25


def test_given_a_customer_changes_between_pages_then_cursor_paging_skips_nobody_but_page_numbers_do(make_store):
    params = {"sort": "date_modified:asc", "limit": 20}

    def edit_one_already_read(local_store, first_page_ids):
        return lambda page_number: local_store.touch("customers", first_page_ids[0]) if page_number == 1 else None

    by_cursor = make_store()
    first_page = ids(get(by_cursor, "/v3/customers", params))
    seen, _ = read_by_cursor(by_cursor, params, edit_one_already_read(by_cursor, first_page))
    assert set(seen) == set(by_cursor.data.records["customers"]), "nobody skipped"
    assert seen.count(first_page[0]) == 2, "the edited customer comes again, at its new place"

    by_page = make_store()
    first_page = ids(get(by_page, "/v3/customers", params))
    by_page.touch("customers", first_page[0])  # every later customer shifts one place forward
    seen_by_page, page = list(first_page), 2
    while True:
        chunk = ids(get(by_page, "/v3/customers", {**params, "page": page}))
        if not chunk:
            break
        seen_by_page += chunk
        page += 1
    assert set(by_page.data.records["customers"]) - set(seen_by_page), "page-number paging over a moving sort skips a record"


def test_given_shuffled_ties_then_cursor_paging_still_reads_every_customer_once(make_store):
    local_store = make_store(shuffle_ties=True)
    seen, _ = read_by_cursor(local_store, {"sort": "date_modified:asc", "limit": 10})
    assert sorted(seen) == sorted(local_store.data.records["customers"])


def test_given_before_cursor_then_the_previous_page(store):
    params = {"sort": "date_modified:desc", "limit": 15}
    first = get(store, "/v3/customers", params).json()
    second = get(store, "/v3/customers", {**params, "after": first["meta"]["cursor_pagination"]["end_cursor"]}).json()
    back = get(store, "/v3/customers", {**params, "before": second["meta"]["cursor_pagination"]["start_cursor"]}).json()
    assert [c["id"] for c in back["data"]] == [c["id"] for c in first["data"]]
    assert "previous" not in back["meta"]["cursor_pagination"]["links"] and "next" in back["meta"]["cursor_pagination"]["links"]


def test_given_a_bad_cursor_then_422(store):
    assert get(store, "/v3/customers", {"after": "not-a-cursor"}).status_code == 422


# ------------------------------------------------------------------------------------------ auth


def test_given_no_or_an_unknown_token_then_401_with_a_title(store):
    for token in (None, "wrong-token"):
        response = get(store, "/v2/time", token=token)
        assert response.status_code == 401
        assert response.json()["status"] == 401 and response.json()["title"]


def test_given_an_unknown_store_hash_then_404(store):
    assert get(store, "/v2/time", store_hash="nope").status_code == 404


def test_given_a_token_without_the_scope_then_403_and_with_it_200(make_store):
    local_store = make_store(tokens={"orders-only": frozenset({"store_v2_orders_read_only"}), "orders-modify": frozenset({"store_v2_orders"})})
    assert get(local_store, "/v2/orders", token="orders-only").status_code == 200
    assert get(local_store, "/v2/orders", token="orders-modify").status_code == 200, "a modify scope also reads"
    forbidden = get(local_store, "/v3/customers", token="orders-only")
    assert forbidden.status_code == 403 and "store_v2_customers" in forbidden.json()["title"]
    oid = next(iter(local_store.data.records["orders"]))
    assert get(local_store, f"/v3/orders/{oid}/transactions", token="orders-only").status_code == 403
    assert get(local_store, "/v2/time", token="orders-only").status_code == 200


# ------------------------------------------------------------------------------------------ rate limit


@pytest.mark.parametrize("path, token, store_hash", [("/v2/time", TOKEN, "localstore"), ("/v2/time", None, "localstore"), ("/v2/time", TOKEN, "nope"), ("/v2/orders?page=99", TOKEN, "localstore")])
def test_given_any_answer_then_it_carries_the_four_rate_limit_headers(store, path, token, store_hash):
    response = get(store, path, token=token, store_hash=store_hash)
    assert all(name in response.headers for name in RATE_HEADERS)
    assert "x-rate-limit-requests-left" in response.headers, "header names are case-insensitive"


def test_given_a_quota_when_exceeded_then_429_with_headers_until_the_window_resets(make_store):
    local_store = make_store(quota=5, quota_window_ms=1000)
    local_store.reset_stats()  # also opens a fresh window, so all six requests fall in one
    lefts = [int(get(local_store, "/v2/time").headers["X-Rate-Limit-Requests-Left"]) for _ in range(5)]
    limited = get(local_store, "/v2/time")
    assert limited.status_code == 429
    assert lefts == [4, 3, 2, 1, 0]
    assert limited.headers["X-Rate-Limit-Requests-Left"] == "0" and limited.headers["X-Rate-Limit-Requests-Quota"] == "5"
    assert limited.headers["X-Rate-Limit-Time-Window-Ms"] == "1000"
    reset_ms = int(limited.headers["X-Rate-Limit-Time-Reset-Ms"])
    assert 0 < reset_ms <= 1000
    time.sleep(reset_ms / 1000 + 0.05)
    assert get(local_store, "/v2/time").status_code == 200
    assert local_store.stats()["rate_limited"] == 1


# ------------------------------------------------------------------------------------------ faults


def test_given_5xx_faults_then_500_502_or_503_with_a_json_title(make_store):
    local_store = make_store(fault_5xx=1.0)
    statuses = set()
    for _ in range(12):
        response = get(local_store, "/v2/orders")
        statuses.add(response.status_code)
        assert response.json()["title"]
    assert statuses <= {500, 502, 503} and len(statuses) > 1
    assert local_store.stats()["faults"] == 12


def test_given_dropped_connections_then_the_client_sees_a_connection_error(make_store):
    local_store = make_store(fault_drop=1.0)
    for _ in range(6):
        # Cut after the headers or mid-body: `requests` reports the short read (IncompleteRead).
        with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            get(local_store, "/v2/orders")
    assert {entry.get("fault") for entry in local_store.request_log()} == {"drop"}


def test_given_truncated_bodies_then_a_complete_200_whose_json_does_not_parse(make_store):
    local_store = make_store(fault_truncate=1.0)
    response = get(local_store, "/v3/catalog/products")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_given_faults_then_admin_endpoints_are_spared(make_store):
    local_store = make_store(fault_5xx=1.0, suspended=True)
    assert requests.get(f"{local_store.base_url}/__local_store/stats", timeout=5).status_code == 200


# ------------------------------------------------------------------------------------------ latency, connections


def test_given_latency_then_parallel_requests_are_served_concurrently(make_store):
    local_store = make_store(latency_ms=200)

    def one(_):
        return get(local_store, "/v2/time").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(one, range(8))) == [200] * 8
    # Counted by the server, not timed: a busy machine must not fail it.
    assert local_store.stats()["peak_concurrency"] >= 6, "the sleeps overlapped: requests were not serialised"


def test_given_a_session_then_one_kept_alive_connection_serves_every_request(store):
    with requests.Session() as session:
        for path in ("/v2/time", "/v2/orders", "/v2/orders?page=99", "/v3/catalog/brands", "/v3/customers?limit=251"):
            get(store, path.split("?")[0], dict(p.split("=") for p in path.split("?")[1:]), session=session)
        pools = session.get_adapter(store.base_url).poolmanager.pools
        assert sum(pools[key].num_connections for key in pools.keys()) == 1


# ------------------------------------------------------------------------------------------ change injection, ties, suspension


def test_given_change_every_then_records_change_and_every_third_change_is_a_new_order(make_store):
    local_store = make_store(change_every=2)
    orders_before = len(local_store.data.records["orders"])
    truth_before = local_store.ground_truth()
    for _ in range(12):
        assert get(local_store, "/v2/time").status_code == 200
    assert local_store.stats()["changes"] == 6
    assert len(local_store.data.records["orders"]) == orders_before + 2
    truth_after = local_store.ground_truth()
    changed = [(s, k) for s in ("orders", "customers", "products") for k in truth_before[s] if truth_before[s][k] != truth_after[s][k]]
    assert changed, "existing records were edited"


def test_given_shuffle_ties_then_equal_sort_keys_come_back_in_varying_order(make_store):
    params = {"sort": "date_modified:asc", "limit": 250}
    steady = make_store()
    assert read_all_v2(steady, "/v2/orders", params) == read_all_v2(steady, "/v2/orders", params)
    shuffled = make_store(shuffle_ties=True)
    runs = [read_all_v2(shuffled, "/v2/orders", params) for _ in range(3)]
    records = shuffled.data.records["orders"]
    for run in runs:
        dates = [moment(records[i]["date_modified"]) for i in run]
        assert dates == sorted(dates) and sorted(run) == sorted(records)
    assert len({tuple(run) for run in runs}) > 1


def test_given_a_suspended_store_then_503_until_it_is_resumed(make_store):
    local_store = make_store(suspended=True)
    response = get(local_store, "/v2/orders")
    assert response.status_code == 503 and response.json()["title"]
    local_store.options.suspended = False
    assert get(local_store, "/v2/orders").status_code == 200


# ------------------------------------------------------------------------------------------ stats, log, admin


def test_given_requests_then_stats_and_log_describe_them(make_store):
    local_store = make_store()
    oid = next(iter(local_store.data.records["orders"]))
    get(local_store, f"/v2/orders/{oid}/products")
    get(local_store, "/v2/orders", {"page": 99})
    get(local_store, "/v2/orders", token=None)
    stats = local_store.stats()
    assert stats["requests"] == 3
    assert stats["by_route"] == {"GET /v2/orders/{id}/products 200": 1, "GET /v2/orders 204": 1, "GET /v2/orders 401": 1}
    assert stats["by_status"] == {200: 1, 204: 1, 401: 1}
    assert stats["peak_concurrency"] == 1 and stats["faults"] == 0 and stats["changes"] == 0
    log = local_store.request_log()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", f"/stores/localstore/v2/orders/{oid}/products", 200),
        ("GET", "/stores/localstore/v2/orders", 204),
        ("GET", "/stores/localstore/v2/orders", 401),
    ]
    assert log[1]["query"] == {"page": "99"} and log[0]["t"] <= log[2]["t"]
    local_store.reset_stats()
    assert local_store.stats()["requests"] == 0 and local_store.request_log() == []


def test_given_admin_endpoints_then_stats_log_truth_touch_add_and_reset_work_over_http(make_store):
    local_store = make_store()
    admin = f"{local_store.base_url}/__local_store"
    get(local_store, "/v2/time")
    assert requests.get(f"{admin}/stats", timeout=5).json()["requests"] == 1
    assert [e["path"] for e in requests.get(f"{admin}/log", timeout=5).json()] == ["/stores/localstore/v2/time"]
    truth = requests.get(f"{admin}/ground_truth", timeout=5).json()
    assert {r["id"] for r in truth["orders"]} == set(local_store.data.records["orders"])
    assert truth["orders"][0]["products"]["url"].startswith(local_store.base_url), "links as they were served"
    oid = truth["orders"][0]["id"]
    touched = requests.post(f"{admin}/touch", params={"stream": "orders", "id": oid}, timeout=5).json()
    assert moment(touched["date_modified"]) > moment(truth["orders"][0]["date_modified"])
    added = requests.post(f"{admin}/add", params={"stream": "orders"}, timeout=5).json()
    assert added["id"] in local_store.data.records["orders"]
    assert requests.post(f"{admin}/touch", params={"stream": "orders", "id": 999999}, timeout=5).status_code == 404
    assert requests.post(f"{admin}/reset", timeout=5).status_code == 200
    stats = requests.get(f"{admin}/stats", timeout=5).json()
    assert stats["requests"] == 0, "admin requests are not counted"


# ------------------------------------------------------------------------------------------ CLI


def test_given_the_cli_then_it_prints_one_url_line_and_serves_until_terminated():
    process = subprocess.Popen(
        [sys.executable, "-m", "local_store", "--port", "0", "--seed", "1", "--scale", "0.2", "--latency-ms", "5", "--quota", "150"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line), line
        response = requests.get(f"{line}/stores/localstore/v2/time", headers=AUTH, timeout=10)
        assert response.status_code == 200 and response.headers["X-Rate-Limit-Requests-Quota"] == "150"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out == "", "only the URL line goes to stdout"


def test_broken_route_always_answers_its_status_and_others_are_served():
    with LocalStore(scale=0.05, broken_routes={"/v3/catalog/categories": 500}) as store:
        headers = {"X-Auth-Token": "local-token"}
        broken = [requests.get(f"{store.base_url}/stores/localstore/v3/catalog/categories", headers=headers).status_code for _ in range(3)]
        fine = requests.get(f"{store.base_url}/stores/localstore/v3/catalog/brands", headers=headers).status_code
    assert broken == [500, 500, 500] and fine == 200


def test_given_another_app_and_a_window_partly_spent_then_the_headers_show_what_is_left(make_store):
    store = make_store(quota=10, quota_window_ms=60_000, other_app_share=0.5, initially_spent=7)
    left = [int(get(store, "/v2/time").headers["X-Rate-Limit-Requests-Left"]) for _ in range(3)]
    assert left == [2, 1, 0], "7 of 10 spent before the sync: three requests left in this window"
    assert get(store, "/v2/time").status_code == 429
