"""The local store's customers group (resources_customers.py): records honest to their schemas and specs,
foreign keys that resolve, the two embedded views that stay one object, edits that show."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from local_store.data import END, START, StoreData
from local_store.query import canonical_moment
from local_store.resources import BY_NAME, V2, V3
from local_store.resources_customers import RESOURCES, SUBSCRIBER_IMPORT, attribute_name_of_value

SCHEMAS = Path(__file__).parent.parent / "source_bigcommerce" / "schemas"
CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
NAMES = [resource.name for resource in RESOURCES]
INCREMENTAL = {"customer_attributes": "date_modified", "customer_attribute_values": "date_modified",
               "customer_groups": "date_modified", "subscribers": "date_modified"}
NOW = "2026-11-28T12:30:45+00:00"


@pytest.fixture(scope="module", params=[(1, 1.0), (3, 0.3)], ids=["seed1-scale1", "seed3-scale0.3"])
def store(request) -> StoreData:
    return StoreData(seed=request.param[0], scale=request.param[1])


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    return {name: json.loads((SCHEMAS / f"{name}.json").read_text()) for name in NAMES}


def records(store: StoreData, name: str) -> list[dict]:
    return list(store.records[name].values())


def date_paths(schema: dict, path=()):
    for key, node in schema.get("properties", {}).items():
        if node.get("format") == "date-time":
            yield path + (key,)
        yield from date_paths(node, path + (key,))


def test_declarations_in_the_briefed_order_and_shapes():
    assert NAMES == ["customer_addresses", "customer_attributes", "customer_attribute_values", "customer_groups",
                     "subscribers", "customer_segments", "wishlists"]
    assert all(BY_NAME[name] is resource for name, resource in zip(NAMES, RESOURCES))
    assert BY_NAME["customer_groups"].body == V2 and BY_NAME["customer_groups"].route == "/v2/customer_groups"
    assert all(BY_NAME[n].body == V3 for n in NAMES if n != "customer_groups")
    assert all(r.parent is None and r.connector_adds == () and r.v2_dates == () for r in RESOURCES)
    for name in NAMES:
        assert (BY_NAME[name].edit is not None) == (name in INCREMENTAL or name == "customer_addresses"), name


@pytest.mark.parametrize("name", NAMES)
def test_every_record_validates_and_carries_every_declared_property(store, schemas, name):
    schema = schemas[name]
    Draft7Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is True
    assert "null" not in schema["properties"]["id"]["type"]
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    dates = list(date_paths(schema))
    made = records(store, name)
    assert made, name
    for record in made:
        errors = list(validator.iter_errors(record))
        assert not errors, f"{name} {record['id']}: {errors[0].message} at {list(errors[0].absolute_path)}"
        assert set(schema["properties"]) <= set(record), f"{name} {record['id']} lacks {set(schema['properties']) - set(record)}"
        for path in dates:
            value = record.get(path[0]) if len(path) == 1 else None
            if value is not None:
                assert CANONICAL.match(value), (name, path, value)
                assert START <= canonical_moment(value) <= END, (name, path, value)


@pytest.mark.parametrize("name", NAMES)
def test_keys_are_unique_and_in_key_order(store, name):
    resource = BY_NAME[name]
    made = records(store, name)
    keys = [resource.key_of(record) for record in made]
    assert len(set(keys)) == len(keys) == len(made)
    assert keys == sorted(keys)
    assert list(store.records[name]) == keys


def test_sizes_stay_small_and_scale(store):
    total = sum(len(store.records[name]) for name in NAMES)
    assert total < 4000
    customers = len(store.records["customers"])
    assert 0.3 * customers <= len(store.records["subscribers"]) <= 0.6 * customers + 60
    assert 5 <= len(store.records["customer_groups"]) <= 8
    assert 6 <= len(store.records["customer_attributes"]) <= 10
    assert 4 <= len(store.records["customer_segments"]) <= 8
    assert 1 <= len({w["customer_id"] for w in records(store, "wishlists")}) <= 0.15 * customers + 1


def test_addresses_and_attribute_values_are_the_customers_embedded_objects(store):
    embedded = [a for c in store.records["customers"].values() for a in c["addresses"]]
    assert sorted(map(id, embedded)) == sorted(map(id, records(store, "customer_addresses")))
    values = [v for c in store.records["customers"].values() for v in c["attributes"]]
    assert sorted(map(id, values)) == sorted(map(id, records(store, "customer_attribute_values")))


def test_foreign_keys_resolve(store):
    customers, products = store.records["customers"], store.records["products"]
    attributes, groups = store.records["customer_attributes"], store.records["customer_groups"]
    for address in records(store, "customer_addresses"):
        assert address in customers[address["customer_id"]]["addresses"]
    for value in records(store, "customer_attribute_values"):
        assert value["customer_id"] in customers and value["attribute_id"] in attributes
        assert attributes[value["attribute_id"]]["date_created"] <= value["date_created"] <= value["date_modified"]
    for customer in customers.values():
        assert customer["customer_group_id"] == 0 or customer["customer_group_id"] in groups
        if customer["customer_group_id"]:
            assert groups[customer["customer_group_id"]]["date_created"] <= customer["date_created"]
    for group in groups.values():
        assert set(group["category_access"]["categories"]) <= set(store.records["categories"])
        for rule in group["discount_rules"]:
            assert "category_id" not in rule or rule["category_id"] in store.records["categories"]
            assert "product_id" not in rule or rule["product_id"] in products
            assert "price_list_id" not in rule
    for sub in records(store, "subscribers"):
        assert sub["channel_id"] in store.records["channels"]
        if sub["order_id"] is not None:
            order = store.records["orders"][sub["order_id"]]
            assert sub["source"] == "order" and order["billing_address"]["email"] == sub["email"]
            assert sub["date_created"] == order["date_created"]
    for wishlist in records(store, "wishlists"):
        assert wishlist["customer_id"] in customers
        for item in wishlist["items"]:
            variants = {v["id"] for v in products[item["product_id"]]["variants"]}
            assert item["variant_id"] in variants


def test_group_flags_and_attribute_types():
    store = StoreData(seed=1, scale=1)
    groups = records(store, "customer_groups")
    assert sum(g["is_group_for_guests"] for g in groups) == 1 and sum(g["is_default"] for g in groups) == 1
    assert {1, 2} <= set(store.records["customer_groups"])
    assert all(re.fullmatch(r"\d+\.\d{4}", r["amount"]) for g in groups for r in g["discount_rules"])
    assert {a["type"] for a in records(store, "customer_attributes")} <= {"string", "number", "date"}
    sizes = [v["attribute_value"] for v in records(store, "customer_attribute_values") if v["attribute_id"] == 2]
    assert sizes and all(s.isdigit() for s in sizes)  # attribute 2 is a number attribute


def test_traps_and_variety_are_there():
    store = StoreData(seed=1, scale=1)
    subs = records(store, "subscribers")
    emails = [s["email"] for s in subs]
    assert len(set(emails)) == len(emails)
    assert {s["source"] for s in subs} == {"storefront", "order", "custom"}
    assert any(s["order_id"] is None for s in subs) and any(s["order_id"] for s in subs)
    assert any(s["consents"] == [] for s in subs) and any(not s["first_name"] for s in subs)
    guests = {s["email"] for s in subs if s["email"].startswith("guest.")}
    assert guests  # guest checkouts opted in without an account
    # the newsletter import stamped many subscribers with one date_modified (ties a strict `>` bookmark loses)
    assert sum(s["date_modified"] == SUBSCRIBER_IMPORT.isoformat() for s in subs) >= 80
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(uuid.match(s["id"]) for s in records(store, "customer_segments"))
    assert all(uuid.match(w["token"]) for w in records(store, "wishlists"))
    assert any(not w["items"] for w in records(store, "wishlists")) and any(len(w["items"]) > 1 for w in records(store, "wishlists"))


def test_to_api_leaves_the_records_as_they_are(store):
    for name in NAMES:
        for record in records(store, name)[:20]:
            api = store.to_api(name, record)
            assert api == record and api is not record


def test_generation_is_deterministic():
    one, two, other = StoreData(3, 0.3), StoreData(3, 0.3), StoreData(4, 0.3)
    for name in NAMES:
        assert one.records[name] == two.records[name], name
    assert any(one.records[name] != other.records[name] for name in NAMES)


@pytest.mark.parametrize("name", sorted(INCREMENTAL))
def test_an_edit_changes_a_field_and_sets_its_date_to_now(name):
    store = StoreData(seed=3, scale=0.3)
    key = list(store.records[name])[len(store.records[name]) // 2]
    before = json.loads(json.dumps(store.records[name][key]))
    after = store.touch(name, key, datetime.fromisoformat(NOW))
    assert after[INCREMENTAL[name]] == NOW != before[INCREMENTAL[name]]
    changed = {field for field in before if before[field] != after[field]} - {INCREMENTAL[name]}
    assert changed, f"{name}: only the date changed"
    validator = Draft7Validator(json.loads((SCHEMAS / f"{name}.json").read_text()), format_checker=Draft7Validator.FORMAT_CHECKER)
    assert not list(validator.iter_errors(after))


def test_editing_an_attribute_value_shows_in_the_customer_and_leaves_its_date():
    store = StoreData(seed=3, scale=0.3)
    value = records(store, "customer_attribute_values")[0]
    customer = store.records["customers"][value["customer_id"]]
    customer_modified = customer["date_modified"]
    after = store.touch("customer_attribute_values", value["id"], datetime.fromisoformat(NOW))
    embedded = next(v for v in customer["attributes"] if v["id"] == value["id"])
    assert embedded["attribute_value"] == after["attribute_value"] and embedded["date_modified"] == NOW
    assert customer["date_modified"] == customer_modified


def test_an_address_edit_changes_address1_in_both_views_without_a_date():
    store = StoreData(seed=3, scale=0.3)
    address = records(store, "customer_addresses")[0]
    customer = store.records["customers"][address["customer_id"]]
    old, customer_modified = address["address1"], customer["date_modified"]
    after = store.touch("customer_addresses", address["id"], datetime.fromisoformat(NOW))
    assert after["address1"] != old and customer["addresses"][0]["address1"] == after["address1"]
    assert customer["date_modified"] == customer_modified and "date_modified" not in after


def test_full_refresh_resources_refuse_edits():
    store = StoreData(seed=3, scale=0.3)
    for name in ("customer_segments", "wishlists"):
        with pytest.raises(ValueError):
            store.touch(name, next(iter(store.records[name])), datetime.fromisoformat(NOW))


def test_attribute_value_name_filter_follows_renames():
    store = StoreData(seed=3, scale=0.3)
    value = records(store, "customer_attribute_values")[0]
    name = store.records["customer_attributes"][value["attribute_id"]]["name"]
    assert attribute_name_of_value(value) == name.casefold()
    store.touch("customer_attributes", value["attribute_id"], datetime.fromisoformat(NOW))
    renamed = store.records["customer_attributes"][value["attribute_id"]]["name"]
    assert renamed != name and attribute_name_of_value(value) == renamed.casefold()


def test_filters_select_what_the_spec_says():
    store = StoreData(seed=3, scale=0.3)
    now = datetime.fromisoformat(NOW)

    def select(table, **query):
        active = [(f, f.parse(query[f.param], now)) for f in BY_NAME[table].filters if f.param in query]
        assert len(active) == len(query), f"{table} does not declare {set(query) - {f.param for f, _ in active}}"
        return [r["id"] for r in records(store, table) if all(f.test(f.read_record(r), want) for f, want in active)]

    addresses = records(store, "customer_addresses")
    first = addresses[0]
    assert select("customer_addresses", **{"customer_id:in": str(first["customer_id"])}) == \
        [a["id"] for a in addresses if a["customer_id"] == first["customer_id"]]
    full = f"{first['first_name']} {first['last_name']}".upper()
    assert first["id"] in select("customer_addresses", **{"name:in": full})
    assert select("customer_addresses", **{"id:in": f"{first['id']},{addresses[1]['id']}"}) == [first["id"], addresses[1]["id"]]
    groups = records(store, "customer_groups")
    assert select("customer_groups", is_group_for_guests="true") == [g["id"] for g in groups if g["is_group_for_guests"]]
    mid = sorted(g["date_modified"] for g in groups)[len(groups) // 2]
    assert select("customer_groups", **{"date_modified:min": mid}) == [g["id"] for g in groups if g["date_modified"] >= mid]
    subs = records(store, "subscribers")
    with_order = next(s for s in subs if s["order_id"])
    assert select("subscribers", order_id=str(with_order["order_id"])) == [with_order["id"]]
    assert select("subscribers", email=with_order["email"].upper()) == [with_order["id"]]
    values = records(store, "customer_attribute_values")
    tier = store.records["customer_attributes"][1]["name"]
    assert select("customer_attribute_values", name=tier) == [v["id"] for v in values if v["attribute_id"] == 1]
    segment = records(store, "customer_segments")[-1]
    assert select("customer_segments", **{"id:in": segment["id"].upper()}) == [segment["id"]]
    wishlist = records(store, "wishlists")[0]
    assert wishlist["id"] in select("wishlists", customer_id=str(wishlist["customer_id"]))
    assert select("customer_attributes", type="date") == [a["id"] for a in records(store, "customer_attributes") if a["type"] == "date"]
