"""The customers group of the local store: addresses, attribute definitions and values, customer groups,
subscribers, segments and wishlists.

Specs (bigcommerce docs repo, `reference/`): customers.v3.yml (addresses, attributes, attribute values),
customers.v2.yml (customer groups), subscribers.v3.yml, segments.v3.yml, wishlists.v3.yml.

Two tables are *views* of the customers: `customer_addresses` and `customer_attribute_values` hold the very
dicts embedded in `data.records["customers"][*]["addresses"|"attributes"]` (not copies), so an edit through
either view shows in both, as one row behind two endpoints does in BigCommerce. Editing an attribute value
does not touch its customer: BigCommerce keeps a customer's `date_modified` when only an attribute value
changes, which is why attribute values are their own incremental stream.
"""

from __future__ import annotations

import random
import weakref
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Optional

from .data import END, FIRST_NAMES, LAST_NAMES, MIGRATION, START, between, iso, money, slug, uuid
from .query import (
    EQUALS,
    ONE_OF,
    Filter,
    bool_filter,
    full_name,
    int_filter,
    integer_filters,
    like_filter,
    parse_text,
    parse_text_list,
    text_filter,
    text_in_filter,
    v3_date_filters,
)
from .resources import V2, V3, Resource, scaled

if TYPE_CHECKING:
    from .data import StoreData

CUSTOMERS_SCOPE = "store_v2_customers"


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --------------------------------------------------------------------------------------------------
# customer_addresses: GET /v3/customers/addresses (bulk, every customer's addresses)
# --------------------------------------------------------------------------------------------------


def generate_addresses(rng: random.Random, data: "StoreData") -> list[dict]:
    """The customers' embedded address dicts themselves, in address-id order (one object, two views)."""
    addresses = [address for customer in data.records["customers"].values() for address in customer["addresses"]]
    return sorted(addresses, key=lambda address: address["id"])


def edit_address(rng: random.Random, record: dict, now: str) -> None:
    """The shopper moves within the building or street. An address has no date, so only a full refresh
    (or re-reading the customer) sees it."""
    street = rng.choice(["742 Evergreen Terrace", "221B Baker St", "1-2-3 Ginza", "Königsallee 92", "8 Rue Cler"])
    record["address1"] = street if street != record["address1"] else f"{street} (rear)"


# --------------------------------------------------------------------------------------------------
# customer_attributes: GET /v3/customers/attributes (definitions)
# --------------------------------------------------------------------------------------------------

# id -> (name, type). Ids 1-3 are the ones data.py's customers hold values for (`_customer`): a tier,
# a size (numeric values) and a colour. The rest have no values yet.
ATTRIBUTE_CATALOGUE = {
    1: ("Loyalty tier", "string"),
    2: ("Shoe size (EU)", "number"),
    3: ("Favourite colour — 好きな色", "string"),
    4: ("Date of birth", "date"),
    5: ("Newsletter frequency", "string"),
    6: ("Référence client", "string"),
    7: ("Trade account number", "number"),
    8: ("Anniversary 💍", "date"),
    9: ("Preferred store", "string"),
    10: ("Pet's name 🐶", "string"),
    11: ("Годовой бюджет", "number"),
    12: ("Opt-in date", "date"),
}
USED_ATTRIBUTE_IDS = (1, 2, 3)


def generate_attributes(rng: random.Random, data: "StoreData") -> list[dict]:
    """6-10 definitions: always 1-3 (the customers' values use them), then a sample of the others.
    A definition exists before the first value that uses it."""
    first_value = {}
    for customer in data.records["customers"].values():
        for value in customer["attributes"]:
            made = _moment(value["date_created"])
            first_value[value["attribute_id"]] = min(made, first_value.get(value["attribute_id"], made))
    extra = sorted(rng.sample([i for i in ATTRIBUTE_CATALOGUE if i not in USED_ATTRIBUTE_IDS], rng.randint(3, 7)))
    records = []
    for aid in (*USED_ATTRIBUTE_IDS, *extra):
        name, kind = ATTRIBUTE_CATALOGUE[aid]
        created = between(rng, START, first_value.get(aid, START + timedelta(days=30)))
        roll = rng.random()
        modified = created if roll < 0.4 else between(rng, created, END)
        records.append({"id": aid, "name": name, "type": kind, "date_created": iso(created), "date_modified": iso(modified)})
    return records


def edit_attribute(rng: random.Random, record: dict, now: str) -> None:
    base = record["name"].split(" (rev ")[0]
    record["name"] = f"{base} (rev {rng.randint(2, 99)})"
    record["date_modified"] = now


# --------------------------------------------------------------------------------------------------
# customer_attribute_values: GET /v3/customers/attribute-values (bulk)
# --------------------------------------------------------------------------------------------------

