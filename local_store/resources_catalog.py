"""The catalog group: variants, product children, category trees, price lists, inventory, assignments.

Shapes follow BigCommerce's OpenAPI files (bigcommerce/docs `reference/`): catalog/products_catalog.v3.yml
(images, custom fields, bulk pricing rules, reviews, channel and category assignments),
product-variants_catalog.v3.yml, product-variant-options_catalog.v3.yml, product-modifiers_catalog.v3.yml,
category-trees_catalog.v3.yml, price_lists.v3.yml, inventory.v3.yml and locations.v3.yml.

What is shared and what is copied:
- `product_variants` and `product_images` ARE the dicts that products embed (`variants`, `images`), so an
  edit of a variant shows in both streams. A variant edit leaves the product's date_modified alone, as
  BigCommerce does.
- `product_custom_fields` are copies: the API's custom field has no `product_id` (the connector adds it
  from the path), and the embedded dicts must keep the API's shape.
- `tree_categories` are built from the categories once; a later edit of a category is not mirrored.
- `inventory_items` and `price_list_records` read variant prices and stock once, at build time.

Full refresh streams have no `edit`; the variants' edit exists so tests can check the shared view.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .data import END, FIRST_NAMES, LAST_NAMES, MIGRATION, PLACES, START, StoreData, between, iso, slug, uuid
from .query import (
    AT_LEAST,
    AT_MOST,
    EQUALS,
    HAS_ANY_MEMBER,
    NONE_OF,
    ONE_OF,
    Filter,
    bool_filter,
    decimal_value,
    field_value,
    integer_filters,
    like_filter,
    parse_bool,
    parse_decimal,
    parse_int,
    parse_int_list,
    parse_text,
    parse_text_list,
    text_filter,
    text_in_filter,
    v3_date_filters,
)
from .resources import V3, V3_ALL, Resource

PRODUCTS_SCOPE = "store_v2_products"
INVENTORY_SCOPE = "store_inventory"
LOCATIONS_SCOPE = "store_locations"
CATALOG_FIELD_SELECTION = ("include_fields", "exclude_fields")


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _products(data: StoreData) -> list[dict]:
    return [data.records["products"][pid] for pid in sorted(data.records["products"])]


def _later(rng: random.Random, start: datetime, chance_unchanged: float = 0.5) -> datetime:
    """A modification time at or after `start`, never after END."""
    return start if rng.random() < chance_unchanged else between(rng, start, END)


def _nested(outer: str, inner: str):
    return lambda record: (record.get(outer) or {}).get(inner)


def _nested_text(outer: str, inner: str):
    def read(record):
        value = (record.get(outer) or {}).get(inner)
        return value.casefold() if isinstance(value, str) else value

    return read


# ------------------------------------------------------------------------------------- 1. variants


def _variants(rng: random.Random, data: StoreData) -> list[dict]:
    """The products' embedded variant dicts themselves (no copies), in variant-id order. data.py's
    variants already carry every field of VA's productVariant_Full (plus `map_price`, which the spec's
    examples show), so nothing is added here."""
    return sorted((v for product in _products(data) for v in product["variants"]), key=lambda v: v["id"])


def _edit_variant(rng: random.Random, record: dict, now: str) -> None:
    """A merchant reprices a variant and counts its stock. The product is not touched: BigCommerce does
    not bump the product's date_modified for a variant edit, and variants have no date of their own."""
    base = record["price"] if record["price"] is not None else record["calculated_price"]
    record["price"] = round(max(0.99, base + rng.choice([-1.5, 1.0, 2.5])), 2)
    record["calculated_price"] = record["sale_price"] or record["price"]
    level = rng.randint(0, 99)
    record["inventory_level"] = level + 1 if level >= (record["inventory_level"] or 0) else level


# --------------------------------------------------------------------------------------- 2. images


def _images(rng: random.Random, data: StoreData) -> list[dict]:
    """The products' embedded image dicts themselves. productImage_Full documents `image_url` (the
    source URL of an image imported by URL), which data.py's images lack: it is added to the shared
    dicts, None for uploaded files."""
    images = sorted((i for product in _products(data) for i in product["images"]), key=lambda i: i["id"])
    for image in images:
        if "image_url" not in image:
            imported = rng.random() < 0.25
            image["image_url"] = f"https://images.supplier.example/catalog/{image['product_id']}/{image['id']}.jpg" if imported else None
    return images


