"""The local store's marketing group (marketing, settings, content, metafields): records honest to their
schemas and specs, foreign keys that resolve, v2 rendering, edits, and the filters as BigCommerce reads them."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from local_store.data import END, START, StoreData
from local_store.query import BadParam, order_records
from local_store.resources_marketing import APPS, METAFIELD_TABLES, OTHER_APPS, RESOURCES, visible

SCHEMAS = Path(__file__).parent.parent / "source_bigcommerce" / "schemas"
CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
NOW = datetime(2026, 11, 28, 12, 30, 45, tzinfo=timezone.utc)
NOW_ISO = "2026-11-28T12:30:45+00:00"
BY_NAME = {resource.name: resource for resource in RESOURCES}
PAGING = {"page", "limit"}


@pytest.fixture(scope="module")
def stores() -> list[StoreData]:
    return [StoreData(seed=1, scale=1), StoreData(seed=3, scale=0.3)]


@pytest.fixture(scope="module")
def store(stores) -> StoreData:
    return stores[0]


def schema_of(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text())


def records(store: StoreData, name: str) -> list[dict]:
    return list(store.records[name].values())


def date_paths(schema: dict, path=()) -> list[tuple]:
    """Every place (through objects and arrays) where the schema declares a date-time."""
    found = []
    if schema.get("format") == "date-time":
        found.append(path)
    for key, sub in (schema.get("properties") or {}).items():
        found += date_paths(sub, path + (key,))
    if isinstance(schema.get("items"), dict):
        found += date_paths(schema["items"], path + ("[]",))
    return found


def values_at(value, path):
    if not path:
        yield value
    elif value is None:
        return
    elif path[0] == "[]":
        for element in value if isinstance(value, list) else ():
            yield from values_at(element, path[1:])
    elif isinstance(value, dict) and path[0] in value:
        yield from values_at(value[path[0]], path[1:])


def apply(resource, params: dict, table: list[dict]) -> list[dict]:
    """The resource's declared filters as the server would AND them."""
    out = table
    by_param = {f.param: f for f in resource.filters}
    for param, text in params.items():
        flt = by_param[param]
        wanted = flt.parse(text, NOW)
        out = [r for r in out if flt.test(flt.read_record(r), wanted)]
    return out


# ---- schemas and records

def test_every_resource_has_a_draft7_schema_whose_key_is_required_and_other_fields_nullable():
    for resource in RESOURCES:
        schema = schema_of(resource.name)
        Draft7Validator.check_schema(schema)
        assert schema["additionalProperties"] is True and "https://developer.bigcommerce.com/" in schema["description"]
        props = schema["properties"]
        assert "null" not in props[resource.key]["type"], resource.name
        for field, sub in props.items():
            if field != resource.key:
                assert "null" in sub["type"], (resource.name, field)


def test_given_both_stores_then_every_record_validates_and_has_every_declared_field(stores):
    for store in stores:
        for resource in RESOURCES:
            schema = schema_of(resource.name)
            validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
            table = records(store, resource.name)
            assert table, resource.name
            for record in table:
                errors = [e.message for e in validator.iter_errors(record)]
                assert not errors, (resource.name, record[resource.key], errors[:3])
                assert set(schema["properties"]) <= set(record), (resource.name, set(schema["properties"]) - set(record))
                assert set(record) <= set(schema["properties"]), (resource.name, set(record) - set(schema["properties"]))


def test_given_both_stores_then_every_date_is_canonical_and_within_the_timeline(stores):
    for store in stores:
        for resource in RESOURCES:
            paths = date_paths(schema_of(resource.name))
            assert paths or resource.name in ("shipping_zones", "shipping_methods", "redirects"), resource.name
            for record in records(store, resource.name):
                for path in paths:
                    for value in values_at(record, path):
                        if value is not None:
                            assert CANONICAL.match(value), (resource.name, path, value)
                            assert START <= datetime.fromisoformat(value) <= END, (resource.name, path, value)