# The `name` filter of attribute values matches the *definition's* name, which the value record does not
# hold. Each value record remembers its store (weakly), so the filter reads the current name, renames included.
_STORE_OF_VALUE: "weakref.WeakValueDictionary[int, StoreData]" = weakref.WeakValueDictionary()


def attribute_name_of_value(record: dict) -> Optional[str]:
    store = _STORE_OF_VALUE.get(id(record))
    definition = store.records.get("customer_attributes", {}).get(record.get("attribute_id")) if store is not None else None
    if definition is not None:
        name = definition["name"]
    else:  # a copy of a record (or a store being built): the catalogue name
        name = ATTRIBUTE_CATALOGUE.get(record.get("attribute_id"), (None,))[0]
    return name.casefold() if isinstance(name, str) else None


def generate_attribute_values(rng: random.Random, data: "StoreData") -> list[dict]:
    """The customers' embedded attribute dicts themselves, in id order."""
    values = sorted((value for customer in data.records["customers"].values() for value in customer["attributes"]),
                    key=lambda value: value["id"])
    for value in values:
        _STORE_OF_VALUE[id(value)] = data
    return values


ATTRIBUTE_VALUES = {1: ["Gold", "Silver", "Bronze", "Platinum 💎"], 2: ["36", "38", "40", "42", "44", "46"],
                    3: ["藍色", "Verde", "Noir ⚫", "Bordeaux", "Sky blue"]}


def edit_attribute_value(rng: random.Random, record: dict, now: str) -> None:
    """The merchant changes one value; its customer's date_modified stays as it was."""
    choices = [v for v in ATTRIBUTE_VALUES.get(record["attribute_id"], ["Yes", "No"]) if v != record["attribute_value"]]
    record["attribute_value"] = rng.choice(choices)
    record["date_modified"] = now


# --------------------------------------------------------------------------------------------------
# customer_groups: GET /v2/customer_groups
# --------------------------------------------------------------------------------------------------

# Ids 1 and 2 are the groups data.py's customers belong to (`customer_group_id` in 0, 1, 2; 0 = none).
GROUP_NAMES = {1: "Wholesale", 2: "VIP 🌟"}
MORE_GROUP_NAMES = ["Retail", "Trade — Müller & Söhne", "Staff", "卸売パートナー", "Amazon Business", "Influencers ✨",
                    "Newsletter sign-ups", "Écoles & associations"]


def _discount_rules(rng: random.Random, data: "StoreData") -> list[dict]:
    rules = []
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        kind = rng.choice(["all", "category", "product"])
        method = rng.choice(["percent", "percent", "fixed", "price"] if kind == "product" else ["percent", "fixed"])
        rule = {"type": kind, "method": method,
                "amount": money(rng.choice([250, 500, 1000, 1500, 2000]) if method == "percent" else rng.randint(100, 4000))}
        if kind == "category":
            rule["category_id"] = rng.choice(list(data.records["categories"]))
        elif kind == "product":
            rule["product_id"] = rng.choice(list(data.records["products"]))
        if kind == "all" and any(r["type"] == "all" for r in rules):
            continue  # one storewide rule per group
        rules.append(rule)
    return rules


def generate_groups(rng: random.Random, data: "StoreData") -> list[dict]:
    """5-8 groups; 1 and 2 exist before their first member, one group is for guests, one is the default."""
    first_member = {}
    for customer in data.records["customers"].values():
        gid, made = customer["customer_group_id"], _moment(customer["date_created"])
        if gid:
            first_member[gid] = min(made, first_member.get(gid, made))
    n = rng.randint(5, 8)
    ids, next_id = [1, 2], 3
    while len(ids) < n:
        next_id += 1 if rng.random() < 0.2 else 0  # a group deleted long ago
        ids.append(next_id)
        next_id += 1
    names = dict(GROUP_NAMES)
    names.update(zip(ids[2:], rng.sample(MORE_GROUP_NAMES, len(ids) - 2)))
    guests, default = ids[-1], rng.choice(ids[2:-1])
    records = []
    for gid in ids:
        created = between(rng, START, first_member.get(gid, END))
        modified = created if rng.random() < 0.3 else between(rng, created, END)
        access = rng.choice(["all", "all", "all", "specific", "none"]) if gid != guests else "all"
        categories = sorted(rng.sample(list(data.records["categories"]), min(3, len(data.records["categories"])))) \
            if access == "specific" else []
        records.append({
            "id": gid, "name": names[gid], "is_default": gid == default,
            "category_access": {"type": access, "categories": categories},
            "discount_rules": _discount_rules(rng, data) if gid != guests else [],
            "date_created": iso(created), "date_modified": iso(modified),
            "is_group_for_guests": gid == guests,
        })
    return records


