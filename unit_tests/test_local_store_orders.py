"""The local store's order resources (local_store/resources_orders.py): schemas honest, children agreeing
with their orders, consignments shaped as O2's orderConsignment_Get, refunds addable while a sync runs."""

from __future__ import annotations

import copy
import json
import random
import re
from collections import Counter, defaultdict
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

import local_store.resources  # noqa: F401  (first: it imports the resource groups, this one included)
from local_store import resources_orders as orders_group
from local_store.data import END, START, StoreData, cents, iso
from local_store.resources_orders import RESOURCES, add_refund, consignments, reports_empty_line_items

SCHEMAS = Path(__file__).parent.parent / "source_bigcommerce" / "schemas"
CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
BY_NAME = {resource.name: resource for resource in RESOURCES}
PER_ORDER = [r.name for r in RESOURCES if r.parent == ("orders", "order_id")]
# Declared in the per-order schemas but added by the connector from the parent order, so absent here.
CONNECTOR_ONLY = {"order_date_modified"}
NOW = datetime(2026, 11, 28, 12, 30, 45, tzinfo=timezone.utc)


@pytest.fixture(scope="module", params=[(1, 1.0), (3, 0.3)], ids=["seed1-scale1", "seed3-scale0.3"])
def store(request) -> StoreData:
    seed, scale = request.param
    return StoreData(seed=seed, scale=scale)


@pytest.fixture(scope="module")
def schemas() -> dict:
    return {r.name: json.loads((SCHEMAS / f"{r.name}.json").read_text()) for r in RESOURCES}


def records(store, name) -> list[dict]:
    return list(store.records[name].values())


def by_order(store, name) -> dict[int, list[dict]]:
    grouped = defaultdict(list)
    for record in records(store, name):
        grouped[record["order_id"]].append(record)
    return grouped


# ---- declarations and schemas


def test_resources_declared_in_the_briefed_order_with_their_routes():
    assert [r.name for r in RESOURCES] == ["order_statuses", "order_shipping_addresses", "order_fees", "order_coupons",
                                           "order_shipments", "order_taxes", "order_messages", "order_refunds"]
    assert BY_NAME["order_shipments"].none_is_204 and not BY_NAME["order_coupons"].none_is_204
    assert BY_NAME["order_refunds"].parent is None and BY_NAME["order_refunds"].route == "/v3/orders/payment_actions/refunds"
    assert all(r.route == f"/v2/orders/{{id}}/{r.name.removeprefix('order_')}" for r in RESOURCES if r.name in PER_ORDER)
    assert all(r.edit is None for r in RESOURCES)


def test_every_record_validates_and_carries_every_declared_field(store, schemas):
    for name, schema in schemas.items():
        validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
        declared = set(schema["properties"])
        expected = declared - CONNECTOR_ONLY if name in PER_ORDER else declared
        if name in PER_ORDER:
            assert CONNECTOR_ONLY <= declared, name
        table = records(store, name)
        assert table, name
        for record in table:
            errors = [e.message for e in validator.iter_errors(record)]
            assert not errors, (name, record["id"], errors[:3])
            assert set(record) == expected, (name, set(record) ^ expected)
            for field, spec in schema["properties"].items():  # nested objects: every declared key present
                value = record.get(field)
                items = value if isinstance(value, list) else [value]
                props = (spec.get("items") or spec).get("properties")
                for item in items:
                    if props and isinstance(item, dict):
                        assert set(props) <= set(item), (name, field, set(props) - set(item))


def test_every_field_is_nullable_except_the_key_and_dates_are_formatted(schemas):
    for name, schema in schemas.items():
        assert schema["additionalProperties"] is True and schema["$schema"].startswith("http://json-schema.org/draft-07")
        assert "developer.bigcommerce.com" in schema["description"]
        for field, spec in schema["properties"].items():
            assert ("null" in spec["type"]) == (field != "id"), (name, field)
    for name, field in [("order_shipments", "date_created"), ("order_messages", "date_created"), ("order_refunds", "created")]:
        assert schemas[name]["properties"][field]["format"] == "date-time"


def test_some_values_are_null_on_purpose(store):
    nulls = Counter(name for name in ("order_fees", "order_taxes", "order_refunds")
                    for record in records(store, name) for value in json_leaves(record) if value is None)
    assert nulls["order_fees"] and nulls["order_taxes"] and nulls["order_refunds"]


