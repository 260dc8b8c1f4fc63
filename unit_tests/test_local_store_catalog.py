"""The local store's catalog group (local_store/resources_catalog.py): schemas honest, records whole,
keys unique, foreign keys real, shared views shared, edits visible."""

from __future__ import annotations

import copy
import json
import random
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from local_store.data import END, START, StoreData
from local_store.resources_catalog import RESOURCES

SCHEMAS = Path(__file__).parent.parent / "source_bigcommerce" / "schemas"
BY_NAME = {resource.name: resource for resource in RESOURCES}
NAMES = [resource.name for resource in RESOURCES]
CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$")
NOW = datetime(2026, 11, 28, 12, 30, 45, tzinfo=timezone.utc)
NOW_ISO = "2026-11-28T12:30:45+00:00"
SEEDS = [(1, 1.0), (3, 0.3)]
# Objects whose documented properties depend on the option type: only the type's own keys are sent.
PER_TYPE_OBJECTS = {("product_options", "config"), ("product_modifiers", "config")}
# Every field of VA's productVariant_Full (product-variants_catalog.v3.yml), read off the spec.
VARIANT_SPEC_FIELDS = {
    "cost_price", "price", "sale_price", "retail_price", "weight", "width", "height", "depth", "is_free_shipping",
    "fixed_cost_shipping_price", "purchasing_disabled", "purchasing_disabled_message", "upc", "image_url",
    "inventory_level", "inventory_warning_level", "bin_picking_number", "mpn", "gtin", "id", "product_id", "sku",
    "sku_id", "option_values", "calculated_price", "calculated_weight",
}


@pytest.fixture(scope="module")
def stores() -> dict:
    return {seed: StoreData(seed=seed, scale=scale) for seed, scale in SEEDS}


@pytest.fixture(scope="module")
def schemas() -> dict:
    return {name: json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8")) for name in NAMES}


def canonical_checker():
    """FORMAT_CHECKER skips date-time (rfc3339-validator is not installed): check it, canonically."""
    checker = copy.deepcopy(Draft7Validator.FORMAT_CHECKER)

    @checker.checks("date-time")
    def canonical(value) -> bool:
        return not isinstance(value, str) or bool(CANONICAL.match(value) and datetime.fromisoformat(value))

    return checker


def table(store: StoreData, name: str) -> list:
    return list(store.records[name].values())


def key_fields(name: str) -> tuple:
    key = BY_NAME[name].key
    return key if isinstance(key, tuple) else (key,)


# ---- schemas


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_draft7_nullable_except_the_key_and_names_its_endpoint(schemas, name):
    schema = schemas[name]
    Draft7Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is True
    assert "GET /v3/" in schema["description"] and "https://developer.bigcommerce.com/docs/" in schema["description"]
    for field, node in schema["properties"].items():
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        assert ("null" in types) == (field not in key_fields(name)), f"{name}.{field}: {types}"
    for field in BY_NAME[name].connector_adds:
        assert field in schema["properties"]


def test_the_checker_refuses_non_canonical_dates(schemas):
    validator = Draft7Validator(schemas["price_lists"], format_checker=canonical_checker())
    for bad in ("2024-05-14T10:00:00Z", "Tue, 20 Nov 2012 00:00:00 +0000", "2024-05-14", ""):
        assert list(validator.iter_errors({"id": 1, "date_modified": bad})), bad
    assert not list(validator.iter_errors({"id": 1, "date_modified": "2024-05-14T10:00:00+00:00"}))


@pytest.mark.parametrize("seed", [s for s, _ in SEEDS])
@pytest.mark.parametrize("name", NAMES)
def test_every_record_validates_against_its_schema(stores, schemas, name, seed):
    validator = Draft7Validator(schemas[name], format_checker=canonical_checker())
    records = table(stores[seed], name)
    assert records, f"{name} is empty"
    for record in records:
        errors = list(validator.iter_errors(record))
        assert not errors, f"{name} {BY_NAME[name].key_of(record)}: {errors[0].message} at {list(errors[0].absolute_path)}"


def missing_keys(schema: dict, value, path: tuple, name: str):
    """Declared properties absent from `value`, walking nested objects and arrays of objects."""
    if isinstance(value, dict) and "properties" in schema and (name, path[-1] if path else None) not in PER_TYPE_OBJECTS:
        for field, sub in schema["properties"].items():
            if field not in value:
                yield path + (field,)
            else:
                yield from missing_keys(sub, value[field], path + (field,), name)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            yield from missing_keys(schema["items"], item, path + ("[]",), name)


@pytest.mark.parametrize("seed", [s for s, _ in SEEDS])
@pytest.mark.parametrize("name", NAMES)
def test_every_declared_property_is_present_in_every_record(stores, schemas, name, seed):
    for record in table(stores[seed], name):
        missing = list(missing_keys(schemas[name], record, (), name))
        assert not missing, f"{name} {BY_NAME[name].key_of(record)} lacks {missing[:3]}"


def test_the_presence_check_can_fail(schemas):
    broken = {"id": 1, "name": "x", "channels": [1]}
    assert list(missing_keys(schemas["category_trees"], broken, (), "category_trees")) == []
    del broken["channels"]
    assert list(missing_keys(schemas["category_trees"], broken, (), "category_trees")) == [("channels",)]


def strings(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, path + (key,))
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, path + ("[]",))
    elif isinstance(value, str):
        yield path, value