# -------------------------------------------------------------------------------- 3. custom fields


def _custom_fields(rng: random.Random, data: StoreData) -> list[dict]:
    """Copies of the embedded custom fields with `product_id` added (the API's `productCustomField`
    is `id`, `name`, `value` only; the connector adds `product_id` from the path)."""
    out = []
    for product in _products(data):
        for cf in product["custom_fields"]:
            if "product_id" in cf:
                out.append(cf)
            else:
                out.append({"id": cf["id"], "product_id": product["id"], "name": cf["name"], "value": cf["value"]})
    return sorted(out, key=lambda cf: cf["id"])


# -------------------------------------------------------------------------- 4. bulk pricing rules


def _bulk_pricing_rules(rng: random.Random, data: StoreData) -> list[dict]:
    out, next_id = [], 1
    for product in _products(data):
        if rng.random() >= 0.2:
            continue
        kind = rng.choice(["price", "percent", "fixed"])
        n = rng.randint(1, 3)
        low = rng.choice([2, 3, 5, 10])
        for i in range(n):
            high = 0 if i == n - 1 else low * 2 + rng.randint(0, 4)  # 0: no upper bound
            price = product["price"]
            amount = {
                "price": round(price * 0.04 * (i + 1), 2),
                "percent": float(5 * (i + 1)),
                "fixed": round(price * (0.95 - 0.05 * i), 2),
            }[kind]
            out.append({"id": next_id, "product_id": product["id"], "quantity_min": low,
                        "quantity_max": high, "type": kind, "amount": amount})
            next_id += 1
            low = high + 1
    return out


# ------------------------------------------------------------------------------------- 5. reviews

REVIEW_TEXTS = [
    ("Love it ❤️", "Exactly as pictured, arrived quickly."),
    ("Très joli", "Belle qualité, je recommande."),
    ("とても良い", "色がきれいで、使いやすいです。"),
    ("Not for me", "Smaller than I expected — returned it."),
    ("Gift hit 🎁", "Bought two, my sister kept both."),
    ("Sehr gut", "Solide Verarbeitung, schnelle Lieferung."),
    ("Okay", ""),
]
REVIEW_STATUS_FILTER = {"approved": 1, "pending": 0}  # the `status` query is 1 approved, 0 pending


def _reviews(rng: random.Random, data: StoreData) -> list[dict]:
    out, next_id = [], 1
    for product in _products(data):
        if rng.random() >= 0.3:
            continue
        created = _moment(product["date_created"])
        for _ in range(rng.randint(1, 4)):
            title, text = rng.choice(REVIEW_TEXTS)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            reviewed = between(rng, created, END)
            entered = min(END, reviewed + timedelta(minutes=rng.randint(0, 90)))
            out.append({
                "id": next_id, "product_id": product["id"], "title": title, "text": text,
                "status": rng.choices(["approved", "pending", "disapproved"], [7, 2, 1])[0],
                "rating": rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 6])[0],
                "email": rng.choice(["", f"{slug(first, 'reviewer')}.{next_id}@example.net"]),
                "name": f"{first} {last[0]}.",
                "date_reviewed": iso(reviewed), "date_created": iso(entered),
                "date_modified": iso(_later(rng, entered, 0.6)),
            })
            next_id += 1
    return out


# ------------------------------------------------------------------------------------- 6. options


def _options(rng: random.Random, data: StoreData) -> list[dict]:
    """Variant options derived from the variants' `option_values` (option_id, id, label,
    option_display_name). data.py gives every product's Size option the id 10, so the key is
    (product_id, id). `name` matches the order products' `name` (f"Size{pid}")."""
    out = []
    for product in _products(data):
        found: dict[int, dict] = {}
        for variant in product["variants"]:
            for ov in variant["option_values"]:
                option = found.setdefault(ov["option_id"], {"display_name": ov["option_display_name"], "values": {}})
                option["values"][ov["id"]] = ov["label"]
        for sort_order, (option_id, option) in enumerate(sorted(found.items())):
            default = rng.random() < 0.5
            values = [{"id": vid, "label": label, "sort_order": i, "value_data": None, "is_default": default and i == 0}
                      for i, (vid, label) in enumerate(sorted(option["values"].items()))]
            out.append({
                "id": option_id, "product_id": product["id"], "display_name": option["display_name"],
                "type": "rectangles", "config": {}, "sort_order": sort_order, "option_values": values,
                "name": f"{option['display_name']}{product['id']}",
            })
    return out