def json_leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from json_leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_leaves(v)
    else:
        yield value


# ---- keys, determinism, sizes


def test_keys_unique_and_generation_deterministic(store):
    for resource in RESOURCES:
        made = resource.generate(random.Random(f"{store.seed}:{resource.name}"), store)
        keys = [resource.key_of(record) for record in made]
        assert len(keys) == len(set(keys)), resource.name
        assert keys == sorted(keys), resource.name
        assert made == records(store, resource.name), resource.name
    other = StoreData(seed=store.seed + 10, scale=0.3)
    assert records(other, "order_messages") != records(store, "order_messages")


def test_sizes_at_scale_one_follow_the_orders():
    data = StoreData(seed=1, scale=1)
    n = len(data.records["orders"])
    assert len(data.records["order_statuses"]) == 15
    addresses = {(line["order_id"], line["order_address_id"]) for line in data.records["order_products"].values()}
    assert len(data.records["order_shipping_addresses"]) == len(addresses)  # one per address an order's products ship to
    assert n < len(addresses) < 1.2 * n, "about one order in ten ships to two addresses"
    assert 0.10 * n < len(by_order(data, "order_fees")) < 0.20 * n
    assert 0.05 * n < len(by_order(data, "order_messages")) < 0.15 * n


# ---- foreign keys and agreement with the orders


def test_per_order_records_point_at_existing_orders_products_and_addresses(store):
    orders, lines = store.records["orders"], store.records["order_products"]
    addresses = store.records["order_shipping_addresses"]
    for name in PER_ORDER + ["order_refunds"]:
        assert all(r["order_id"] in orders for r in records(store, name)), name
    for record in records(store, "order_shipments") + records(store, "order_taxes"):
        assert addresses[record["order_address_id"]]["order_id"] == record["order_id"]
    for shipment in records(store, "order_shipments"):
        assert shipment["customer_id"] == orders[shipment["order_id"]]["customer_id"]
        for item in shipment["items"]:
            line = lines[item["order_product_id"]]
            assert (line["order_id"], line["product_id"]) == (shipment["order_id"], item["product_id"])
    for tax in records(store, "order_taxes"):
        if tax["line_item_type"] == "item":
            assert lines[int(tax["order_product_id"])]["order_id"] == tax["order_id"]
        else:
            assert tax["order_product_id"] is None
    for message in records(store, "order_messages"):
        assert message["customer_id"] == orders[message["order_id"]]["customer_id"]
        assert message["customer_id"] == 0 or message["customer_id"] in store.records["customers"]


def test_shipping_addresses_are_the_distinct_order_address_ids_of_the_products(store):
    grouped = by_order(store, "order_shipping_addresses")
    for oid in store.records["orders"]:
        wanted = {line["order_address_id"] for line in store.children_of("order_products", oid)}
        assert {a["id"] for a in grouped[oid]} == wanted
        assert sum(cents(a["cost_inc_tax"]) for a in grouped[oid]) == cents(store.records["orders"][oid]["shipping_cost_inc_tax"])
    gifts = [a for a in records(store, "order_shipping_addresses")
             if a["last_name"] != store.records["orders"][a["order_id"]]["billing_address"]["last_name"]]
    assert gifts, "some orders ship to someone other than the buyer"


def test_coupons_exist_for_discounted_orders_and_a_few_free_shipping_ones(store):
    grouped = by_order(store, "order_coupons")
    discounted = {oid for oid, o in store.records["orders"].items() if o["coupon_discount"] != "0.0000"}
    assert discounted <= set(grouped)
    for oid in discounted:
        assert round(sum(c["discount"] for c in grouped[oid]) * 100) == cents(store.records["orders"][oid]["coupon_discount"])
    without = set(grouped) - discounted
    assert all(c["type"] == 4 and c["discount"] == 0 for oid in without for c in grouped[oid])
    if store.scale == 1:
        assert without, "a coupon on an order with coupon_discount 0.0000"


def test_shipments_cover_exactly_the_shipped_quantities(store):
    shipped = Counter()
    for shipment in records(store, "order_shipments"):
        order = store.records["orders"][shipment["order_id"]]
        assert order["date_created"] <= shipment["date_created"] <= order["date_modified"]
        for item in shipment["items"]:
            shipped[item["order_product_id"]] += item["quantity"]
    wanted = Counter({lid: line["quantity_shipped"] for lid, line in store.records["order_products"].items()
                      if line["quantity_shipped"]})
    assert shipped == wanted