def test_given_both_stores_then_keys_unique_in_key_order_and_some_optional_fields_are_null(stores):
    for store in stores:
        for resource in RESOURCES:
            table = store.records[resource.name]
            keys = [resource.key_of(r) for r in table.values()]
            assert keys == list(table) and len(set(keys)) == len(keys), resource.name
            assert keys == sorted(keys), resource.name
    store = stores[0]
    nulls = Counter(field for name in ("coupons", "promotions", "gift_certificates", "banners", "blog_posts")
                    for r in records(store, name) for field, value in r.items() if value is None)
    for field in ("expires", "applies_to", "end_date", "codes", "expiry_date", "date_from", "author"):
        assert nulls[field] > 0, field


def test_given_scale_one_then_sizes_fit_the_budget_and_scale_shrinks_them(stores):
    full, small = ({r.name: len(s.records[r.name]) for r in RESOURCES} for s in stores)
    assert sum(full.values()) < 4000
    assert full["coupons"] == 40 and full["gift_certificates"] == 30 and full["product_metafields"] == 120
    assert full["currencies"] == 3 and full["sites"] == 2
    assert small["coupons"] < full["coupons"] and small["order_metafields"] < full["order_metafields"]


def test_given_same_seed_then_same_records_and_other_seed_differs(stores):
    again, other = StoreData(seed=3, scale=0.3), StoreData(seed=4, scale=0.3)
    for resource in RESOURCES:
        assert again.records[resource.name] == stores[1].records[resource.name], resource.name
    assert any(other.records[r.name] != again.records[r.name] for r in RESOURCES if r.name not in ("sites",))


# ---- foreign keys

def test_given_both_stores_then_foreign_keys_resolve(stores):
    for store in stores:
        rec = store.records
        for coupon in rec["coupons"].values():
            applies = coupon["applies_to"]
            if applies:
                table = rec["categories"] if applies["entity"] == "categories" else rec["products"]
                assert all(i in table or (i == 0 and applies["entity"] == "categories") for i in applies["ids"])
        for gift in rec["gift_certificates"].values():
            assert gift["customer_id"] == 0 or gift["customer_id"] in rec["customers"]
            assert gift["order_id"] == 0 or gift["order_id"] in rec["orders"]
            if gift["order_id"]:
                assert gift["purchase_date"] == rec["orders"][gift["order_id"]]["date_created"]
        for banner in rec["banners"].values():
            table = {"category_page": rec["categories"], "brand_page": rec["brands"]}.get(banner["page"])
            assert int(banner["item_id"]) in table if table is not None else banner["item_id"] == "0"
        for method in rec["shipping_methods"].values():
            assert method["zone_id"] in rec["shipping_zones"]
            assert set(method["channel_ids"]) <= set(rec["channels"])
        assert {m["zone_id"] for m in rec["shipping_methods"].values()} == set(rec["shipping_zones"])
        tables = {"product": "products", "brand": "brands", "category": "categories", "page": "pages", "post": "blog_posts"}
        for redirect in rec["redirects"].values():
            assert redirect["site_id"] in rec["sites"]
            to = redirect["to"]
            assert (to["entity_id"] in rec[tables[to["type"]]]) if to["type"] != "url" else to["url"]
            assert redirect["to_url"].startswith("https://")
        assert all(site["channel_id"] in rec["channels"] for site in rec["sites"].values())
        for name in METAFIELD_TABLES:
            kind = BY_NAME[name].name.split("_")[0]
            if kind == "variant":
                owners = {v["id"] for p in rec["products"].values() for v in p["variants"]}
            else:
                owners = set(rec[{"category": "categories"}.get(kind, f"{kind}s")])
            for field in rec[name].values():
                assert field["resource_type"] == kind and field["resource_id"] in owners, (name, field["id"])
                assert field["date_created"] <= field["date_modified"]