# ----------------------------------------------------------------------------------- 7. modifiers


def _adjusters(price_delta) -> dict:
    return {"price": {"adjuster": "relative" if price_delta else None, "adjuster_value": price_delta or 0},
            "weight": {"adjuster": None, "adjuster_value": 0}, "image_url": "",
            "purchasing_disabled": {"status": False, "message": ""}}


def _modifiers(rng: random.Random, data: StoreData) -> list[dict]:
    out, next_id, next_value = [], 200, 1000
    for product in _products(data):
        if rng.random() >= 0.15:
            continue
        for sort_order, kind in enumerate(rng.sample(["text", "checkbox", "dropdown"], rng.randint(1, 2))):
            mid, values = next_id, []
            next_id += 1
            if kind == "text":
                display = rng.choice(["Monogram", "Gift message ✉️", "刺繍の名前"])
                config = {"default_value": "", "text_characters_limited": True, "text_min_length": 1,
                          "text_max_length": rng.choice([12, 40, 140])}
                required = rng.random() < 0.3
            elif kind == "checkbox":
                display = rng.choice(["Gift wrap 🎁", "Emballage cadeau"])
                config = {"checkbox_label": f"Add {display.lower()}", "checked_by_default": False}
                required = False
                for i, (label, checked, delta) in enumerate([("Yes", True, rng.choice([2.5, 4.95])), ("No", False, None)]):
                    values.append({"id": next_value, "option_id": mid, "label": label, "sort_order": i,
                                   "is_default": not checked, "value_data": {"checked_value": checked},
                                   "adjusters": _adjusters(delta)})
                    next_value += 1
            else:
                display = rng.choice(["Extended warranty", "Engraving font"])
                config = {}
                required = rng.random() < 0.5
                labels = ["1 year", "2 years", "3 years"] if display == "Extended warranty" else ["Serif", "Script ✒️", "明朝体"]
                for i, label in enumerate(labels[: rng.randint(2, 3)]):
                    values.append({"id": next_value, "option_id": mid, "label": label, "sort_order": i,
                                   "is_default": i == 0, "value_data": None,
                                   "adjusters": _adjusters(round(i * rng.choice([5, 7.5]), 2) or None)})
                    next_value += 1
            out.append({"id": mid, "product_id": product["id"], "name": f"{display}{product['id']}",
                        "display_name": display, "type": kind, "required": required, "sort_order": sort_order,
                        "config": config, "option_values": values})
    return out


# ----------------------------------------------------------------------------- 8-9. category trees


def _trees(rng: random.Random, data: StoreData) -> list[dict]:
    """Tree 1 serves the storefront; tree 2 the Facebook channel when it exists (Amazon, a
    marketplace, has none)."""
    channels = data.records["channels"]
    trees = [{"id": 1, "name": f"{channels[1]['name'] if 1 in channels else 'Default'} tree", "channels": [1] if 1 in channels else []}]
    if 3 in channels:
        trees.append({"id": 2, "name": "Facebook by Meta — カタログ", "channels": [3]})
    return trees


def _tree_categories(rng: random.Random, data: StoreData) -> list[dict]:
    out = []
    for cid in sorted(data.records["categories"]):
        c = data.records["categories"][cid]
        out.append({
            "category_id": c["id"], "category_uuid": uuid(rng), "tree_id": 1, "parent_id": c["parent_id"],
            "name": c["name"], "description": c["description"], "views": c["views"], "sort_order": c["sort_order"],
            "page_title": c["page_title"], "meta_keywords": list(c["meta_keywords"]),
            "meta_description": c["meta_description"], "layout_file": c["layout_file"], "image_url": c["image_url"],
            "is_visible": c["is_visible"], "search_keywords": c["search_keywords"],
            "default_product_sort": c["default_product_sort"],
            "url": {"path": c["custom_url"]["url"], "is_customized": c["custom_url"]["is_customized"]},
        })
    return out


def _keyword(record) -> str:
    return f"{record.get('name') or ''} {record.get('description') or ''}".casefold()


# --------------------------------------------------------------------------------- 10-12. price lists