def test_taxes_add_up_to_each_orders_total_tax(store):
    grouped = by_order(store, "order_taxes")
    for oid, order in store.records["orders"].items():
        assert sum(cents(t["line_amount"]) for t in grouped.get(oid, [])) == cents(order["total_tax"]), oid
        assert (oid in grouped) == (order["total_tax"] != "0.0000")


def test_messages_and_fees_per_order_counts(store):
    for oid, messages in by_order(store, "order_messages").items():
        assert 1 <= len(messages) <= 3
        created = store.records["orders"][oid]["date_created"]
        assert all(created <= m["date_created"] <= iso(END) for m in messages)
    assert all(1 <= len(fees) <= 2 for fees in by_order(store, "order_fees").values())
    assert all(cents(f["cost_inc_tax"]) == cents(f["cost_ex_tax"]) + cents(f["cost_tax"]) for f in records(store, "order_fees"))


def test_refunds_one_per_refunded_order_matching_its_refund_transactions(store):
    refunds = records(store, "order_refunds")
    refunded = {oid for oid, o in store.records["orders"].items() if o["status_id"] in (4, 14)}
    assert Counter(r["order_id"] for r in refunds) == Counter(refunded)
    assert [r["id"] for r in refunds] == sorted(r["id"] for r in refunds)
    for refund in refunds:
        txns = [t for t in store.children_of("transactions", refund["order_id"]) if t["event"] == "refund"]
        assert round(refund["total_amount"] * 100) == sum(round(t["amount"] * 100) for t in txns)
        assert {p["transaction_id"] for p in refund["payments"]} == {str(t["id"]) for t in txns}
        assert CANONICAL.match(refund["created"]) and START.isoformat() <= refund["created"] <= END.isoformat()
        for item in refund["items"]:
            if item["item_type"] == "PRODUCT":
                assert store.records["order_products"][item["item_id"]]["order_id"] == refund["order_id"]


def test_order_statuses_are_the_fifteen_with_a_few_custom_labels(store):
    from local_store.endpoints import ORDER_STATUSES

    statuses = records(store, "order_statuses")
    assert [(s["id"], s["name"]) for s in statuses] == list(ORDER_STATUSES)
    renamed = [s for s in statuses if s["custom_label"] != s["system_label"]]
    assert 1 <= len(renamed) < 5
    used = {o["status_id"] for o in store.records["orders"].values()}
    assert not {s["id"] for s in renamed} & used  # orders' custom_status stays their system name
    assert sorted(s["sort_order"] for s in statuses) == list(range(1, 16))


# ---- the wire form


