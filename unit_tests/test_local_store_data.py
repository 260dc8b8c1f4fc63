"""The local store's data model: deterministic, shaped like BigCommerce, traps included, schemas honest."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, FormatChecker

from local_store.data import BASE_COUNTS, INCLUDES, PRIMARY_KEYS, STREAMS, V2_DATES, StoreData, cents, iso

SCHEMAS = Path(__file__).parent.parent / "source_bigcommerce" / "schemas"
CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
# Anything a human would call a date: ISO-ish, RFC 2822, or a bare day.
DATE_LIKE = re.compile(r"^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?|[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} .*)$")
NOW = datetime(2026, 11, 28, 12, 30, 45, 123456, tzinfo=timezone.utc)
NOW_ISO = "2026-11-28T12:30:45+00:00"


@pytest.fixture(scope="module")
def store() -> StoreData:
    return StoreData(seed=1, scale=1)


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    return {stream: json.loads((SCHEMAS / f"{stream}.json").read_text()) for stream in STREAMS}


def fresh() -> StoreData:
    return StoreData(seed=7, scale=0.1)


# ---- determinism and scale

def test_given_same_seed_when_built_twice_then_identical_and_other_seed_differs():
    assert StoreData(3, 0.2).ground_truth() == StoreData(3, 0.2).ground_truth()
    assert StoreData(3, 0.2).ground_truth() != StoreData(4, 0.2).ground_truth()


def test_given_scale_one_then_contract_counts(store):
    counts = {stream: len(store.records[stream]) for stream in STREAMS}
    assert {s: counts[s] for s in BASE_COUNTS} == BASE_COUNTS
    assert counts["channels"] == 3 and counts["store"] == 1
    assert 1 in store.records["channels"] and store.records["channels"][1]["type"] == "storefront"
    assert "localstore" in store.records["store"]
    for oid in store.records["orders"]:
        assert 1 <= len(store.children_of("order_products", oid)) <= 5
        assert 0 <= len(store.children_of("transactions", oid)) <= 3
    assert sum(len(store.children_of("order_products", o)) for o in store.records["orders"]) == \
        counts["order_products"]


@pytest.mark.parametrize("scale", [0.001, 0.5, 2])
def test_given_scale_then_counts_linear_with_at_least_one(scale):
    data = StoreData(1, scale)
    for stream, base in BASE_COUNTS.items():
        assert len(data.records[stream]) == max(1, round(base * scale))
    assert len(data.records["channels"]) == 3 and len(data.records["store"]) == 1


def test_records_are_in_id_order_with_increasing_ids(store):
    for stream in STREAMS[:-1]:
        ids = list(store.records[stream])
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert all(store.records[stream][i]["id"] == i for i in ids)
    assert list(store.records["orders"])[0] == 100  # BigCommerce's first order id


# ---- traps

@pytest.mark.parametrize("stream", ["orders", "customers", "products"])
def test_given_scale_one_then_300_plus_records_share_one_date_modified(store, stream):
    (_, ties), = Counter(r["date_modified"] for r in store.records[stream].values()).most_common(1)
    assert ties >= 300


@pytest.mark.parametrize("stream", ["orders", "customers", "products"])
def test_a_good_share_of_records_is_older_than_2020(store, stream):
    old = [r for r in store.records[stream].values() if r["date_modified"] < "2020-01-01"]
    assert len(old) >= 0.15 * len(store.records[stream])


def test_orders_carry_unshipped_deleted_and_unicode(store):
    orders = list(store.records["orders"].values())
    assert any(o["date_shipped"] is None for o in orders)
    assert any(o["date_shipped"] is not None for o in orders)
    assert 1 <= sum(o["is_deleted"] for o in orders) < 50
    assert any(o["cart_id"] is None for o in orders)  # nulls
    text = json.dumps({name: list(table.values()) for name, table in store.ground_truth().items()}, ensure_ascii=False)
    for sample in ("Zoë", "佐藤", "🎁", "☕", "東京都", "Ольга"):
        assert sample in text


def test_money_adds_up_in_cents(store):
    for order in list(store.records["orders"].values())[:300]:
        lines = store.children_of("order_products", order["id"])
        assert cents(order["subtotal_ex_tax"]) == sum(cents(line["total_ex_tax"]) for line in lines)
        assert cents(order["total_inc_tax"]) == cents(order["total_ex_tax"]) + cents(order["total_tax"])
        assert re.fullmatch(r"\d+\.\d{4}", order["total_inc_tax"])
    assert all(isinstance(t["amount"], float) for t in store.records["transactions"].values())


# ---- schemas

def date_time_checker() -> FormatChecker:
    """rfc3339-validator is not installed, so FormatChecker would skip date-time: check it ourselves,
    strictly in the canonical shape."""
    checker = FormatChecker()

    @checker.checks("date-time")
    def canonical(value) -> bool:
        return not isinstance(value, str) or bool(CANONICAL.match(value) and datetime.fromisoformat(value))

    return checker


@pytest.mark.parametrize("stream", STREAMS)
def test_every_record_validates_against_its_schema(store, schemas, stream):
    schema = schemas[stream]
    Draft7Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is True
    assert PRIMARY_KEYS[stream] in schema["properties"]
    validator = Draft7Validator(schema, format_checker=date_time_checker())
    for record in store.records[stream].values():
        errors = list(validator.iter_errors(record))
        assert not errors, f"{stream} {record['id']}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_the_date_time_checker_rejects_non_canonical_dates(schemas):
    validator = Draft7Validator(schemas["orders"], format_checker=date_time_checker())
    for bad in ("Tue, 20 Nov 2012 00:00:00 +0000", "", "2012-11-20T00:00:00Z", "2012-11-20"):
        assert list(validator.iter_errors({"id": 1, "date_modified": bad}))
    assert not list(validator.iter_errors({"id": 1, "date_modified": "2012-11-20T00:00:00+00:00"}))


def schema_at(schema: dict, root: dict, path: tuple) -> dict | None:
    """The sub-schema describing `path` (keys and list indexes), following local $refs."""
    node = schema
    for step in path:
        while "$ref" in node:
            node = root["definitions"][node["$ref"].split("/")[-1]]
        node = node.get("items") if isinstance(step, int) else node.get("properties", {}).get(step)
        if node is None:
            return None
    return node


def strings(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, path + (i,))
    elif isinstance(value, str):
        yield path, value


@pytest.mark.parametrize("stream", STREAMS)
def test_every_date_looking_string_sits_at_a_date_time_path(store, schemas, stream):
    """The connector normalizes dates by walking the schema's date-time paths: a date the schema
    does not mark would leave the connector un-normalized."""
    schema, checked = schemas[stream], set()
    for record in store.records[stream].values():
        for path, value in strings(record):
            generic = tuple("[]" if isinstance(step, int) else step for step in path)
            if DATE_LIKE.match(value) and generic not in checked:
                node = schema_at(schema, schema, path)
                assert node and node.get("format") == "date-time", f"{stream}: {generic} = {value!r}"
                checked.add(generic)


def test_streams_with_a_change_marker_declare_date_modified(schemas):
    for stream in ("customers", "orders", "products", "channels"):
        assert schemas[stream]["properties"]["date_modified"]["format"] == "date-time"


# ---- to_api

def test_to_api_renders_v2_dates_as_rfc2822_and_unset_as_empty(store):
    order = next(o for o in store.records["orders"].values() if o["date_shipped"] is None)
    api = store.to_api("orders", order)
    assert api["date_shipped"] == ""
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000", api["date_modified"])
    for field in ("date_created", "date_modified"):
        assert parsedate_to_datetime(api[field]) == datetime.fromisoformat(order[field])
    assert order["date_shipped"] is None  # the canonical record is left alone
    line = next(p for p in store.records["order_products"].values() if p["event_date"])
    assert parsedate_to_datetime(store.to_api("order_products", line)["event_date"]) == \
        datetime.fromisoformat(line["event_date"])
    assert store.to_api("order_products", store.records["order_products"][1])["order_id"]


def test_to_api_rfc2822_example():
    data = fresh()
    order = next(iter(data.records["orders"].values()))
    order["date_created"] = "2012-11-20T00:00:00+00:00"
    assert data.to_api("orders", order)["date_created"] == "Tue, 20 Nov 2012 00:00:00 +0000"


def test_to_api_keeps_v3_dates_and_nulls(store):
    product = next(p for p in store.records["products"].values() if p["preorder_release_date"] is None)
    api = store.to_api("products", product)
    assert api["date_modified"] == product["date_modified"] and api["preorder_release_date"] is None
    txn = next(iter(store.records["transactions"].values()))
    assert store.to_api("transactions", txn) == txn


@pytest.mark.parametrize("stream", sorted(INCLUDES))
def test_to_api_renders_v3_sub_lists_only_when_included(store, stream):
    record = next(iter(store.records[stream].values()))
    bare = store.to_api(stream, record)
    full = store.to_api(stream, record, include=set(INCLUDES[stream]))
    assert full == record
    for name, field in INCLUDES[stream].items():
        assert field not in bare
        assert store.to_api(stream, record, include={name})[field] == record[field]
    assert set(bare) == set(record) - set(INCLUDES[stream].values())


def test_to_api_links_follow_the_given_base_url(store):
    order = store.records["orders"][100]
    assert order["products"] == {"url": "https://api.bigcommerce.com/stores/localstore/v2/orders/100/products",
                                 "resource": "/orders/100/products"}
    api = store.to_api("orders", order, base_url_for_links="http://127.0.0.1:8080/")
    assert api["products"]["url"] == "http://127.0.0.1:8080/stores/localstore/v2/orders/100/products"
    assert order["products"]["url"].startswith("https://api.bigcommerce.com/")
    truth = store.ground_truth(base_url_for_links="http://127.0.0.1:8080")
    assert truth["orders"][100]["products"] == api["products"]
    assert truth["orders"][100]["coupons"]["url"] == "http://127.0.0.1:8080/stores/localstore/v2/orders/100/coupons"


def test_store_record_is_v2_without_dates(store):
    record = store.records["store"]["localstore"]
    assert store.to_api("store", record) == record and V2_DATES["store"] == ()


# ---- touch and add

@pytest.mark.parametrize("stream", ["orders", "customers", "products", "channels"])
def test_touch_sets_date_modified_to_now_and_changes_a_field(stream):
    data = fresh()
    key = list(data.records[stream])[1]
    before = data.ground_truth()[stream][key]
    after = data.touch(stream, key, NOW)
    assert after["date_modified"] == NOW_ISO and data.records[stream][key] == after
    assert {k: v for k, v in after.items() if k != "date_modified"} != \
        {k: v for k, v in before.items() if k != "date_modified"} or stream == "orders"


def test_touching_orders_changes_orders_or_their_children_and_stays_valid(schemas):
    data = fresh()
    validators = {stream: Draft7Validator(schemas[stream], format_checker=date_time_checker())
                  for stream in ("orders", "order_products", "transactions")}

    def family(oid):
        return copy.deepcopy({"orders": [data.records["orders"][oid]],
                              "order_products": data.children_of("order_products", oid),
                              "transactions": data.children_of("transactions", oid)})

    for i, oid in enumerate(list(data.records["orders"])[:40]):
        before = family(oid)
        data.touch("orders", oid, NOW + timedelta(seconds=i))
        after = family(oid)
        assert after != before
        assert after["orders"][0]["date_modified"] == iso(NOW + timedelta(seconds=i))
        for stream, records in after.items():
            for record in records:
                assert not list(validators[stream].iter_errors(record))
    assert any(t["event"] == "refund" and t["date_created"].startswith("2026-11-28")
               for t in data.records["transactions"].values())


@pytest.mark.parametrize("stream", ["brands", "categories", "pages", "store"])
def test_touch_without_date_modified_changes_a_field(stream):
    data = fresh()
    key = next(iter(data.records[stream]))
    before = data.ground_truth()[stream][key]
    assert data.touch(stream, key, NOW) != before


def test_touching_an_order_product_modifies_its_order():
    data = fresh()
    line = next(iter(data.records["order_products"].values()))
    quantity = line["quantity"]
    data.touch("order_products", line["id"], NOW)
    assert data.records["order_products"][line["id"]]["quantity"] >= quantity
    assert data.records["orders"][line["order_id"]]["date_modified"] == NOW_ISO
    with pytest.raises(ValueError):
        data.touch("transactions", next(iter(data.records["transactions"])), NOW)


@pytest.mark.parametrize("stream", ["orders", "customers", "products", "brands", "categories", "pages", "channels"])
def test_add_creates_the_next_id_created_now(stream, schemas):
    data = fresh()
    last = max(data.records[stream])
    first = data.add(stream, NOW)
    second = data.add(stream, NOW + timedelta(seconds=5))
    assert last < first["id"] < second["id"] and list(data.records[stream])[-1] == second["id"]
    if "date_modified" in first:
        assert first["date_created"] == first["date_modified"] == NOW_ISO
    assert not list(Draft7Validator(schemas[stream], format_checker=date_time_checker()).iter_errors(first))


def test_a_new_order_gets_products_and_transactions():
    data = fresh()
    for _ in range(10):
        order = data.add("orders", NOW)
        assert 1 <= len(data.children_of("order_products", order["id"])) <= 5
        assert 0 <= len(data.children_of("transactions", order["id"])) <= 3
        assert all(t["date_created"] == NOW_ISO for t in data.children_of("transactions", order["id"]))
        assert order["date_shipped"] is None and not order["is_deleted"]


@pytest.mark.parametrize("stream", ["order_products", "transactions"])
def test_adding_a_child_modifies_its_order(stream):
    data = fresh()
    last = max(data.records[stream])
    child = data.add(stream, NOW)
    assert child["id"] > last
    assert data.records["orders"][child["order_id"]]["date_modified"] == NOW_ISO
    assert child["id"] in [c["id"] for c in data.children_of(stream, child["order_id"])]


def test_edits_are_deterministic():
    def script():
        data = fresh()
        for i, oid in enumerate(list(data.records["orders"])[:20]):
            data.touch("orders", oid, NOW + timedelta(seconds=i))
            data.add("customers", NOW)
        return data.ground_truth()
    assert script() == script()


def test_ground_truth_is_a_deep_copy():
    data = fresh()
    truth = data.ground_truth()
    truth["customers"][1]["addresses"].append({"id": -1})
    truth["orders"][100]["billing_address"]["city"] = "Nowhere"
    truth["store"].clear()
    assert {"id": -1} not in data.records["customers"][1]["addresses"]
    assert data.records["orders"][100]["billing_address"]["city"] != "Nowhere"
    assert data.records["store"]