PRICE_LISTS = [  # name, active, currencies, share of variants, price factor
    ("Wholesale — B2B", True, ("USD",), 0.30, 0.70),
    ("Café Partners ☕", True, ("USD", "EUR"), 0.30, 0.85),
    ("VIP Preisliste €", False, ("EUR",), 0.30, 0.90),
]
EUR_PER_USD = 0.92


def _price_lists(rng: random.Random, data: StoreData) -> list[dict]:
    out = []
    for i, (name, active, *_rest) in enumerate(PRICE_LISTS, start=1):
        created = between(rng, MIGRATION, END - timedelta(days=400))
        out.append({"id": i, "name": name, "date_created": iso(created),
                    "date_modified": iso(_later(rng, created, 0.3)), "active": active})
    return out


def _edit_price_list(rng: random.Random, record: dict, now: str) -> None:
    record["active"] = not record["active"]
    record["date_modified"] = now


def _price_list_records(rng: random.Random, data: StoreData) -> list[dict]:
    """Per list, a deterministic share of the variants in its currencies. `sku` and
    `bulk_pricing_tiers` are held in every record (the connector asks `include=bulk_pricing_tiers,sku`)."""
    variants = list(data.records["product_variants"].values())
    out = []
    for plist in data.records["price_lists"].values():
        _name, _active, currencies, share, factor = PRICE_LISTS[plist["id"] - 1]
        chosen = sorted(rng.sample(variants, max(1, round(share * len(variants)))), key=lambda v: v["id"])
        for variant in chosen:
            product = data.records["products"][variant["product_id"]]
            for currency in sorted(currencies):
                rate = EUR_PER_USD if currency == "EUR" else 1.0
                price = round(variant["calculated_price"] * factor * rate, 2)
                sale = round(price * 0.9, 2) if rng.random() < 0.15 else None
                tiers = []
                if rng.random() < 0.15:
                    tiers = [{"quantity_min": 10, "quantity_max": 49, "type": "percent", "amount": 5.0},
                             {"quantity_min": 50, "quantity_max": None, "type": "percent", "amount": 10.0}]
                start = max(_moment(plist["date_created"]), _moment(product["date_created"]))
                created = between(rng, start, END)
                out.append({
                    "price_list_id": plist["id"], "variant_id": variant["id"], "product_id": variant["product_id"],
                    "sku": variant["sku"], "currency": currency, "price": price, "sale_price": sale,
                    "retail_price": round(price * 1.25, 2) if rng.random() < 0.3 else None,
                    "map_price": round(price * 0.95, 2) if rng.random() < 0.05 else None,
                    "calculated_price": sale or price,
                    "date_created": iso(created), "date_modified": iso(_later(rng, created, 0.5)),
                    "bulk_pricing_tiers": tiers,
                })
    return sorted(out, key=lambda r: (r["price_list_id"], r["variant_id"], r["currency"]))


def _edit_price_record(rng: random.Random, record: dict, now: str) -> None:
    record["price"] = round(max(0.5, record["price"] + rng.choice([-0.75, 0.5, 1.25])), 2)
    if record["sale_price"] is not None and record["sale_price"] >= record["price"]:
        record["sale_price"] = round(record["price"] * 0.9, 2)
    record["calculated_price"] = record["sale_price"] or record["price"]
    record["date_modified"] = now


def _price_list_assignments(rng: random.Random, data: StoreData) -> list[dict]:
    """(price list, customer group, channel), one list per (group, channel). The customer groups are
    the customers group's table when it is built (it comes first), else the ids 1..5; channels are the
    store's."""
    channels = set(data.records["channels"])
    groups = sorted(data.records.get("customer_groups") or range(1, 6))
    wanted = [(1, 0, 1), (1, 1, 1), (2, 2, 1), (2, 2, 2), (3, 3, 3)]  # (list, n-th group, channel)
    out = []
    for list_id, nth, channel in wanted:
        pair = (groups[nth % len(groups)], channel)
        if list_id in data.records["price_lists"] and channel in channels and pair not in {(a["customer_group_id"], a["channel_id"]) for a in out}:
            out.append({"id": len(out) + 1, "price_list_id": list_id, "customer_group_id": pair[0], "channel_id": channel})
    return out


# ------------------------------------------------------------------------------ 13-14. inventory


