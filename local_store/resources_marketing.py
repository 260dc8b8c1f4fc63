"""The marketing group of the local store: marketing, store settings, content and metafields.

Specs (bigcommerce docs repo, `reference/`): marketing.v2.yml (coupons, gift certificates, banners),
promotions.v3.yml, currencies.v2.yml, tax_classes.v2.yml, shipping.v2.yml, store_content.v2.yml (blog
posts), redirects.v3.yml, sites.v3.yml, and the bulk metafield lists of products_catalog.v3.yml,
product-variants_catalog.v3.yml, customers.v3.yml, orders.v3.yml, brands_catalog.v3.yml,
categories_catalog.v3.yml and channels.v3.yml.

Traps built in on purpose:
- `/v2/coupons` lists promotion-based coupon codes as `type: "promotion"` placeholders whose amount,
  min_purchase, applies_to, restricted_to (`[]`, not `{}`) and shipping_methods (null) carry no data
  [marketing.v2 getCoupons]. Every COUPON promotion with a single code has one, same code and name.
- Tax class ids are strings (`"1"`), as taxClass_Full declares them; products' `tax_class_id` is an int.
- Shipping methods do not name their zone: the connector adds `zone_id` from the request path.
- Blog posts' `published_date` is a PHP date object (`{"date": "2018-05-18 13:26:42.000000",
  "timezone_type": 1, "timezone": "+00:00"}`) beside a flat `published_date_iso8601`.
- Each metafield table holds ~10% `app_only` metafields owned by other apps (`owner_client_id`): the
  server hides them with `visible`, as BigCommerce does for a client that does not own them. A share
  of each table was written by one bulk import at one second (ties on `date_modified`).
- Sites answer with `meta.pagination = {offset, limit, total_items}` (body SITES).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Optional

from .data import END, FIRST_NAMES, LAST_NAMES, PLACES, START, UTC, between, iso, money, slug, uuid
from .query import (
    AT_LEAST,
    AT_MOST,
    EQUALS,
    HAS_ANY_MEMBER,
    NOT_EQUAL,
    Filter,
    SortField,
    Sorting,
    bool_filter,
    date_key,
    date_value,
    field_value,
    int_filter,
    integer_filters,
    number_key,
    parse_day_or_moment,
    parse_int,
    parse_int_list,
    parse_text,
    parse_text_list,
    same_day_or_moment,
    text_filter,
    text_in_filter,
    text_key,
    text_value,
    v3_date_filters,
)
from .resources import SITES, V2, V2_ALL, V3, V3_CURSOR, Resource, scaled

if TYPE_CHECKING:
    from .data import StoreData

MARKETING_SCOPE = "store_v2_marketing"
INFORMATION_SCOPE = "store_v2_information"
CONTENT_SCOPE = "store_v2_content"
SITES_SCOPE = "store_sites"
PRODUCTS_SCOPE = "store_v2_products"
CUSTOMERS_SCOPE = "store_v2_customers"
ORDERS_SCOPE = "store_v2_orders"
CHANNELS_SCOPE = "store_channel_settings"

PROMOTIONS_LAUNCH = datetime(2019, 6, 1, tzinfo=UTC)  # coupon promotions (and their v2 placeholders) since then
STORE_NAME = "Local Café & Co ☕"
STORE_EMAIL = "orders@local-store.example"
# The store's sites, fixed so that redirects (declared before sites) can name them: id -> (channel, url).
SITE_URLS = {1000: (1, "https://local-store.example"), 1001: (3, "https://social.local-store.example")}


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _ids(rng: random.Random, n: int, first: int = 1) -> list[int]:
    """Increasing ids with a few gaps (records deleted before the sync), as data.py makes them."""
    ids, next_id = [], first
    for _ in range(n):
        ids.append(next_id)
        next_id += 1 + (rng.randint(1, 3) if rng.random() < 0.05 else 0)
    return ids


def _code(rng: random.Random, length: int = 9) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(length))


def _nested(*path: str) -> Callable[[dict], object]:
    """A record value below the top level (None where any step is missing), casefolded if text."""
    def read(record: dict):
        value = record
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        return value.casefold() if isinstance(value, str) else value

    return read


@dataclass(frozen=True)
class NestedSortField(SortField):
    """Sort on a value below the top level (redirects sort `type` on `to.type`)."""

    path: tuple = ()

    def of(self, record) -> tuple:
        return self.key(_nested(*self.path)(record))


STARTS_WITH = lambda have, wanted: have is not None and have.startswith(wanted)  # noqa: E731


# --------------------------------------------------------------------------------------------------
# coupons: GET /v2/coupons
# --------------------------------------------------------------------------------------------------

COUPON_TYPES = ("per_item_discount", "percentage_discount", "per_total_discount", "shipping_discount", "free_shipping")
COUPON_NAMES = ["Summer Sale ☀️", "Black Friday", "Bienvenue -10 %", "新春セール", "Back to School", "VIP 🌟",
                "Free Shipping Weekend", "Zoë's Friends", "Cyber Monday", "Newsletter Welcome", "Rentrée",
                "Sommerschlussverkauf", "Loyalty Thank You", "Spring Refresh 🌸", "Holiday Gift Guide"]
PROMOTION_NAMES = ["Buy 2 Get 1 Free", "Free Mug ☕ over $75", "15% off Kitchen", "Weekend Flash Sale ⚡",
                   "Member Price Week", "抹茶 Matcha Month", "Free Shipping over $50", "Bundle & Save",
                   "Happy Hour 🕔", "Clearance — Extra 20%", "Nouveautés -15 %", "Rabatt auf Textilien"]


def generate_coupons(rng: random.Random, data: "StoreData") -> list[dict]:
    """Legacy coupons in id (= creation) order; the newest ~1 in 8 are promotion placeholders."""
    n = scaled(data, 40)
    created = sorted(between(rng, START, END) for _ in range(n))
    late = [i for i, when in enumerate(created) if when >= PROMOTIONS_LAUNCH] or [n - 1]
    placeholders = set(rng.sample(late, min(len(late), max(2, n // 8))))
    categories, products = list(data.records["categories"]), list(data.records["products"])
    out, codes, names = [], set(), set()
    for i, (cid, when) in enumerate(zip(_ids(rng, n), created)):
        code = _code(rng)
        while code in codes:
            code = _code(rng)
        codes.add(code)
        promo = i in placeholders
        base = rng.choice(PROMOTION_NAMES if promo else COUPON_NAMES)
        name = f"{base} {when.year}"
        if name in names:  # coupon names are unique in BigCommerce
            name = f"{name} #{cid}"
        names.add(name)
        max_uses = rng.choice([0, 0, 50, 100, 500])
        num_uses = rng.randint(0, max_uses or 300)
        expires = between(rng, when, END) if rng.random() < 0.35 else None
        rec = {
            "id": cid, "date_created": iso(when), "num_uses": num_uses, "name": name,
            "type": "promotion", "amount": "0.0000", "min_purchase": "0.0000",
            "expires": iso(expires) if expires else None,
            "enabled": rng.random() > 0.2, "code": code, "applies_to": None,
            "max_uses": max_uses, "max_uses_per_customer": rng.choice([0, 0, 1, 2]),
            "restricted_to": [], "shipping_methods": None,
        }
        if not promo:
            kind = rng.choice(COUPON_TYPES)
            amount = {"percentage_discount": rng.choice([500, 1000, 1500, 2500]), "free_shipping": 0,
                      "shipping_discount": rng.choice([500, 1000])}.get(kind, rng.choice([500, 1000, 2000, 2500]))
            entity = rng.choice(["categories", "categories", "products"])
            ids = [0] if entity == "categories" and rng.random() < 0.6 else \
                sorted(rng.sample(categories if entity == "categories" else products, rng.randint(1, 3)))
            place = rng.choice(PLACES)
            rec.update(
                type=kind, amount=money(amount), min_purchase=money(rng.choice([0, 0, 2500, 5000, 10000])),
                applies_to={"ids": ids, "entity": entity},
                restricted_to={"countries": place[1]} if rng.random() < 0.25 else {},
                shipping_methods=rng.choice([["shipping_endicia"], ["shipping_flatrate", "shipping_upsready"]])
                if kind in ("free_shipping", "shipping_discount") and rng.random() < 0.5 else [],
            )
        out.append(rec)
    return out


# v2 spells the id range `min_id`/`max_id` (inclusive).
V2_ID_RANGE = (Filter("min_id", field_value("id"), parse_int, AT_LEAST), Filter("max_id", field_value("id"), parse_int, AT_MOST))
COUPON_FILTERS = (
    int_filter("id", "id"), text_filter("code", "code"), text_filter("name", "name"), text_filter("type", "type"),
    Filter("exclude_type", text_value("type"), parse_text, NOT_EQUAL), *V2_ID_RANGE,
)


# --------------------------------------------------------------------------------------------------
# promotions: GET /v3/promotions
# --------------------------------------------------------------------------------------------------


def _item_matcher(rng: random.Random, data: "StoreData") -> dict:
    pick = lambda table, k: sorted(rng.sample(list(data.records[table]), min(k, len(data.records[table]))))  # noqa: E731
    kind = rng.choice(["brands", "categories", "products", "or", "not"])
    if kind == "or":
        return {"or": [{"brands": pick("brands", 1)}, {"categories": pick("categories", 2)}]}
    if kind == "not":
        return {"not": {"products": pick("products", 2)}}
    return {kind: pick(kind, rng.randint(1, 3))}


def _rule(rng: random.Random, data: "StoreData") -> dict:
    kind = rng.choice(["cart_value", "cart_items", "shipping", "gift_item", "fixed_price_set"])
    discount = rng.choice([{"percentage_amount": rng.choice(["10", "15", "20"])},
                           {"fixed_amount": rng.choice(["5", "10.00", "12.50"])}])
    condition = {"cart": {"minimum_spend": rng.choice(["50", "75.5", "100"])}} if rng.random() < 0.6 else None
    if kind == "cart_value":
        action = {"cart_value": {"discount": discount, "maximum_allowed_discount_amount": rng.choice([None, "50"])}}
    elif kind == "cart_items":
        action = {"cart_items": {"discount": discount, "maximum_allowed_discount_amount": None, "as_total": False,
                                 "items": _item_matcher(rng, data), "include_items_considered_by_condition": True,
                                 "exclude_items_on_sale": rng.random() < 0.3, "strategy": "LEAST_EXPENSIVE",
                                 "quantity": rng.randint(1, 3), "add_free_item": False}}
        if rng.random() < 0.5:
            condition = {"cart": {"items": _item_matcher(rng, data), "minimum_quantity": rng.randint(2, 3)}}
    elif kind == "shipping":
        action = {"shipping": {"free_shipping": True, "zone_ids": rng.choice(["*", [1], [1, 2]])}}
    elif kind == "gift_item":
        product = data.records["products"][rng.choice(list(data.records["products"]))]
        action = {"gift_item": {"quantity": 1, "product_id": product["id"],
                                "variant_id": product["variants"][0]["id"] if product["variants"] else None}}
        condition = {"cart": {"minimum_spend": "75"}}
    else:
        action = {"fixed_price_set": {"quantity": 3, "fixed_price": "25.00", "items": _item_matcher(rng, data),
                                      "strategy": "MOST_EXPENSIVE", "exclude_items_on_sale": False,
                                      "include_items_considered_by_condition": True}}
    return {"action": action, "apply_once": rng.random() < 0.8, "stop": rng.random() < 0.3, "condition": condition}


def generate_promotions(rng: random.Random, data: "StoreData") -> list[dict]:
    """Automatic promotions, one COUPON promotion per v2 placeholder coupon (same code, name and uses)
    and a BULK coupon promotion; ids in start_date order."""
    groups = list(data.records.get("customer_groups", {}))
    drafts = []
    for coupon in (c for c in data.records["coupons"].values() if c["type"] == "promotion"):
        drafts.append(("COUPON", _moment(coupon["date_created"]), coupon))
    for _ in range(scaled(data, 10)):
        drafts.append(("AUTOMATIC", between(rng, PROMOTIONS_LAUNCH, END), None))
    drafts.append(("BULK", between(rng, PROMOTIONS_LAUNCH, END), None))
    drafts.sort(key=lambda draft: draft[1])
    out, code_id = [], 0
    for pid, (kind, start, coupon) in zip(_ids(rng, len(drafts)), drafts):
        coupon_promo = kind != "AUTOMATIC"
        end = coupon["expires"] if coupon else (iso(between(rng, start, END)) if rng.random() < 0.5 else None)
        max_uses = (coupon["max_uses"] or None) if coupon else rng.choice([None, None, 100, 1000])
        uses = coupon["num_uses"] if coupon else rng.randint(0, max_uses or 2000)
        enabled = coupon["enabled"] if coupon else rng.random() > 0.2
        others = rng.random() < 0.6
        group_ids = sorted(rng.sample(groups, min(len(groups), rng.randint(1, 2)))) if groups and rng.random() < 0.25 else []
        rec = {
            "id": pid, "redemption_type": "COUPON" if coupon_promo else "AUTOMATIC",
            "name": coupon["name"] if coupon else f"{rng.choice(PROMOTION_NAMES)} {start.year} #{pid}",
            "display_name": rng.choice(["", "Limited time offer ✨", "Offre spéciale", "期間限定"]),
            "channels": rng.choice([[], [], [{"id": 1}], [{"id": 1}, {"id": 3}]]),
            "customer": {"group_ids": group_ids, "minimum_order_count": rng.choice([0, 0, 0, 1, 5]),
                         "excluded_group_ids": [],
                         "segments": {"id": [uuid(rng)]} if rng.random() < 0.15 else None},
            "rules": [_rule(rng, data) for _ in range(rng.choice([1, 1, 1, 2]))],
            "current_uses": uses, "max_uses": max_uses,
            "status": rng.choice(["ENABLED"] * 9 + ["INVALID"]) if enabled else "DISABLED",
            "start_date": iso(start), "end_date": end, "stop": rng.random() < 0.2,
            "can_be_used_with_other_promotions": others,
            "currency_code": rng.choice(["USD", "USD", "USD", "*", "EUR"]),
            "notifications": [] if rng.random() < 0.5 else [
                {"content": rng.choice(["Congratulations! You’ve received free shipping! 🚚",
                                        "Add %CONDITION.MINIMUM_SPEND% more to get a free gift 🎁",
                                        "Félicitations ! Votre remise est appliquée."]),
                 "type": rng.choice(["UPSELL", "ELIGIBLE", "APPLIED"]),
                 "locations": sorted(rng.sample(["HOME_PAGE", "PRODUCT_PAGE", "CART_PAGE", "CHECKOUT_PAGE"], 2))}],
            "shipping_address": rng.choice([None, None, {"countries": [{"iso2_country_code": "US"}]},
                                            {"not": {"countries": [{"iso2_country_code": "JP"}]}}]),
            "schedule": None if rng.random() < 0.7 else {
                "week_frequency": 1, "week_days": rng.choice([["Saturday", "Sunday"], ["Friday"]]),
                "daily_start_time": "09:00:00", "daily_end_time": "21:30:00"},
            "created_from": rng.choice(["react_ui", "react_ui", "legacy_ui", "api"]),
            "codes": None, "coupon_overrides_other_promotions": None,
            "coupon_overrides_automatic_when_offering_higher_discounts": None,
            "multiple_codes": None, "coupon_type": None,
        }
        if coupon_promo:
            override = (not others) and rng.random() < 0.5
            code_id += 1
            rec.update(coupon_overrides_other_promotions=override,
                       coupon_overrides_automatic_when_offering_higher_discounts=override,
                       multiple_codes={"has_multiple_codes": kind == "BULK"},
                       coupon_type="BULK" if kind == "BULK" else "SINGLE")
            if coupon:
                rec["codes"] = {"id": code_id, "code": coupon["code"], "current_uses": uses, "max_uses": coupon["max_uses"],
                                "max_uses_per_customer": coupon["max_uses_per_customer"], "created": coupon["date_created"]}
        out.append(rec)
    return out


def _promotion_code(record: dict) -> Optional[str]:
    code = (record.get("codes") or {}).get("code")
    return code.casefold() if isinstance(code, str) else None


PROMOTION_FILTERS = (
    int_filter("id", "id"), text_filter("name", "name"),
    Filter("code", _promotion_code, parse_text, EQUALS),
    text_filter("currency_code", "currency_code"), text_filter("redemption_type", "redemption_type"),
    text_filter("status", "status"),
    # "promotions that target all the channels are included in the filtering result"
    Filter("channels", lambda r: frozenset(c["id"] for c in r["channels"]), parse_int_list,
           lambda have, wanted: not have or bool(have & wanted)),
    Filter("query", lambda r: ((r["name"] or "").casefold(), _promotion_code(r) or ""), parse_text,
           lambda have, wanted: any(wanted in part for part in have)),
)
# `priority` is the merchant's drag-and-drop order, which the record does not carry: here it is id order.
PROMOTION_SORTING = Sorting("direction", {"id": SortField("id", number_key), "name": SortField("name", text_key),
                                          "priority": SortField("id", number_key),
                                          "start_date": SortField("start_date", date_key)})


# --------------------------------------------------------------------------------------------------
# gift_certificates: GET /v2/gift_certificates
# --------------------------------------------------------------------------------------------------

GIFT_TEMPLATES = ("birthday.html", "girl.html", "boy.html", "celebration.html", "christmas.html", "general.html")


def generate_gift_certificates(rng: random.Random, data: "StoreData") -> list[dict]:
    """Bought in an order (purchase_date = the order's date_created) or issued by the merchant."""
    n = scaled(data, 30)
    orders = data.records["orders"]
    bought = sorted(rng.sample(list(orders), min(len(orders), round(n * 0.6))))
    drafts = [(_moment(orders[oid]["date_created"]), orders[oid]) for oid in bought]
    drafts += [(between(rng, START, END), None) for _ in range(n - len(drafts))]
    drafts.sort(key=lambda draft: (draft[0], draft[1]["id"] if draft[1] else 0))
    out, codes = [], set()
    for gid, (bought_at, order) in zip(_ids(rng, n), drafts):
        code = "-".join(_code(rng, 3) for _ in range(4))
        while code in codes:
            code = "-".join(_code(rng, 3) for _ in range(4))
        codes.add(code)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        amount = rng.choice([2500, 5000, 5000, 10000, 20000])
        expiry = min(bought_at + timedelta(days=rng.choice([365, 730])), END) if rng.random() < 0.5 else None
        status = rng.choice(["active"] * 8 + ["disabled"])
        if expiry and expiry < END - timedelta(days=30):
            status = "expired"
        if order and order["status_id"] in (0, 1, 7):
            status = "pending"
        balance = amount if status == "pending" else rng.choice([amount, amount, amount // 2, 0])
        billing = order["billing_address"] if order else None
        out.append({
            "id": gid, "customer_id": order["customer_id"] if order else 0, "order_id": order["id"] if order else 0,
            "code": code, "to_name": f"{first} {last}",
            "to_email": f"{slug(first, 'friend')}.{slug(last, 'gift')}.{gid}@example.net",
            "from_name": f"{billing['first_name']} {billing['last_name']}" if billing else STORE_NAME,
            "from_email": billing["email"] if billing else STORE_EMAIL,
            "amount": money(amount), "balance": money(balance), "status": status,
            "template": rng.choice(GIFT_TEMPLATES),
            "message": rng.choice(["", "Happy Birthday! 🎂", "お誕生日おめでとう", "Joyeux Noël 🎄", "Thank you — merci!"]),
            "purchase_date": iso(bought_at), "expiry_date": iso(expiry) if expiry else None,
            "currency_code": order["currency_code"] if order else "USD",
        })
    return out


GIFT_CERTIFICATE_FILTERS = V2_ID_RANGE + (
    text_filter("code", "code"), int_filter("order_id", "order_id"),
    text_filter("to_name", "to_name"), text_filter("to_email", "to_email"),
    text_filter("from_name", "from_name"), text_filter("from_email", "from_email"),
)


# --------------------------------------------------------------------------------------------------
# banners: GET /v2/banners
# --------------------------------------------------------------------------------------------------


def generate_banners(rng: random.Random, data: "StoreData") -> list[dict]:
    n = scaled(data, 8)
    created = sorted(between(rng, START, END) for _ in range(n))
    out = []
    for bid, when in zip(_ids(rng, n), created):
        page = rng.choice(["home_page", "home_page", "category_page", "brand_page", "search_page"])
        item = rng.choice(list(data.records["categories"])) if page == "category_page" else \
            rng.choice(list(data.records["brands"])) if page == "brand_page" else 0
        custom = rng.random() < 0.4
        start = between(rng, when, END) if custom else None
        title = rng.choice(["Free shipping over $50 🚚", "Soldes d’été", "新作入荷", "Sale ends Sunday", "Gift cards 🎁"])
        out.append({
            "id": bid, "date_created": iso(when), "name": f"{title} ({bid})",
            "content": f"<p><strong>{title}</strong> — <a href=\"/sale/\">shop now</a></p>",
            "page": page, "location": rng.choice(["top", "bottom"]),
            "date_type": "custom" if custom else "always",
            "date_from": iso(start) if start else None,
            "date_to": iso(between(rng, start, min(start + timedelta(days=30), END))) if start else None,
            "visible": rng.choice(["1", "1", "1", "0"]), "item_id": str(item),
        })
    return out


# --------------------------------------------------------------------------------------------------
# currencies, tax_classes: GET /v2/currencies, GET /v2/tax_classes (store settings, fixed)
# --------------------------------------------------------------------------------------------------


def generate_currencies(rng: random.Random, data: "StoreData") -> list[dict]:
    fixed = [  # code, name, token, location, decimal, thousands, places, rate, iso2, countries
        ("USD", "US Dollar", "$", "left", ".", ",", 2, "1.0000000000", "US", ["US"]),
        ("EUR", "Euro", "€", "right", ",", ".", 2, "0.9213000000", "EU", ["DE", "FR"]),
        ("JPY", "日本円", "¥", "left", ".", ",", 0, "156.4200000000", "JP", ["JP"]),
    ]
    out = []
    for cid, (code, name, token, where, dec, thou, places, rate, iso2, countries) in enumerate(fixed, 1):
        out.append({
            "id": cid, "is_default": cid == 1, "last_updated": iso(between(rng, START + timedelta(days=30 * cid), END)),
            "country_iso2": iso2, "default_for_country_codes": countries, "currency_code": code,
            "currency_exchange_rate": rate, "name": name, "token": token, "auto_update": cid == 2,
            "decimal_token": dec, "decimal_places": places, "thousands_token": thou, "token_location": where,
            "is_transactional": cid != 3, "enabled": True, "use_default_name": cid != 3,
        })
    return out


def generate_tax_classes(rng: random.Random, data: "StoreData") -> list[dict]:
    """BigCommerce's three built-in classes plus one the merchant added. Ids are strings [taxClass_Full]."""
    names = ["Non-Taxable Products", "Shipping", "Gift Wrapping", "Livres & presse (taux réduit) 📚"]
    out = []
    for tid, name in enumerate(names, 1):
        created = START if tid < 4 else between(rng, START, END)
        out.append({"id": str(tid), "name": name, "created_at": iso(created),
                    "updated_at": iso(between(rng, created, END)) if rng.random() < 0.5 else iso(created)})
    return out


# --------------------------------------------------------------------------------------------------
# shipping_zones, shipping_methods: GET /v2/shipping/zones, GET /v2/shipping/zones/{zone_id}/methods
# --------------------------------------------------------------------------------------------------


def generate_shipping_zones(rng: random.Random, data: "StoreData") -> list[dict]:
    zones = [
        ("United States", "country", [("US", None, None)]),
        ("Austin — local delivery", "zip", [("US", "TX", "78701"), ("US", "TX", "78702"), ("US", "TX", "78704")]),
        ("Europe 🇪🇺", "country", [("DE", None, None), ("FR", None, None), ("GB", None, None)]),
        ("日本 · 東京都", "state", [("JP", "13", None)]),
    ]
    out, location_id = [], 0
    for zid, (name, kind, places) in enumerate(zones, 1):
        locations = []
        for country, state, zip_code in places:
            location_id += 1
            locations.append({"id": location_id, "zip": zip_code, "country_iso2": country, "state_iso2": state})
        fees = {"fixed_surcharge": money(rng.choice([0, 0, 250])), "display_separately": rng.random() < 0.5} \
            if rng.random() < 0.7 else {"percentage_surcharge": rng.choice(["2.5", "5"]), "display_separately": False}
        out.append({
            "id": zid, "name": name, "type": kind, "locations": locations,
            "free_shipping": {"enabled": zid != 4, "minimum_sub_total": money(rng.choice([5000, 7500, 10000])),
                              "exclude_fixed_shipping_products": rng.random() < 0.3},
            "handling_fees": fees, "enabled": zid != 4 or rng.random() < 0.5,
        })
    return out


def generate_shipping_methods(rng: random.Random, data: "StoreData") -> list[dict]:
    """1-3 methods per zone, ids across zones; `zone_id` is the connector's (from the path)."""
    kinds = [("Flat Rate", "perorder"), ("Ship by Weight", "weight"), ("USPS®", "usps"), ("UPS®", "upsready"),
             ("Free Shipping", "freeshipping"), ("Per Item", "peritem"), ("By Order Total", "total")]
    channels = list(data.records["channels"])
    out, mid = [], 0
    for zone in data.records["shipping_zones"].values():
        for name, kind in rng.sample(kinds, rng.randint(1, 3)):
            mid += 1 + (1 if rng.random() < 0.1 else 0)
            if kind in ("perorder", "peritem"):
                settings = {"rate": rng.choice([5.0, 7.95, 12.0])}
            elif kind in ("weight", "total"):
                settings = {"default_cost": 0, "default_cost_type": "fixed_amount",
                            "range": [{"lower_limit": lo, "upper_limit": lo + 20, "shipping_cost": cost}
                                      for lo, cost in ((0, 8), (20, 12), (40, 18))]}
            elif kind in ("usps", "upsready"):
                settings = {"carrier_options": {"delivery_services": ["Ground", "Express"], "packaging": [],
                                                "destination_type": "residential"}}
            else:
                settings = {}
            out.append({
                "id": mid, "zone_id": zone["id"], "name": name, "type": kind, "settings": settings,
                "enabled": rng.random() > 0.15,
                "handling_fees": {"fixed_surcharge": rng.choice([0, 0, 1.5])} if rng.random() < 0.8
                else {"percentage_surcharge": 5},
                "is_fallback": kind == "perorder" and rng.random() < 0.3,
                "channel_ids": sorted(rng.sample(channels, rng.randint(1, len(channels)))),
            })
    return out


# --------------------------------------------------------------------------------------------------
# blog_posts: GET /v2/blog/posts
# --------------------------------------------------------------------------------------------------

BLOG_TITLES = ["How to care for linen", "Our favourite mugs ☕", "Behind the scenes at the studio", "抹茶の楽しみ方",
               "Ten gift ideas under $50 🎁", "Meet the makers: Fog Linen", "Décorer sa table d’été",
               "Spring planting guide 🌱", "Why we love ceramics", "Hygge at home", "Holiday shipping dates",
               "Tee & Kaffee: unsere Lieblinge"]
BLOG_TAGS = ["news", "how-to", "gifts", "kitchen", "garden", "behind the scenes", "和食器", "soldes"]


def generate_blog_posts(rng: random.Random, data: "StoreData") -> list[dict]:
    n = scaled(data, 25)
    published = sorted(between(rng, START, END) for _ in range(n))
    out, urls = [], set()
    for pid, when in zip(_ids(rng, n), published):
        title = rng.choice(BLOG_TITLES)
        url = f"/blog/{slug(title, 'post')}/"
        if url in urls:
            url = f"/blog/{slug(title, 'post')}-{pid}/"
        urls.add(url)
        text = f"{title}. Notes from the shop — ようこそ, bienvenue, welcome 👋"
        out.append({
            "id": pid, "title": title, "url": url, "preview_url": url,
            "body": f"<h2>{title}</h2><p>{text}</p>", "tags": sorted(rng.sample(BLOG_TAGS, rng.randint(0, 3))),
            "summary": f"<p>{text[:60]} [...]</p>", "is_published": rng.random() < 0.85,
            "published_date": {"timezone_type": 1, "date": when.strftime("%Y-%m-%d %H:%M:%S.000000"), "timezone": "+00:00"},
            "published_date_iso8601": iso(when),
            "meta_description": rng.choice([None, "", f"{title} — Local Café journal"]),
            "meta_keywords": rng.choice([None, "", "linen,home,gifts"]),
            "author": rng.choice([None, "", "Zoë Müller", "Hiroshi Nakamura"]),
            "thumbnail_path": rng.choice([None, "", f"/product_images/uploaded_images/{slug(title, 'post')}.jpg"]),
        })
    return out


BLOG_FILTERS = (
    bool_filter("is_published", "is_published"), text_filter("url", "url"),
    Filter("tag", lambda r: frozenset(t.casefold() for t in r["tags"] or ()), parse_text,
           lambda have, wanted: wanted in have),
    Filter("published_date", date_value("published_date_iso8601"), parse_day_or_moment, same_day_or_moment),
)


# --------------------------------------------------------------------------------------------------
# redirects: GET /v3/storefront/redirects
# --------------------------------------------------------------------------------------------------


def generate_redirects(rng: random.Random, data: "StoreData") -> list[dict]:
    n = scaled(data, 30)
    tables = {"product": "products", "brand": "brands", "category": "categories", "page": "pages", "post": "blog_posts"}
    out, paths = [], set()
    for rid in _ids(rng, n):
        site_id = rng.choice([1000, 1000, 1000, 1001])
        base = SITE_URLS[site_id][1]
        kind = rng.choice(["product", "product", "brand", "category", "page", "post", "url"])
        if kind == "url":
            target = rng.choice(["/sale/", "/gift-certificates.php", "https://www.instagram.com/local.cafe/"])
            to = {"type": "url", "entity_id": None, "url": target}
            word = "promo"
        else:
            entity = data.records[tables[kind]][rng.choice(list(data.records[tables[kind]]))]
            target = entity["custom_url"]["url"] if "custom_url" in entity else entity["url"]
            to = {"type": kind, "entity_id": entity["id"], "url": None}
            word = slug(entity.get("name") or entity.get("title") or kind, kind)
        path = f"/old-{word}/"
        while (site_id, path) in paths:  # from_path is unique per site
            path = f"/old-{word}-{rng.randint(2, 999)}/"
        paths.add((site_id, path))
        out.append({"id": rid, "site_id": site_id, "from_path": path, "to": to,
                    "to_url": target if target.startswith("http") else f"{base}{target}"})
    return out


REDIRECT_FILTERS = (
    int_filter("site_id", "site_id"), *integer_filters("id", "id", "in min max"),
    # "Will only search from the beginning of a URL path": `blue` matches `/blue-shirt`, not `/royal-blue`.
    Filter("keyword", lambda r: r["from_path"].casefold().lstrip("/"), lambda text, _now=None: text.casefold().lstrip("/"),
           STARTS_WITH),
)
REDIRECT_SORTING = Sorting("direction", {"from_path": SortField("from_path", text_key),
                                         "type": NestedSortField("to", text_key, path=("to", "type")),
                                         "site_id": SortField("site_id", number_key), "id": SortField("id", number_key)})


# --------------------------------------------------------------------------------------------------
# sites: GET /v3/sites
# --------------------------------------------------------------------------------------------------


def generate_sites(rng: random.Random, data: "StoreData") -> list[dict]:
    out = []
    for sid, (channel_id, url) in SITE_URLS.items():
        created = _moment(data.records["channels"][channel_id]["date_created"]) + timedelta(hours=rng.randint(1, 48))
        updated = between(rng, created, END)
        host = url.split("//", 1)[1]
        urls = [{"url": url, "type": "primary", "created_at": iso(created), "updated_at": iso(updated)},
                {"url": f"https://www.{host}", "type": "canonical", "created_at": iso(created), "updated_at": iso(created)}]
        if sid == 1000:
            urls.append({"url": f"https://checkout.{host}", "type": "checkout",
                         "created_at": iso(updated), "updated_at": iso(updated)})
        out.append({"id": sid, "url": url, "channel_id": channel_id, "created_at": iso(created),
                    "updated_at": iso(updated), "ssl_status": "dedicated" if sid == 1000 else "shared",
                    "urls": urls, "is_checkout_url_customized": sid == 1000})
    return out


SITE_FILTERS = (
    *integer_filters("channel_id", "channel_id", "in"),
    Filter("url_type:in", lambda r: frozenset(u["type"] for u in r["urls"] or ()), parse_text_list, HAS_ANY_MEMBER),
)


# --------------------------------------------------------------------------------------------------
# metafields: GET /v3/{catalog/products,catalog/variants,customers,orders,catalog/brands,...}/metafields
# --------------------------------------------------------------------------------------------------

# Client ids of the apps that write metafields. OTHER_APPS own the `app_only` ones: this connector is
# none of them, so it never sees those.
APPS = ("erp7c1sync9k2m4q8w0e3r5t6y1u2i3", "feeds4g0o9g1l3e5s7h9o2p4p6i8n1g", "rvw2s8i1o4x6f3a5b7c9d0e2f4g6h8j")
OTHER_APPS = ("priv9a8t7e6a5p4p3o2n1l0y9x8w7v6", "loy4alty8p0i2n4t6s8x1z3c5v7b9n0")
METAFIELD_KEYS = {  # resource type -> (namespace, key, value choices)
    "product": [("erp", "bin_location", ["A-01-03", "B-12-07", "冷蔵-2"]), ("google_shopping", "gtin", ["0712345678911"]),
                ("specs", "material", ["100% linen", "stoneware", "Acier inoxydable"]), ("care", "wash", ["30°C", "hand wash"])],
    "variant": [("erp", "warehouse_sku", ["WH-1001", "WH-2040"]), ("specs", "colour_hex", ["#1E3A5F", "#C0FFEE"]),
                ("feed", "size_system", ["US", "EU", "JP"])],
    "customer": [("crm", "segment", ["VIP 🌟", "wholesale", "新規"]), ("crm", "birthday", ["03-14", "12-25"]),
                 ("loyalty", "tier", ["gold", "silver"])],
    "order": [("erp", "invoice_number", ["INV-2024-0001", "INV-2025-0420"]), ("fulfilment", "warehouse", ["Austin", "München"]),
              ("fraud", "score", ["0.02", "0.91"])],
    "brand": [("seo", "origin_country", ["JP", "DK", "FR"]), ("marketing", "tagline", ["Made slowly.", "Fait main ✋"])],
    "category": [("seo", "h1", ["Shop the kitchen", "和食器コレクション"]), ("merch", "banner_id", ["1", "2", "3"])],
    "channel": [("feed", "last_export", ["ok", "partial"]), ("settings", "locale", ["en-US", "fr-FR", "ja-JP"])],
}
METAFIELD_TABLES = ("product_metafields", "variant_metafields", "customer_metafields", "order_metafields",
                    "brand_metafields", "category_metafields", "channel_metafields")


def visible(record: dict) -> bool:
    """Whether a client that owns none of the `app_only` metafields sees this one. BigCommerce: app_only
    is "Private to the app that owns the field" [products_catalog.v3 metafield permission_set]."""
    return record.get("permission_set") != "app_only"


def _owners(data: "StoreData", resource_type: str) -> list[tuple[int, Optional[datetime]]]:
    """(resource id, its creation time or None) for every resource a metafield may hang on."""
    records = data.records
    if resource_type == "variant":
        return [(v["id"], _moment(p["date_created"])) for p in records["products"].values() for v in p["variants"]]
    table = {"product": "products", "customer": "customers", "order": "orders", "brand": "brands",
             "category": "categories", "channel": "channels"}[resource_type]
    return [(rid, _moment(r["date_created"]) if r.get("date_created") else None) for rid, r in records[table].items()]


def _metafields(rng: random.Random, data: "StoreData", resource_type: str, base: int, first_id: int) -> list[dict]:
    owners = _owners(data, resource_type)
    n = scaled(data, base)
    bulk = datetime(2022, 3, 14, 9, 26, 53, tzinfo=UTC) + timedelta(days=len(resource_type))  # one import, one second
    drafts, seen = [], set()
    for i in range(n * 3):
        if len(drafts) == n:
            break
        resource_id, born = rng.choice(owners)
        namespace, key, values = rng.choice(METAFIELD_KEYS[resource_type])
        private = rng.random() < 0.1 or (i == 0 and n >= 5)  # at least one app_only where the table has a few
        owner = rng.choice(OTHER_APPS) if private else rng.choice(APPS)
        if (resource_id, namespace, key, owner) in seen:  # unique per resource, namespace, key and client
            continue
        seen.add((resource_id, namespace, key, owner))
        born = max(born or START, START)
        if born < bulk and rng.random() < 0.3:
            created, modified = between(rng, born, bulk), bulk
        else:
            created = between(rng, born, END)
            modified = created if rng.random() < 0.5 else between(rng, created, END)
        drafts.append({
            "id": 0, "key": key, "value": rng.choice(values), "namespace": namespace,
            "permission_set": "app_only" if private else rng.choice(["read", "write", "read_and_sf_access",
                                                                     "write_and_sf_access"]),
            "resource_type": resource_type, "resource_id": resource_id,
            "description": rng.choice(["", "", f"{namespace}.{key}", "Synced nightly — 毎晩同期"]),
            "date_created": iso(created), "date_modified": iso(modified), "owner_client_id": owner,
        })
    drafts.sort(key=lambda m: (m["date_created"], m["resource_id"], m["namespace"], m["key"]))
    for mid, draft in zip(_ids(rng, len(drafts), first_id), drafts):
        draft["id"] = mid
    return drafts


def edit_metafield(rng: random.Random, record: dict, now: str) -> None:
    """An app (or the merchant) rewrites the value."""
    record["value"] = f"{record['value'].split(' ✎')[0]} ✎{rng.randint(2, 999)}"
    record["date_modified"] = now


def metafield_resource(resource_type: str, route: str, scope: str, base: int, first_id: int,
                       exact_dates: bool = False) -> Resource:
    """One bulk metafield list. Every list documents the same filters; only orders' also documents the
    exact `date_created`/`date_modified` [orders.v3 getOrdersMetafields]. `resource_id:in` is not in the
    specs' parameter lists (products' `include_fields` enum names it); BigCommerce accepts it."""
    skip = 0 if exact_dates else 1
    return Resource(
        name=f"{resource_type}_metafields", route=route, scope=scope, body=V3_CURSOR,
        generate=lambda rng, data: _metafields(rng, data, resource_type, base, first_id),
        filters=(text_filter("key", "key"), text_in_filter("key:in", "key"), text_filter("namespace", "namespace"),
                 text_in_filter("namespace:in", "namespace"), *integer_filters("resource_id", "resource_id", "in"),
                 *v3_date_filters("date_created")[skip:], *v3_date_filters("date_modified")[skip:]),
        edit=edit_metafield, extra_params=("include_fields", "direction", "after", "before"),
    )


# --------------------------------------------------------------------------------------------------
# the declarations
# --------------------------------------------------------------------------------------------------

RESOURCES = (
    Resource("coupons", "/v2/coupons", MARKETING_SCOPE, V2, generate_coupons, filters=COUPON_FILTERS,
             v2_dates=("date_created", "expires")),
    Resource("promotions", "/v3/promotions", MARKETING_SCOPE, V3, generate_promotions, filters=PROMOTION_FILTERS,
             sorting=PROMOTION_SORTING),
    Resource("gift_certificates", "/v2/gift_certificates", MARKETING_SCOPE, V2, generate_gift_certificates,
             filters=GIFT_CERTIFICATE_FILTERS, sorting=Sorting("direction", {"id": SortField("id", number_key)}),
             epoch_dates=("purchase_date", "expiry_date")),
    Resource("banners", "/v2/banners", MARKETING_SCOPE, V2, generate_banners, filters=V2_ID_RANGE,
             epoch_dates=("date_created", "date_from", "date_to")),
    Resource("currencies", "/v2/currencies", INFORMATION_SCOPE, V2, generate_currencies, v2_dates=("last_updated",)),
    Resource("tax_classes", "/v2/tax_classes", INFORMATION_SCOPE, V2, generate_tax_classes),
    Resource("shipping_zones", "/v2/shipping/zones", INFORMATION_SCOPE, V2_ALL, generate_shipping_zones),
    Resource("shipping_methods", "/v2/shipping/zones/{id}/methods", INFORMATION_SCOPE, V2_ALL,
             generate_shipping_methods, parent=("shipping_zones", "zone_id"), connector_adds=("zone_id",)),
    Resource("blog_posts", "/v2/blog/posts", CONTENT_SCOPE, V2, generate_blog_posts, filters=BLOG_FILTERS),
    Resource("redirects", "/v3/storefront/redirects", CONTENT_SCOPE, V3, generate_redirects, filters=REDIRECT_FILTERS,
             sorting=REDIRECT_SORTING, extra_params=("include",)),
    Resource("sites", "/v3/sites", SITES_SCOPE, SITES, generate_sites, filters=SITE_FILTERS),
    metafield_resource("product", "/v3/catalog/products/metafields", PRODUCTS_SCOPE, 120, 100_001),
    metafield_resource("variant", "/v3/catalog/variants/metafields", PRODUCTS_SCOPE, 100, 200_001),
    metafield_resource("customer", "/v3/customers/metafields", CUSTOMERS_SCOPE, 80, 300_001),
    metafield_resource("order", "/v3/orders/metafields", ORDERS_SCOPE, 100, 400_001, exact_dates=True),
    metafield_resource("brand", "/v3/catalog/brands/metafields", PRODUCTS_SCOPE, 20, 500_001),
    metafield_resource("category", "/v3/catalog/categories/metafields", PRODUCTS_SCOPE, 30, 600_001),
    metafield_resource("channel", "/v3/channels/metafields", CHANNELS_SCOPE, 10, 700_001),
)