def test_every_single_code_coupon_promotion_has_its_v2_placeholder_and_rules_name_real_items(store):
    placeholders = {c["code"]: c for c in store.records["coupons"].values() if c["type"] == "promotion"}
    assert placeholders and all(c["amount"] == "0.0000" and c["restricted_to"] == [] and c["shipping_methods"] is None
                                for c in placeholders.values())
    promotions = list(store.records["promotions"].values())
    singles = [p for p in promotions if p["coupon_type"] == "SINGLE"]
    assert {p["codes"]["code"] for p in singles} == set(placeholders)
    for promotion in singles:
        coupon = placeholders[promotion["codes"]["code"]]
        assert promotion["name"] == coupon["name"] and promotion["current_uses"] == coupon["num_uses"]
    assert {p["redemption_type"] for p in promotions} == {"AUTOMATIC", "COUPON"}
    assert all(p["codes"] is None and p["coupon_type"] is None for p in promotions if p["redemption_type"] == "AUTOMATIC")

    def ids(node, table):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("brands", "categories", "products") and isinstance(value, list):
                    assert set(value) <= set(store.records[key]), (key, value)
                elif key == "product_id":
                    assert value in store.records["products"]
                else:
                    ids(value, table)
        elif isinstance(node, list):
            for value in node:
                ids(value, table)

    for promotion in promotions:
        ids(promotion["rules"], None)


# ---- the API rendering

def test_to_api_renders_v2_dates_as_rfc2822_and_drops_what_the_connector_adds(store):
    checked = Counter()
    for resource in RESOURCES:
        for record in records(store, resource.name):
            sent = store.to_api(resource.name, record)
            for field in resource.connector_adds:
                assert field not in sent and field in record
            for field in resource.v2_dates:
                if record[field] is None:
                    assert sent[field] == ""
                else:
                    assert parsedate_to_datetime(sent[field]) == datetime.fromisoformat(record[field])
                    assert sent[field].endswith(" +0000")
                checked[resource.name] += 1
            for field in resource.epoch_dates:  # v2 marketing: Unix seconds as text, "0" when unset
                if record[field] is None:
                    assert sent[field] == "0"
                else:
                    assert datetime.fromtimestamp(int(sent[field]), timezone.utc) == datetime.fromisoformat(record[field])
                checked[resource.name] += 1
            for field in set(record) - set(resource.v2_dates) - set(resource.epoch_dates) - set(resource.connector_adds):
                assert sent[field] == record[field]
    assert set(checked) == {"coupons", "gift_certificates", "banners", "currencies"}
    assert BY_NAME["shipping_methods"].connector_adds == ("zone_id",)


# ---- metafields: visibility, ties, edits