def edit_group(rng: random.Random, record: dict, now: str) -> None:
    """The merchant changes the group's storewide discount."""
    percent = rng.choice([300, 750, 1250, 2500])
    rules = [r for r in record["discount_rules"] if r["type"] != "all"]
    old = next((r for r in record["discount_rules"] if r["type"] == "all"), None)
    if old is not None and old["amount"] == money(percent):
        percent += 100
    record["discount_rules"] = [{"type": "all", "method": "percent", "amount": money(percent)}, *rules]
    record["date_modified"] = now


# --------------------------------------------------------------------------------------------------
# subscribers: GET /v3/customers/subscribers
# --------------------------------------------------------------------------------------------------

SUBSCRIBER_IMPORT = MIGRATION + timedelta(minutes=31, seconds=4)  # the newsletter list came over in one go
CONSENTS = [(["marketing_newsletter"], 55), (["marketing_newsletter", "abandoned_cart"], 25),
            (["abandoned_cart"], 8), ([], 12)]


def _consents(rng: random.Random) -> list[str]:
    return list(rng.choices([c for c, _ in CONSENTS], [w for _, w in CONSENTS])[0])


def generate_subscribers(rng: random.Random, data: "StoreData") -> list[dict]:
    """~40% of customers, guests who opted in at checkout, and a few storefront newsletter sign-ups without
    a name. Ids follow date_created (they increment sequentially). Most subscribers older than the
    migration share one date_modified, the night the list was imported."""
    orders_of: dict[int, list[dict]] = {}
    for order in data.records["orders"].values():
        orders_of.setdefault(order["customer_id"], []).append(order)
    made = []  # (created, draft)
    customers = list(data.records["customers"].values())
    for customer in rng.sample(customers, round(0.4 * len(customers))):
        own = orders_of.get(customer["id"], [])
        source = rng.choices(["storefront", "order", "custom"], [55, 35 if own else 0, 10])[0]
        order = rng.choice(own) if source == "order" else None
        if order is not None:
            created = _moment(order["date_created"])
        else:
            start = _moment(customer["date_created"])
            created = between(rng, start, min(END, start + timedelta(days=rng.choice([0, 1, 30, 400]))))
        made.append((created, {"email": customer["email"], "first_name": customer["first_name"],
                               "last_name": customer["last_name"], "source": source,
                               "order_id": order["id"] if order else None,
                               "channel_id": order["channel_id"] if order else customer["origin_channel_id"]}))
    guest_orders = orders_of.get(0, [])
    for order in rng.sample(guest_orders, min(len(guest_orders), scaled(data, 40))):
        billing = order["billing_address"]
        made.append((_moment(order["date_created"]), {
            "email": billing["email"], "first_name": billing["first_name"], "last_name": billing["last_name"],
            "source": "order", "order_id": order["id"], "channel_id": order["channel_id"]}))
    for n in range(scaled(data, 15)):
        word = slug(rng.choice(FIRST_NAMES + LAST_NAMES), "reader")
        made.append((between(rng, START, END), {
            "email": f"{word}.news{n + 1}@example.net", "first_name": "", "last_name": "", "source": "storefront",
            "order_id": None, "channel_id": 1}))
    made.sort(key=lambda pair: pair[0])
    records, next_id = [], 1
    for created, draft in made:
        if created < SUBSCRIBER_IMPORT and rng.random() < 0.85:
            modified = SUBSCRIBER_IMPORT
        else:
            modified = created if rng.random() < 0.5 else between(rng, created, END)
        records.append({"id": next_id, **draft, "consents": _consents(rng),
                        "date_modified": iso(modified), "date_created": iso(created)})
        next_id += 1 + (rng.randint(1, 4) if rng.random() < 0.03 else 0)  # unsubscribed and deleted
    return records


def edit_subscriber(rng: random.Random, record: dict, now: str) -> None:
    """The shopper unsubscribes, or subscribes again."""
    record["consents"] = [] if record["consents"] else rng.choice([["marketing_newsletter"],
                                                                 ["marketing_newsletter", "abandoned_cart"]])
    record["date_modified"] = now


# --------------------------------------------------------------------------------------------------
# customer_segments: GET /v3/segments
# --------------------------------------------------------------------------------------------------

SEGMENTS = [("VIP 🌟", "Spent over $1,000 in the last 12 months"), ("Wholesale buyers", "Trade accounts"),
            ("Lapsed 90 days", "No order in 90 days — win-back campaign"), ("Newsletter — 日本", "Japanese readers"),
            ("Abandoned cart", "Left a cart in the last 7 days"), ("Première commande", ""),
            ("Holiday 2024 🎄", None), ("Loyalty Gold", "Loyalty tier = Gold"), ("Beta testers", "Early access")]