def test_to_api_renders_v2_dates_and_drops_connector_adds(store):
    shipment = records(store, "order_shipments")[0]
    sent = store.to_api("order_shipments", shipment)
    assert parsedate_to_datetime(sent["date_created"]) == datetime.fromisoformat(shipment["date_created"])
    assert re.match(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$", sent["date_created"])
    message = dict(records(store, "order_messages")[0], date_created=None)
    assert store.to_api("order_messages", message)["date_created"] == ""
    fee = records(store, "order_fees")[0]
    sent = store.to_api("order_fees", fee)
    assert "order_id" not in sent and sent == {k: v for k, v in fee.items() if k != "order_id"}
    assert "order_id" in fee  # the canonical record keeps it (the connector adds it back)
    refund = records(store, "order_refunds")[0]
    assert store.to_api("order_refunds", refund) == refund


def test_merchant_edits_are_refused_for_these_full_refresh_and_append_only_streams():
    data = StoreData(seed=5, scale=0.1)
    for name in ("order_statuses", "order_coupons"):
        key = next(iter(data.records[name]))
        with pytest.raises(ValueError):
            data.touch(name, key, NOW)


# ---- filters


def matches(resource, param, text, record):
    flt = next(f for f in BY_NAME[resource].filters if f.param == param)
    return flt.test(flt.read_record(record), flt.parse(text, NOW))


def test_refund_and_message_filters_read_the_documented_parameters(store):
    params = {f.param for f in BY_NAME["order_refunds"].filters}
    assert {"created:min", "created:max", "order_id:in", "id:in", "transaction_id"} <= params
    refund = records(store, "order_refunds")[0]
    assert matches("order_refunds", "created:min", refund["created"], refund)
    assert not matches("order_refunds", "created:min", "2026-06-30T00:00:01+00:00", refund) or refund["created"] > "2026-06-30"
    assert matches("order_refunds", "order_id:in", f"1,{refund['order_id']}", refund)
    assert matches("order_refunds", "transaction_id", refund["payments"][0]["transaction_id"], refund)
    assert not matches("order_refunds", "transaction_id", "999999", refund)
    assert {"min_date_created", "max_date_created", "min_id", "max_id", "is_flagged", "status", "customer_id"} <= \
        {f.param for f in BY_NAME["order_messages"].filters}
    message = records(store, "order_messages")[0]
    assert matches("order_messages", "is_flagged", str(message["is_flagged"]).lower(), message)
    assert not matches("order_messages", "max_date_created", "Fri, 01 Jan 2016 00:00:00 +0000", message)
    assert BY_NAME["order_taxes"].extra_params == ("details",)


# ---- refunds created while a sync runs


def test_add_refund_appends_a_new_refund_created_now():
    data = StoreData(seed=2, scale=0.2)
    before = copy.deepcopy(data.records["order_refunds"])
    made = add_refund(random.Random(9), data, NOW)
    assert made["id"] == max(before) + 1 and made["created"] == iso(NOW)
    assert data.records["order_refunds"][made["id"]] == made and len(data.records["order_refunds"]) == len(before) + 1
    assert {k: v for k, v in data.records["order_refunds"].items() if k in before} == before
    assert data.records["orders"][made["order_id"]]["status_id"] in (4, 10, 14)
    validator = Draft7Validator(json.loads((SCHEMAS / "order_refunds.json").read_text()),
                                format_checker=Draft7Validator.FORMAT_CHECKER)
    assert not list(validator.iter_errors(made))
    second = add_refund(random.Random(10), data, iso(NOW))
    assert second["id"] == made["id"] + 1
    assert matches("order_refunds", "created:min", iso(NOW), second)
    assert not any(matches("order_refunds", "created:min", iso(NOW), r) for r in before.values())


# ---- consignments (O2 orderConsignment_Get)

# Field lists of O2's schemas: shippingConsignment_Get = shippingConsignment_Base + costs + links,
# pickupConsignment_Get (+ pickupConsignmentLocation_Get), digitalConsignment_Get, giftCertificateConsignment_Get.
SHIPPING_FIELDS = {"id", "first_name", "last_name", "company", "street_1", "street_2", "city", "state", "zip", "country",
                   "country_iso2", "email", "phone", "form_fields", "line_items", "items_total", "items_shipped",
                   "shipping_method", "base_cost", "cost_ex_tax", "cost_inc_tax", "cost_tax", "cost_tax_class_id",
                   "base_handling_cost", "handling_cost_ex_tax", "handling_cost_inc_tax", "handling_cost_tax",
                   "handling_cost_tax_class_id", "shipping_zone_id", "shipping_zone_name", "shipping_quotes"}
PICKUP_FIELDS = {"id", "pickup_method_id", "pickup_method_display_name", "collection_instructions",
                 "collection_time_description", "location", "line_items"}
LOCATION_FIELDS = {"id", "name", "code", "address_line_1", "address_line_2", "city", "state", "postal_code",
                   "country_alpha2", "email", "phone"}
RECIPIENT_FIELDS = {"recipient_email", "line_items"}
NUMBER_FIELDS = {"base_cost", "cost_ex_tax", "cost_inc_tax", "cost_tax", "base_handling_cost", "handling_cost_ex_tax",
                 "handling_cost_inc_tax", "handling_cost_tax", "items_total", "items_shipped", "shipping_zone_id"}


def all_consignments(body: dict) -> list[dict]:
    return body["shipping"] + body["pickups"] + body["downloads"] + body["email"]["gift_certificates"]


def check_shape(store, order, body, include_line_items) -> None:
    assert set(body) == {"pickups", "shipping", "downloads", "email"} and set(body["email"]) == {"gift_certificates"}
    assert len(body["downloads"]) <= 1  # maxItems: 1
    for consignment in body["shipping"]:
        assert set(consignment) == SHIPPING_FIELDS
        address = store.records["order_shipping_addresses"][consignment["id"]]
        assert {k: v for k, v in address.items() if k in SHIPPING_FIELDS - NUMBER_FIELDS - {"shipping_quotes", "line_items"}} == \
            {k: v for k, v in consignment.items() if k in address and k not in NUMBER_FIELDS | {"shipping_quotes"}}
        assert all(isinstance(consignment[k], (int, float)) and not isinstance(consignment[k], bool) for k in NUMBER_FIELDS)
        assert consignment["cost_inc_tax"] == cents(address["cost_inc_tax"]) / 100
        assert consignment["shipping_quotes"]["resource"] == \
            f"/orders/{order['id']}/consignments/shipping/{consignment['id']}/shipping_quotes"
    for pickup in body["pickups"]:
        assert set(pickup) == PICKUP_FIELDS and set(pickup["location"]) == LOCATION_FIELDS
    for other in body["downloads"] + body["email"]["gift_certificates"]:
        assert set(other) == RECIPIENT_FIELDS and "@" in other["recipient_email"]
    for consignment in all_consignments(body):
        assert isinstance(consignment["line_items"], list)
        for item in consignment["line_items"]:
            if include_line_items:
                assert item == store.to_api("order_products", store.records["order_products"][item["id"]])
            else:
                assert set(item) == {"url", "resource"} and item["url"].endswith(item["resource"])
                assert re.fullmatch(rf"/orders/{order['id']}/products/\d+", item["resource"])


def line_ids(body, include_line_items) -> list[int]:
    return [item["id"] if include_line_items else int(item["resource"].rsplit("/", 1)[1])
            for consignment in all_consignments(body) for item in consignment["line_items"]]


def test_consignments_hold_every_product_exactly_once_in_the_spec_shape(store):
    kinds = Counter()
    for order in store.records["orders"].values():
        products = sorted(line["id"] for line in store.children_of("order_products", order["id"]))
        for include in (True, False):
            body = consignments(store, order, include)
            check_shape(store, order, body, include)
            if reports_empty_line_items(order["id"]):
                assert line_ids(body, include) == [] and products and body["shipping"]
            else:
                assert sorted(line_ids(body, include)) == products
                shipped = sum(c["items_total"] for c in body["shipping"])
                assert shipped == sum(line["quantity"] for line in store.children_of("order_products", order["id"])
                                      if line["id"] in line_ids({**body, "pickups": [], "downloads": [],
                                                                 "email": {"gift_certificates": []}}, include))
        body = consignments(store, order, False)
        kinds.update(k for k in ("pickups", "downloads") if body[k])
        kinds.update(["gift"] if body["email"]["gift_certificates"] else [])
        kinds.update(["empty"] if reports_empty_line_items(order["id"]) else [])
        assert bool(body["downloads"]) == any(l["type"] == "digital" for l in store.children_of("order_products", order["id"]))
    n = len(store.records["orders"])
    assert 0 < kinds["empty"] < 0.05 * n and 0 < kinds["pickups"] < 0.06 * n
    assert 0 < kinds["gift"] < 0.05 * n and 0 < kinds["downloads"] < 0.3 * n


def test_consignments_are_pure_and_follow_the_store_base_url(store):
    order = next(iter(store.records["orders"].values()))
    before = copy.deepcopy(store.records)
    assert consignments(store, order, True) == consignments(store, order, True)
    assert store.records == before
    local = consignments(store, order, False, base_url="http://127.0.0.1:8123")
    assert all(item["url"].startswith("http://127.0.0.1:8123/stores/") for c in all_consignments(local) for item in c["line_items"])


def test_empty_line_items_predicate_is_a_small_stable_share():
    flagged = [oid for oid in range(100, 10100) if reports_empty_line_items(oid)]
    assert 0.01 * 10000 < len(flagged) < 0.03 * 10000
    assert flagged == [oid for oid in range(100, 10100) if orders_group.reports_empty_line_items(oid)]


def test_consignments_of_an_order_added_later_fall_back_to_its_billing_address():
    data = StoreData(seed=4, scale=0.1)
    order = data.add("orders", NOW)
    body = consignments(data, data.records["orders"][order["id"]], True)
    assert {c["street_1"] for c in body["shipping"]} == {order["billing_address"]["street_1"]}
    if not reports_empty_line_items(order["id"]):
        assert sorted(line_ids(body, True)) == [line["id"] for line in data.children_of("order_products", order["id"])]