def schema_at(schema: dict, path: tuple):
    node = schema
    for step in path:
        node = node.get("items") if step == "[]" else node.get("properties", {}).get(step)
        if node is None:
            return None
    return node


@pytest.mark.parametrize("name", NAMES)
def test_every_date_looking_string_sits_at_a_date_path(stores, schemas, name):
    checked = set()
    for record in table(stores[1], name):
        for path, value in strings(record):
            if DATE_LIKE.match(value) and path not in checked:
                node = schema_at(schemas[name], path)
                assert node and node.get("format") in ("date-time", "date"), f"{name}: {path} = {value!r}"
                checked.add(path)


# ---- keys, order, determinism


@pytest.mark.parametrize("seed", [s for s, _ in SEEDS])
@pytest.mark.parametrize("name", NAMES)
def test_keys_are_unique_and_records_in_key_order(stores, name, seed):
    """The table is a dict, so duplicates would vanish there: count the generator's own list."""
    store = stores[seed]
    made = BY_NAME[name].generate(random.Random(f"{seed}:{name}"), store)
    keys = [BY_NAME[name].key_of(record) for record in made]
    assert len(keys) == len(set(keys)) == len(store.records[name])
    assert keys == sorted(keys) == list(store.records[name])


def test_generation_is_deterministic_and_seeded():
    first, again, other = StoreData(3, 0.3), StoreData(3, 0.3), StoreData(4, 0.3)
    for name in NAMES:
        assert first.records[name] == again.records[name], name
    assert any(first.records[name] != other.records[name] for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_dates_lie_on_the_store_timeline(stores, schemas, name):
    for record in table(stores[1], name):
        for path, value in strings(record):
            node = schema_at(schemas[name], path)
            if node and node.get("format") == "date-time":
                assert START <= datetime.fromisoformat(value) <= END, f"{name} {path} = {value}"


# ---- foreign keys and shared views


def test_variants_and_images_are_the_products_own_dicts(stores):
    for store in stores.values():
        embedded_variants = {id(v) for p in store.records["products"].values() for v in p["variants"]}
        embedded_images = {id(i) for p in store.records["products"].values() for i in p["images"]}
        assert {id(v) for v in table(store, "product_variants")} == embedded_variants
        assert {id(i) for i in table(store, "product_images")} == embedded_images


def test_variants_carry_every_field_of_the_variant_spec(stores):
    for variant in table(stores[1], "product_variants"):
        assert VARIANT_SPEC_FIELDS <= set(variant), VARIANT_SPEC_FIELDS - set(variant)


def test_product_children_point_at_existing_products(stores):
    for store in stores.values():
        products = store.records["products"]
        for name in ("product_variants", "product_images", "product_custom_fields", "product_bulk_pricing_rules",
                     "product_reviews", "product_options", "product_modifiers", "product_channel_assignments",
                     "product_category_assignments"):
            assert all(r["product_id"] in products for r in table(store, name)), name


def test_custom_fields_are_the_embedded_ones_plus_their_product(stores):
    store = stores[1]
    embedded = sorted(({"product_id": p["id"], **cf} for p in store.records["products"].values() for cf in p["custom_fields"]),
                      key=lambda cf: cf["id"])
    assert table(store, "product_custom_fields") == embedded
    assert all("product_id" not in cf for p in store.records["products"].values() for cf in p["custom_fields"])


def test_options_match_the_variants_option_values(stores):
    for store in stores.values():
        options = store.records["product_options"]
        for variant in table(store, "product_variants"):
            for ov in variant["option_values"]:
                option = options[(variant["product_id"], ov["option_id"])]
                assert option["display_name"] == ov["option_display_name"]
                assert {"id": ov["id"], "label": ov["label"]} in [{"id": v["id"], "label": v["label"]} for v in option["option_values"]]
        with_options = {v["product_id"] for v in table(store, "product_variants") if v["option_values"]}
        assert {o["product_id"] for o in options.values()} == with_options


def test_modifier_values_belong_to_their_modifier(stores):
    for modifier in table(stores[1], "product_modifiers"):
        assert modifier["type"] in ("text", "checkbox", "dropdown")
        assert all(value["option_id"] == modifier["id"] for value in modifier["option_values"])
        assert (modifier["type"] == "text") == (not modifier["option_values"])


def test_bulk_pricing_tiers_ascend_and_only_the_last_is_open(stores):
    by_product: dict = {}
    for rule in table(stores[1], "product_bulk_pricing_rules"):
        by_product.setdefault(rule["product_id"], []).append(rule)
    for rules in by_product.values():
        assert 1 <= len(rules) <= 3 and len({r["type"] for r in rules}) == 1
        for low, high in zip(rules, rules[1:]):
            assert low["quantity_max"] < high["quantity_min"]
        assert rules[-1]["quantity_max"] == 0 and all(r["quantity_max"] > r["quantity_min"] for r in rules[:-1])


def test_shares_of_products_with_children(stores):
    store = stores[1]
    n = len(store.records["products"])
    for name, low, high in (("product_bulk_pricing_rules", 0.12, 0.28), ("product_reviews", 0.22, 0.38),
                            ("product_modifiers", 0.09, 0.21)):
        share = len({r["product_id"] for r in table(store, name)}) / n
        assert low <= share <= high, (name, share)


def test_trees_and_tree_categories_mirror_channels_and_categories(stores):
    for store in stores.values():
        trees = store.records["category_trees"]
        assert 1 <= len(trees) <= 2
        assert all(c in store.records["channels"] for tree in trees.values() for c in tree["channels"])
        categories = store.records["categories"]
        assert list(store.records["tree_categories"]) == list(categories)
        for tc in table(store, "tree_categories"):
            c = categories[tc["category_id"]]
            assert tc["tree_id"] in trees and (tc["parent_id"] == 0 or tc["parent_id"] in categories)
            assert (tc["name"], tc["views"], tc["is_visible"], tc["url"]["path"]) == (c["name"], c["views"], c["is_visible"], c["custom_url"]["url"])
        assert len({tc["category_uuid"] for tc in table(store, "tree_categories")}) == len(categories)


def test_price_records_point_at_lists_and_variants(stores):
    for store in stores.values():
        variants = store.records["product_variants"]
        lists = store.records["price_lists"]
        assert 3 <= len(lists) <= 5
        for record in table(store, "price_list_records"):
            assert record["price_list_id"] in lists
            variant = variants[record["variant_id"]]
            assert (record["product_id"], record["sku"]) == (variant["product_id"], variant["sku"])
            assert record["currency"] in ("USD", "EUR")
            assert record["calculated_price"] == (record["sale_price"] or record["price"])
            assert record["date_created"] >= lists[record["price_list_id"]]["date_created"]
            assert record["date_modified"] >= record["date_created"]
        for plist in lists.values():
            share = len({r["variant_id"] for r in table(store, "price_list_records") if r["price_list_id"] == plist["id"]}) / len(variants)
            assert 0.25 <= share <= 0.65


def test_price_list_assignments_point_at_lists_channels_and_groups(stores):
    for store in stores.values():
        groups = store.records.get("customer_groups") or range(1, 6)  # built by the customers group, when present
        assignments = table(store, "price_list_assignments")
        assert len(assignments) >= 3
        assert len({(a["customer_group_id"], a["channel_id"]) for a in assignments}) == len(assignments)
        for a in assignments:
            assert a["price_list_id"] in store.records["price_lists"] and a["channel_id"] in store.records["channels"]
            assert a["customer_group_id"] in groups


def test_inventory_items_cover_every_variant_at_every_location(stores):
    for store in stores.values():
        locations = store.records["inventory_locations"]
        assert 2 <= len(locations) <= 3 and 1 in locations
        assert list(store.records["inventory_items"]) == list(store.records["product_variants"])
        for item in table(store, "inventory_items"):
            variant = store.records["product_variants"][item["variant_id"]]
            assert item["identity"] == {"sku": variant["sku"], "variant_id": variant["id"],
                                        "product_id": variant["product_id"], "sku_id": variant["sku_id"]}
            assert [row["location_id"] for row in item["locations"]] == list(locations)
            for row in item["locations"]:
                location = locations[row["location_id"]]
                assert (row["location_code"], row["location_name"], row["location_enabled"]) == (location["code"], location["label"], location["enabled"])
                assert row["available_to_sell"] == max(0, row["total_inventory_onhand"] - row["settings"]["safety_stock"])
            assert item["locations"][0]["total_inventory_onhand"] == variant["inventory_level"]


def test_assignments_follow_products_and_channels(stores):
    for store in stores.values():
        products = store.records["products"]
        assert {(p["id"], c) for p in products.values() for c in p["categories"]} == set(store.records["product_category_assignments"])
        assert all(c in store.records["categories"] for _, c in store.records["product_category_assignments"])
        channel_pairs = set(store.records["product_channel_assignments"])
        assert {(pid, 1) for pid in products} <= channel_pairs
        assert all(c in store.records["channels"] for _, c in channel_pairs)
        assert any(c != 1 for _, c in channel_pairs)


# ---- the API view


@pytest.mark.parametrize("name", NAMES)
def test_to_api_drops_connector_adds_and_keeps_iso_dates(stores, name):
    store, resource = stores[1], BY_NAME[name]
    assert resource.v2_dates == ()
    for record in table(store, name)[:50]:
        api = store.to_api(name, record)
        assert set(api) == set(record) - set(resource.connector_adds)
        assert all(api[k] == record[k] for k in api)  # v3: dates stay ISO 8601, None stays null
        assert api is not record


def test_connector_adds_are_the_fields_the_api_lacks():
    assert BY_NAME["product_custom_fields"].connector_adds == ("product_id",)
    assert BY_NAME["product_bulk_pricing_rules"].connector_adds == ("product_id",)
    assert BY_NAME["product_reviews"].connector_adds == ("product_id",)
    assert BY_NAME["inventory_items"].connector_adds == ("variant_id",)
    for name in ("product_variants", "product_images", "product_options", "product_modifiers"):
        assert BY_NAME[name].connector_adds == ()  # these carry product_id in the API's own shape


# ---- edits


def test_editing_a_variant_changes_both_views_but_not_the_product():
    store = StoreData(seed=5, scale=0.2)
    variant = table(store, "product_variants")[3]
    product = store.records["products"][variant["product_id"]]
    before_product, before_variant = copy.deepcopy(product), copy.deepcopy(variant)
    after = store.touch("product_variants", variant["id"], NOW)
    assert after != before_variant
    assert (after["price"], after["inventory_level"]) != (before_variant["price"], before_variant["inventory_level"])
    assert after["inventory_level"] != before_variant["inventory_level"]
    assert after["calculated_price"] == (after["sale_price"] or after["price"])
    assert product["date_modified"] == before_product["date_modified"]
    assert next(v for v in product["variants"] if v["id"] == variant["id"]) == after
    assert {k: v for k, v in product.items() if k != "variants"} == {k: v for k, v in before_product.items() if k != "variants"}


@pytest.mark.parametrize("name", ["price_lists", "price_list_records"])
def test_incremental_edits_change_a_field_and_set_date_modified(name):
    store = StoreData(seed=5, scale=0.2)
    key = list(store.records[name])[0]
    before = copy.deepcopy(store.records[name][key])
    after = store.touch(name, key, NOW)
    assert after["date_modified"] == NOW_ISO != before["date_modified"]
    assert {k: v for k, v in after.items() if k != "date_modified"} != {k: v for k, v in before.items() if k != "date_modified"}


def test_price_record_edit_changes_the_price():
    store = StoreData(seed=5, scale=0.2)
    key = list(store.records["price_list_records"])[1]
    before = store.records["price_list_records"][key]["price"]
    after = store.touch("price_list_records", key, NOW)
    assert after["price"] != before and after["calculated_price"] == (after["sale_price"] or after["price"])


def test_full_refresh_resources_refuse_edits():
    store = StoreData(seed=5, scale=0.2)
    for name in NAMES:
        if name not in ("product_variants", "price_lists", "price_list_records"):
            assert BY_NAME[name].edit is None, name
            with pytest.raises(ValueError):
                store.touch(name, next(iter(store.records[name])), NOW)


def test_edits_are_deterministic():
    results = []
    for _ in range(2):
        store = StoreData(seed=5, scale=0.2)
        results.append([store.touch(n, next(iter(store.records[n])), NOW) for n in ("product_variants", "price_lists", "price_list_records")])
    assert results[0] == results[1]


# ---- filters


def apply(name: str, store: StoreData, **query) -> list:
    filters = {f.param: f for f in BY_NAME[name].filters}
    active = [(filters[p], filters[p].parse(v, NOW)) for p, v in query.items()]
    return [r for r in table(store, name) if all(f.test(f.read_record(r), wanted) for f, wanted in active)]


@pytest.mark.parametrize("name", NAMES)
def test_filter_params_are_unique_and_not_extra_params(name):
    params = [f.param for f in BY_NAME[name].filters]
    assert len(params) == len(set(params))
    assert not set(params) & set(BY_NAME[name].extra_params)


def test_documented_filters_select_what_they_say(stores):
    store = stores[1]
    approved = apply("product_reviews", store, status="1")
    assert approved and all(r["status"] == "approved" for r in approved)
    assert all(r["status"] == "pending" for r in apply("product_reviews", store, status="0"))
    sku = table(store, "product_variants")[5]["sku"]
    assert [v["sku"] for v in apply("product_variants", store, sku=sku.lower())] == [sku]
    assert {i["identity"]["sku"] for i in apply("inventory_items", store, **{"sku:in": f"{sku},nope"})} == {sku}
    assert [t["id"] for t in apply("category_trees", store, **{"channel_id:in": "3"})] == [2]
    euros = apply("price_list_records", store, currency="eur")
    assert euros and all(r["currency"] == "EUR" for r in euros)
    assert all(r["price"] >= 50 for r in apply("price_list_records", store, **{"price:min": "50"}))
    assert [loc["id"] for loc in apply("inventory_locations", store, is_default="true")] == [1]
    assert all(not loc["enabled"] for loc in apply("inventory_locations", store, is_active="false"))
    top = apply("tree_categories", store, **{"parent_id:in": "0"})
    assert top and all(c["parent_id"] == 0 for c in top)
    some = apply("product_category_assignments", store, **{"category_id:in": "1,2"})
    assert some and all(a["category_id"] in (1, 2) for a in some)
    later = apply("price_lists", store, **{"date_modified:min": "2020-01-01T00:00:00+00:00"})
    assert all(p["date_modified"] >= "2020-01-01T00:00:00+00:00" for p in later)