def generate_segments(rng: random.Random, data: "StoreData") -> list[dict]:
    """4-8 segments keyed by uuid, in key (string) order."""
    records = []
    for name, description in rng.sample(SEGMENTS, rng.randint(4, 8)):
        created = between(rng, START + timedelta(days=700), END)
        updated = created if rng.random() < 0.4 else between(rng, created, END)
        records.append({"id": uuid(rng), "name": name, "description": description,
                        "created_at": iso(created), "updated_at": iso(updated)})
    return sorted(records, key=lambda record: record["id"])


# --------------------------------------------------------------------------------------------------
# wishlists: GET /v3/wishlists
# --------------------------------------------------------------------------------------------------

WISHLIST_NAMES = ["My Wish List", "Christmas 🎄", "Birthday", "お気に入り", "Anniversaire", "Wedding registry 💍",
                  "Kitchen refresh", "Для дома"]


def generate_wishlists(rng: random.Random, data: "StoreData") -> list[dict]:
    """~10% of customers keep 1-2 wishlists of 0-5 items; each item names a product and one of its variants."""
    customers = list(data.records["customers"])
    products = list(data.records["products"].values())
    records, wid, item_id = [], 1, 1
    for cid in rng.sample(customers, max(1, round(0.1 * len(customers)))):
        for name in rng.sample(WISHLIST_NAMES, rng.choice([1, 1, 1, 1, 2])):
            items = []
            for product in rng.sample(products, min(len(products), rng.choice([0, 1, 2, 3, 3, 5]))):
                items.append({"id": item_id, "product_id": product["id"],
                              "variant_id": rng.choice(product["variants"])["id"]})
                item_id += 1
            records.append({"id": wid, "customer_id": cid, "name": name, "is_public": rng.random() < 0.25,
                            "token": uuid(rng), "items": items})
            wid += 1 + (1 if rng.random() < 0.05 else 0)
    return records


# --------------------------------------------------------------------------------------------------
# The declarations
# --------------------------------------------------------------------------------------------------

RESOURCES = (
    # Full refresh: an address has no date. `edit` exists so tests can show a full refresh catches a change.
    Resource(
        "customer_addresses", "/v3/customers/addresses", CUSTOMERS_SCOPE, V3, generate_addresses,
        filters=(*integer_filters("id", "id", "in"), text_in_filter("company:in", "company"),
                 Filter("name:in", full_name, parse_text_list, ONE_OF),
                 *integer_filters("customer_id", "customer_id", "in")),
        edit=edit_address, extra_params=("include",),
    ),
    Resource(
        "customer_attributes", "/v3/customers/attributes", CUSTOMERS_SCOPE, V3, generate_attributes,
        filters=(*v3_date_filters("date_created"), *v3_date_filters("date_modified"), text_filter("name", "name"),
                 like_filter("name:like", "name"), text_filter("type", "type")),
        edit=edit_attribute,
    ),
    Resource(
        "customer_attribute_values", "/v3/customers/attribute-values", CUSTOMERS_SCOPE, V3, generate_attribute_values,
        filters=(*integer_filters("customer_id", "customer_id", "in"), *integer_filters("attribute_id", "attribute_id", "in"),
                 Filter("name", attribute_name_of_value, parse_text, EQUALS),
                 *v3_date_filters("date_created"), *v3_date_filters("date_modified")),
        edit=edit_attribute_value,
    ),
    # v2, but its filters are spelled the v3 way (`date_modified:min`), and its dates are not RFC 2822
    # (the spec's example is `2023-07-17 06:30:41`), so no v2_dates.
    Resource(
        "customer_groups", "/v2/customer_groups", CUSTOMERS_SCOPE, V2, generate_groups,
        filters=(text_filter("name", "name"), like_filter("name:like", "name"), bool_filter("is_default", "is_default"),
                 *v3_date_filters("date_created"), *v3_date_filters("date_modified"),
                 bool_filter("is_group_for_guests", "is_group_for_guests")),
        edit=edit_group,
    ),
    Resource(
        "subscribers", "/v3/customers/subscribers", CUSTOMERS_SCOPE, V3, generate_subscribers,
        filters=(*integer_filters("id", "id", "eq in"), text_filter("email", "email"),
                 text_filter("first_name", "first_name"), text_filter("last_name", "last_name"),
                 text_filter("source", "source"), int_filter("order_id", "order_id"),
                 *v3_date_filters("date_created"), *v3_date_filters("date_modified")),
        edit=edit_subscriber,
    ),
    # The segments spec's meta.pagination has no `links`. Full refresh (updated_at has no filter).
    Resource(
        "customer_segments", "/v3/segments", CUSTOMERS_SCOPE, V3, generate_segments,
        filters=(text_in_filter("id:in", "id"),),
    ),
    Resource(
        "wishlists", "/v3/wishlists", CUSTOMERS_SCOPE, V3, generate_wishlists,
        filters=(int_filter("customer_id", "customer_id"),), max_limit=250,
    ),
)