def test_metafield_tables_have_app_only_fields_of_other_apps_which_visible_hides(store):
    ranges = []
    for name in METAFIELD_TABLES:
        table = records(store, name)
        private = [m for m in table if m["permission_set"] == "app_only"]
        assert 1 <= len(private) <= max(3, len(table) // 4), name
        assert all(m["owner_client_id"] in OTHER_APPS for m in private)
        assert all(m["owner_client_id"] in APPS for m in table if m["permission_set"] != "app_only")
        assert [m for m in table if not visible(m)] == private
        ranges.append((min(m["id"] for m in table), max(m["id"] for m in table)))
        combos = Counter((m["resource_id"], m["namespace"], m["key"], m["owner_client_id"]) for m in table)
        assert max(combos.values()) == 1, name
    ranges.sort()
    assert all(hi < next_lo for (_, hi), (next_lo, _) in zip(ranges, ranges[1:]))


def test_product_metafields_share_one_bulk_date_modified_across_a_page_boundary(store):
    ties = Counter(m["date_modified"] for m in records(store, "product_metafields")).most_common(1)[0]
    assert ties[1] >= 10


def test_edit_changes_the_value_and_sets_date_modified_to_now(store):
    for resource in RESOURCES:
        if resource.name not in METAFIELD_TABLES:
            assert resource.edit is None, resource.name
            continue
        fresh = StoreData(seed=3, scale=0.3)
        key = next(iter(fresh.records[resource.name]))
        before = copy.deepcopy(fresh.records[resource.name][key])
        after = fresh.touch(resource.name, key, NOW)
        assert after["date_modified"] == NOW_ISO and after["value"] != before["value"]
        assert {k for k in after if after[k] != before[k]} == {"value", "date_modified"}
        assert fresh.records[resource.name][key] == after


# ---- filters and sorts as BigCommerce reads them

def test_declared_parameters_are_unique_and_never_paging_ones():
    for resource in RESOURCES:
        params = [f.param for f in resource.filters] + list(resource.extra_params)
        assert len(params) == len(set(params)) and not PAGING & set(params), resource.name
    assert {f.param for f in BY_NAME["order_metafields"].filters} - {f.param for f in BY_NAME["product_metafields"].filters} \
        == {"date_created", "date_modified"}


def test_coupon_filters(store):
    coupons, resource = records(store, "coupons"), BY_NAME["coupons"]
    assert all(c["type"] != "promotion" for c in apply(resource, {"exclude_type": "promotion"}, coupons))
    assert len(apply(resource, {"exclude_type": "promotion"}, coupons)) < len(coupons)
    assert [c["id"] for c in apply(resource, {"min_id": "10", "max_id": "12"}, coupons)] == \
        [c["id"] for c in coupons if 10 <= c["id"] <= 12]
    first = coupons[0]
    assert apply(resource, {"code": first["code"].lower()}, coupons) == [first]
    with pytest.raises(BadParam):
        apply(resource, {"min_id": "ten"}, coupons)


def test_promotion_channel_filter_keeps_all_channel_promotions_and_sorts_by_name(store):
    promotions, resource = records(store, "promotions"), BY_NAME["promotions"]
    on_three = apply(resource, {"channels": "3"}, promotions)
    assert {p["id"] for p in on_three} == {p["id"] for p in promotions
                                           if not p["channels"] or 3 in {c["id"] for c in p["channels"]}}
    assert any(not p["channels"] for p in on_three) and len(on_three) < len(promotions)
    assert apply(resource, {"redemption_type": "automatic"}, promotions) == \
        [p for p in promotions if p["redemption_type"] == "AUTOMATIC"]
    name, by, descending = resource.sorting.parse({"sort": "name", "direction": "desc"})
    names = [p["name"].casefold() for p in order_records(promotions, by, descending, None)]
    assert names == sorted(names, reverse=True)


def test_redirect_keyword_matches_from_the_start_and_type_sorts_on_the_target(store):
    redirects, resource = records(store, "redirects"), BY_NAME["redirects"]
    hits = apply(resource, {"keyword": "old-"}, redirects)
    assert hits == redirects
    word = redirects[0]["from_path"].split("/")[1][4:9]
    assert apply(resource, {"keyword": word}, redirects) == []  # not at the start of the path
    _, by, descending = resource.sorting.parse({"sort": "type"})
    kinds = [r["to"]["type"] for r in order_records(redirects, by, descending, None)]
    assert kinds == sorted(kinds) and len(set(kinds)) > 2
    with pytest.raises(BadParam):
        resource.sorting.parse({"sort": "to_url"})


def test_site_and_blog_and_gift_certificate_filters(store):
    sites = records(store, "sites")
    assert [s["id"] for s in apply(BY_NAME["sites"], {"url_type:in": "checkout"}, sites)] == [1000]
    assert [s["id"] for s in apply(BY_NAME["sites"], {"channel_id:in": "3,2"}, sites)] == [1001]
    posts = records(store, "blog_posts")
    tagged = apply(BY_NAME["blog_posts"], {"tag": "NEWS"}, posts)
    assert tagged and all("news" in p["tags"] for p in tagged)
    day = posts[3]["published_date_iso8601"][:10]
    assert posts[3] in apply(BY_NAME["blog_posts"], {"published_date": day, "is_published": str(posts[3]["is_published"])}, posts)
    gifts = records(store, "gift_certificates")
    order_id = next(g["order_id"] for g in gifts if g["order_id"])
    assert [g["order_id"] for g in apply(BY_NAME["gift_certificates"], {"order_id": str(order_id)}, gifts)] == [order_id]


def test_metafield_date_and_list_filters(store):
    table, resource = records(store, "order_metafields"), BY_NAME["order_metafields"]
    cut = table[len(table) // 2]["date_modified"]
    newer = apply(resource, {"date_modified:min": cut}, table)
    assert newer and all(m["date_modified"] >= cut for m in newer) and len(newer) < len(table)
    assert apply(resource, {"namespace:in": "erp,fraud", "key": "SCORE"}, table) == \
        [m for m in table if m["namespace"] == "fraud" and m["key"] == "score"]
    rid = table[0]["resource_id"]
    assert apply(resource, {"resource_id:in": f"{rid},-1"}, table) == [m for m in table if m["resource_id"] == rid]