def _hours(weekday: tuple, saturday: tuple | None, sunday: tuple | None) -> dict:
    def day(hours):
        return {"open": hours is not None, "opening": hours[0] if hours else "00:00", "closing": hours[1] if hours else "00:00"}

    week = {name: day(weekday) for name in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    return {"sunday": day(sunday), **week, "saturday": day(saturday)}


def _address(place, email, phone, lat, lon, alpha3) -> dict:
    return {"address1": place[5], "address2": "", "city": place[3], "state": place[2], "zip": place[4],
            "email": email, "phone": phone, "geo_coordinates": {"latitude": lat, "longitude": lon},
            "country_code": alpha3}


def _locations(rng: random.Random, data: StoreData) -> list[dict]:
    austin, montreal, tokyo = PLACES[0], PLACES[2], PLACES[3]
    made = [between(rng, START, MIGRATION), between(rng, MIGRATION, END - timedelta(days=900)),
            between(rng, END - timedelta(days=900), END - timedelta(days=30))]
    return [
        {"id": 1, "code": "BC-LOCATION-1", "label": "Austin Flagship", "description": "Default location",
         "managed_by_external_source": False, "type_id": "PHYSICAL", "enabled": True,
         "operating_hours": _hours(("09:00", "18:00"), ("10:00", "16:00"), None), "time_zone": "America/Chicago",
         "created_at": iso(made[0]), "updated_at": iso(_later(rng, made[0], 0.2)),
         "address": _address(austin, "austin@local-store.example", "+1 512-555-0100", 30.2688, -97.7427, "USA"),
         "storefront_visibility": True,
         "special_hours": [{"label": "Christmas Day 🎄", "date": "2025-12-25", "open": False, "opening": "00:00",
                            "closing": "00:00", "all_day": True, "annual": True}]},
        {"id": 2, "code": "MTL-WH-02", "label": "Entrepôt Montréal", "description": "3PL warehouse — stock synced by the WMS",
         "managed_by_external_source": True, "type_id": "PHYSICAL", "enabled": True,
         "operating_hours": _hours(("08:00", "17:00"), None, None), "time_zone": "America/Toronto",
         "created_at": iso(made[1]), "updated_at": iso(_later(rng, made[1], 0.2)),
         "address": _address(montreal, "entrepot@local-store.example", "+1 514-555-0142", 45.5088, -73.5540, "CAN"),
         "storefront_visibility": False, "special_hours": []},
        {"id": 3, "code": "TYO-POPUP", "label": "渋谷ポップアップ", "description": None,
         "managed_by_external_source": False, "type_id": "VIRTUAL", "enabled": False,
         "operating_hours": _hours(("11:00", "20:00"), ("11:00", "20:00"), ("12:00", "18:00")), "time_zone": "Asia/Tokyo",
         "created_at": iso(made[2]), "updated_at": iso(made[2]),
         "address": _address(tokyo, "shibuya@local-store.example", "", 35.6595, 139.7005, "JPN"),
         "storefront_visibility": True,
         "special_hours": [{"label": "お盆休み", "date": "2026-08-13", "open": False, "opening": "00:00",
                            "closing": "00:00", "all_day": True, "annual": False}]},
    ]


def _inventory_items(rng: random.Random, data: StoreData) -> list[dict]:
    """One record per variant (inventory.v3 `ItemResponse`: `identity` plus a `locations` array), so the
    key is the variant id. BigCommerce has no top-level key field: `variant_id` is the connector's copy
    of `identity.variant_id` (in `connector_adds`). The default location holds the variant's
    `inventory_level`."""
    locations = list(data.records["inventory_locations"].values())
    out = []
    for variant in data.records["product_variants"].values():
        rows = []
        for location in locations:
            if location["id"] == 1:
                onhand = variant["inventory_level"] or 0
            elif location["enabled"]:
                onhand = rng.choice([0, 0, rng.randint(1, 250)])
            else:
                onhand = 0
            safety = rng.choice([0, 0, 0, 2, 5]) if onhand else 0
            rows.append({
                "location_id": location["id"], "location_code": location["code"], "location_name": location["label"],
                "available_to_sell": max(0, onhand - safety), "total_inventory_onhand": onhand,
                "location_enabled": location["enabled"],
                "settings": {"safety_stock": safety, "is_in_stock": onhand > safety or rng.random() < 0.05,
                             "warning_level": variant["inventory_warning_level"] or 0,
                             "bin_picking_number": variant["bin_picking_number"] if location["id"] == 1 else rng.choice(["", f"B-{rng.randint(1, 40):02d}"])},
            })
        out.append({"variant_id": variant["id"],
                    "identity": {"sku": variant["sku"], "variant_id": variant["id"], "product_id": variant["product_id"],
                                 "sku_id": variant["sku_id"]},
                    "locations": rows})
    return out


def _location_ids(record) -> list:
    return [row["location_id"] for row in record.get("locations") or ()]


def _location_codes(record) -> list:
    return [row["location_code"].casefold() for row in record.get("locations") or ()]


# ---------------------------------------------------------------------------- 15-16. assignments


def _channel_assignments(rng: random.Random, data: StoreData) -> list[dict]:
    channels = data.records["channels"]
    out = []
    for product in _products(data):
        for channel, chance in ((1, 1.0), (2, 0.12), (3, 0.08)):
            if channel in channels and rng.random() < chance:
                out.append({"product_id": product["id"], "channel_id": channel})
    return out


def _category_assignments(rng: random.Random, data: StoreData) -> list[dict]:
    return [{"product_id": p["id"], "category_id": c} for p in _products(data) for c in sorted(p["categories"])]


# ------------------------------------------------------------------------------------- declarations

PRICE_FILTERS = tuple(
    Filter(f"{name}{suffix}", decimal_value(name), parse_decimal, test)
    for name in ("price", "sale_price", "retail_price", "map_price", "calculated_price")
    for suffix, test in (("", EQUALS), (":min", AT_LEAST), (":max", AT_MOST))
)

RESOURCES = (
    Resource(
        "product_variants", "/v3/catalog/variants", PRODUCTS_SCOPE, V3, _variants,
        filters=(*integer_filters("id", "id", "eq in"), text_filter("sku", "sku"), text_in_filter("sku:in", "sku"),
                 text_filter("upc", "upc"), *integer_filters("product_id", "product_id", "in")),
        extra_params=(*CATALOG_FIELD_SELECTION, "include"), edit=_edit_variant,
    ),
    Resource(
        "product_images", "/v3/catalog/products/{id}/images", PRODUCTS_SCOPE, V3, _images,
        parent=("products", "product_id"), none_is_204=True, extra_params=CATALOG_FIELD_SELECTION,
    ),
    Resource(
        "product_custom_fields", "/v3/catalog/products/{id}/custom-fields", PRODUCTS_SCOPE, V3, _custom_fields,
        parent=("products", "product_id"), connector_adds=("product_id",), extra_params=CATALOG_FIELD_SELECTION,
    ),
    Resource(
        "product_bulk_pricing_rules", "/v3/catalog/products/{id}/bulk-pricing-rules", PRODUCTS_SCOPE, V3,
        _bulk_pricing_rules, parent=("products", "product_id"), connector_adds=("product_id",),
        extra_params=CATALOG_FIELD_SELECTION,
    ),
    Resource(
        "product_reviews", "/v3/catalog/products/{id}/reviews", PRODUCTS_SCOPE, V3, _reviews,
        parent=("products", "product_id"), none_is_204=True, connector_adds=("product_id",),
        filters=(Filter("status", lambda r: REVIEW_STATUS_FILTER.get(r.get("status")), parse_int, EQUALS),),
        extra_params=CATALOG_FIELD_SELECTION,
    ),
    Resource(
        "product_options", "/v3/catalog/products/{id}/options", PRODUCTS_SCOPE, V3, _options,
        key=("product_id", "id"), parent=("products", "product_id"), extra_params=CATALOG_FIELD_SELECTION,
    ),
    Resource(
        "product_modifiers", "/v3/catalog/products/{id}/modifiers", PRODUCTS_SCOPE, V3, _modifiers,
        parent=("products", "product_id"), extra_params=CATALOG_FIELD_SELECTION,
    ),
    Resource(
        "category_trees", "/v3/catalog/trees", PRODUCTS_SCOPE, V3_ALL, _trees,
        filters=(*integer_filters("id", "id", "in"),
                 Filter("channel_id:in", field_value("channels"), parse_int_list, HAS_ANY_MEMBER)),
    ),
    Resource(
        "tree_categories", "/v3/catalog/trees/categories", PRODUCTS_SCOPE, V3, _tree_categories, key="category_id",
        filters=(
            *integer_filters("tree_id", "tree_id", "in not_in"),
            *integer_filters("category_id", "category_id", "in not_in"),
            text_in_filter("category_uuid:in", "category_uuid"),
            Filter("category_uuid:not_in", lambda r: (r.get("category_uuid") or "").casefold(), parse_text_list, NONE_OF),
            *integer_filters("parent_id", "parent_id", "in not_in"),
            text_filter("page_title", "page_title"), like_filter("page_title:like", "page_title"),
            text_filter("name", "name"), like_filter("name:like", "name"),
            Filter("keyword", _keyword, parse_text, lambda have, wanted: wanted in have),
            bool_filter("is_visible", "is_visible"),
        ),
        extra_params=CATALOG_FIELD_SELECTION,
    ),
    Resource(
        "price_lists", "/v3/pricelists", PRODUCTS_SCOPE, V3, _price_lists,
        filters=(*integer_filters("id", "id", "eq in"), text_filter("name", "name"), like_filter("name:like", "name"),
                 *v3_date_filters("date_created"), *v3_date_filters("date_modified")),
        edit=_edit_price_list,
    ),
    Resource(
        "price_list_records", "/v3/pricelists/{id}/records", PRODUCTS_SCOPE, V3, _price_list_records,
        key=("price_list_id", "variant_id", "currency"), parent=("price_lists", "price_list_id"),
        filters=(
            *integer_filters("variant_id", "variant_id", "in"), *integer_filters("product_id", "product_id", "in"),
            text_filter("currency", "currency"), text_in_filter("currency:in", "currency"),
            text_filter("sku", "sku"), text_in_filter("sku:in", "sku"), *PRICE_FILTERS,
            *v3_date_filters("date_created"), *v3_date_filters("date_modified"),
        ),
        extra_params=("include",), edit=_edit_price_record,
    ),
    Resource(
        "price_list_assignments", "/v3/pricelists/assignments", PRODUCTS_SCOPE, V3, _price_list_assignments,
        filters=(*integer_filters("id", "id", "eq in"), *integer_filters("price_list_id", "price_list_id", "eq in"),
                 *integer_filters("customer_group_id", "customer_group_id", "eq in"),
                 *integer_filters("channel_id", "channel_id", "eq in")),
    ),
    Resource(
        "inventory_locations", "/v3/inventory/locations", LOCATIONS_SCOPE, V3, _locations,
        filters=(
            Filter("location_id:in", field_value("id"), parse_int_list, ONE_OF),
            text_in_filter("location_code:in", "code"),
            Filter("is_default", lambda r: r.get("id") == 1, parse_bool, EQUALS),
            text_in_filter("type_id:in", "type_id"),
            bool_filter("managed_by_external_source", "managed_by_external_source"),
            bool_filter("is_active", "enabled"),
            bool_filter("storefront_visibility", "storefront_visibility"),
        ),
    ),
    Resource(
        "inventory_items", "/v3/inventory/items", INVENTORY_SCOPE, V3, _inventory_items, key="variant_id",
        connector_adds=("variant_id",),
        filters=(
            Filter("sku:in", _nested_text("identity", "sku"), parse_text_list, ONE_OF),
            Filter("variant_id:in", _nested("identity", "variant_id"), parse_int_list, ONE_OF),
            Filter("product_id:in", _nested("identity", "product_id"), parse_int_list, ONE_OF),
            Filter("location_id:in", _location_ids, parse_int_list, HAS_ANY_MEMBER),
            Filter("location_code:in", _location_codes, parse_text_list, HAS_ANY_MEMBER),
        ),
    ),
    Resource(
        "product_channel_assignments", "/v3/catalog/products/channel-assignments", PRODUCTS_SCOPE, V3,
        _channel_assignments, key=("product_id", "channel_id"),
        filters=(*integer_filters("product_id", "product_id", "in"), *integer_filters("channel_id", "channel_id", "in")),
    ),
    Resource(
        "product_category_assignments", "/v3/catalog/products/category-assignments", PRODUCTS_SCOPE, V3,
        _category_assignments, key=("product_id", "category_id"),
        filters=(*integer_filters("product_id", "product_id", "in"), *integer_filters("category_id", "category_id", "in")),
    ),
)
