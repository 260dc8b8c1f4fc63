"""the local store's data: deterministic BigCommerce records built from (seed, scale).

Every record is kept in *canonical form*, exactly what a correct connector must emit:
- dates are ISO 8601 UTC strings `YYYY-MM-DDTHH:MM:SS+00:00`, or None when unset;
- v2 money stays a decimal string as BigCommerce sends it (`"336.3200"`), v3 money is a number;
- order children carry `order_id`; everything else is shaped as the API sends it.

`to_api` renders a record the way BigCommerce sends it (RFC 2822 dates and `""` on v2, v3 sub-lists only
when `include`d). `touch` and `add` play a merchant editing the store.

The shapes follow BigCommerce's OpenAPI specs (orders.v2, customers.v3, catalog products/brands/categories,
pages.v3, channels.v3, store_information.v2, orders.v3 transactions), trimmed to the fields a warehouse
user cares about. Traps the connector must survive are built in on purpose; see `_timeline`.
"""

from __future__ import annotations

import copy
import math
import random
import unicodedata
from bisect import bisect_right
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

STREAMS = ("customers", "orders", "order_products", "transactions", "products",
           "brands", "categories", "pages", "channels", "store")
PRIMARY_KEYS = {stream: "id" for stream in STREAMS}  # the store's id is its hash (a string)

# Dates that v2 sends as RFC 2822 (and as "" when unset); all top level.
V2_DATES = {"orders": ("date_created", "date_modified", "date_shipped"),
            "order_products": ("event_date",),
            "store": ()}
# v3 `include=` names -> the record fields they add. Canonical records hold them all, since the
# connector asks for all of them; the API leaves a field out unless it is included.
INCLUDES = {
    "customers": {"addresses": "addresses", "storecredit": "store_credit_amounts",
                  "attributes": "attributes", "formfields": "form_fields"},
    "products": {"variants": "variants", "images": "images", "custom_fields": "custom_fields"},
    "pages": {"body": "body"},
}
BASE_COUNTS = {"customers": 600, "orders": 1200, "products": 400, "brands": 40, "categories": 60, "pages": 15}

UTC = timezone.utc
START = datetime(2016, 1, 1, tzinfo=UTC)   # the fixed timeline: never the wall clock
END = datetime(2026, 6, 30, tzinfo=UTC)
MIGRATION = datetime(2018, 5, 2, 3, 14, 7, tzinfo=UTC)  # the night the store's history was imported
API = "https://api.bigcommerce.com"
CDN = "https://cdn11.bigcommerce.com"


# ----------------------------------------------------------------------------------------- helpers

def iso(moment: datetime) -> str:
    """Canonical date: UTC, whole seconds, `+00:00`. Naive datetimes are read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def rfc2822(value: str | None) -> str:
    """Canonical date -> v2 wire format (`Tue, 20 Nov 2012 00:00:00 +0000`); None -> ""."""
    return "" if value is None else format_datetime(datetime.fromisoformat(value))


def epoch_text(value: str | None) -> str:
    """Canonical date -> v2 marketing's wire format: Unix seconds as a string; None -> "0"."""
    return "0" if value is None else str(int(datetime.fromisoformat(value).timestamp()))


def money(cents: int) -> str:
    """v2 money: a decimal string with four places, as BigCommerce sends it."""
    return f"{cents // 100}.{cents % 100:02d}00"


def cents(value: str) -> int:
    whole, _, frac = value.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def slug(text: str, fallback: str = "item") -> str:
    """ASCII slug for emails and URLs; names in CJK fall back to a neutral word."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    word = "-".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())
    return word or fallback


def uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    span = int((hi - lo).total_seconds())
    return lo + timedelta(seconds=rng.randint(0, span)) if span > 0 else lo


# Unicode on purpose: accents, CJK, Cyrillic, Arabic, emoji.
FIRST_NAMES = ["James", "Mary", "Olivia", "Liam", "Zoë", "José", "Søren", "Łukasz", "Amélie", "Björn",
               "Chloé", "Mateo", "Aaliyah", "Noah", "Emma", "Hiroshi", "Yuki", "Priya", "Arjun", "Fatima",
               "Omar", "Ingrid", "Siobhán", "Anaïs", "Ольга", "花子", "太郎", "伟", "민준", "مريم"]
LAST_NAMES = ["Smith", "García", "Müller", "O'Brien", "Nakamura", "Kowalski", "Dubois", "Rossi", "Silva",
              "Johnson", "Brown", "Lefèvre", "Øvergård", "Ångström", "Nguyễn", "Papadopoulos", "Иванова",
              "佐藤", "王", "김", "Patel", "Haddad"]
PLACES = [  # country, iso2, state, city, postal code, street
    ("United States", "US", "Texas", "Austin", "78701", "1100 Congress Ave"),
    ("United States", "US", "California", "San Francisco", "94105", "600 Harrison St"),
    ("Canada", "CA", "Québec", "Montréal", "H2X 1Y4", "275 Rue Notre-Dame Est"),
    ("Japan", "JP", "東京都", "渋谷区", "150-0002", "渋谷2-21-1"),
    ("Germany", "DE", "Bayern", "München", "80331", "Marienplatz 8"),
    ("United Kingdom", "GB", "England", "London", "SW1A 1AA", "10 Downing St"),
    ("Australia", "AU", "New South Wales", "Sydney", "2000", "1 Martin Pl"),
    ("France", "FR", "Île-de-France", "Paris", "75001", "5 Rue de Rivoli"),
    ("Brazil", "BR", "São Paulo", "São Paulo", "01310-100", "Av. Paulista, 1578"),
]
PRODUCT_WORDS = ["Chambray", "Linen", "Ceramic", "Orbit", "Oak", "Copper", "Wool", "Matte", "Vintage", "Café",
                 "Nordic", "抹茶", "Sakura 桜", "Fiesta 🎉", "Ember 🔥"]
PRODUCT_NOUNS = ["Towel", "Mug ☕", "Tote", "Journal", "Terrarium", "Candle", "Apron", "Teapot", "Blanket",
                 "Planter", "Notebook", "Backpack", "Scarf", "Lamp", "Crème Tin"]
PRODUCT_TONES = ["Beige Stripe", "Blue", "Charcoal", "Rosé", "Olive", "Ivory", "Noir", "藍"]
BRAND_NAMES = ["Common Good", "Fog Linen", "Ofs", "Sagaform", "Smith Journal", "Café Noir", "Müller & Söhne",
               "東京デザイン", "Nørdic Form", "Kettle & Co", "Úlfur", "Ceramica Bella", "Hanami 花見",
               "Pixel 🎮 Works", "Atelier Élan"]
CATEGORY_NAMES = ["Shop All", "Kitchen", "Bath", "Garden", "Publications", "Utility", "Home Décor", "Lighting",
                  "Textiles", "Gifts 🎁", "Stationery", "Outdoor", "Tea & Coffee", "和食器", "Sale"]
# (status_id, status, weight): BigCommerce's order statuses
STATUSES = [(10, "Completed", 35), (2, "Shipped", 20), (11, "Awaiting Fulfillment", 12), (7, "Awaiting Payment", 4),
            (1, "Pending", 4), (0, "Incomplete", 4), (5, "Cancelled", 4), (4, "Refunded", 4),
            (14, "Partially Refunded", 4), (6, "Declined", 2), (3, "Partially Shipped", 3),
            (9, "Awaiting Shipment", 3), (12, "Manual Verification Required", 1)]
STATUS_NAMES = {sid: name for sid, name, _ in STATUSES}
PAYMENT_STATUS = {0: "", 1: "pending", 7: "pending", 6: "declined", 4: "refunded", 14: "partially refunded",
                  5: "void", 12: "held for review"}
PAYMENTS = [  # payment_method, transaction method, gateway, payment_method_id
    ("Credit Card", "credit_card", "braintree", "braintree.card"),
    ("Credit Card", "credit_card", "stripev3", "stripev3.card"),
    ("PayPal", "electronic_wallet", "paypalexpress", "paypalexpress"),
    ("Store Credit", "store_credit", "storecredit", "storecredit"),
    ("Cash on Delivery", "custom", "cod", "cod"),
    ("Bank Deposit", "offline", "bankdeposit", "bankdeposit"),
]


# ----------------------------------------------------------------------------------------- the store

def _resources() -> tuple:
    from .resources import RESOURCES  # late: resource modules use this module's helpers

    return RESOURCES


def _resource(stream: str):
    from .resources import BY_NAME

    return BY_NAME.get(stream)


class StoreData:
    """Canonical records of one BigCommerce store, per stream, keyed by id, in id order."""

    def __init__(self, seed: int = 1, scale: float = 1.0, store_hash: str = "localstore"):
        self.seed, self.scale, self.store_hash = seed, scale, store_hash
        self.records: dict[str, dict[object, dict]] = {stream: {} for stream in STREAMS}
        self.records.update({resource.name: {} for resource in _resources()})
        # order id -> child ids, so the server can answer /orders/{id}/products without a scan
        self._children: dict[str, dict[int, list[int]]] = {"order_products": {}, "transactions": {}}
        self._last_id: dict[str, int] = {}
        # creation times in id order, so an order only names customers and products that existed
        self._born: dict[str, tuple[list[datetime], list[int]]] = {"customers": ([], []), "products": ([], [])}
        self._product_names: set[str] = set()
        self._rng = random.Random(f"{seed}:changes")  # touch/add: deterministic in call order
        self._build()

    # ---- public API

    def count(self, stream: str) -> int:
        """How many records `stream` starts with at this scale (linear, at least 1)."""
        return max(1, round(BASE_COUNTS[stream] * self.scale))

    def children_of(self, stream: str, order_id: int) -> list[dict]:
        """An order's order_products or transactions, in id order (the canonical records themselves)."""
        table = self.records[stream]
        return [table[i] for i in self._children[stream].get(order_id, ())]

    def to_api(self, stream: str, record: dict, *, base_url_for_links: str = API,
               include: set[str] | frozenset[str] = frozenset()) -> dict:
        """Render one canonical record as BigCommerce sends it: v2 (orders, order_products, store) dates
        RFC 2822 `Tue, 20 Nov 2012 00:00:00 +0000` and "" for None; v3 dates `...+00:00`, None stays null.
        v3 sub-lists (customers, products, pages) appear only when named in `include`. Returns a copy."""
        out = copy.deepcopy(record)
        for field in V2_DATES.get(stream, ()):
            out[field] = rfc2822(out[field])
        for name, field in INCLUDES.get(stream, {}).items():
            if name not in include:
                out.pop(field, None)
        if base_url_for_links != API:
            self._rebase_links(out, base_url_for_links)
        resource = _resource(stream)
        if resource is not None:
            for field in resource.v2_dates:
                out[field] = rfc2822(out.get(field))
            for field in resource.epoch_dates:
                out[field] = epoch_text(out.get(field))
            for field in resource.connector_adds:
                out.pop(field, None)
        return out

    def touch(self, stream: str, key, now: datetime) -> dict:
        """Modify one record as a merchant edit would: date_modified = now (whole seconds, UTC) where the
        resource has one, plus a visible field change. For an order, its order_products/transactions may
        change too (a refund transaction added, a quantity changed, lines shipped). Touching an order
        product changes its quantity and so modifies its order. Returns a copy of the new canonical record."""
        rec = self.records[stream][key]
        stamp, rng = iso(now), self._rng
        if stream == "orders":
            self._touch_order(rec, now)
            from .resources_orders import follow_order_edit

            follow_order_edit(self, rec)
        elif stream == "order_products":
            self._change_quantity(rec, +1)
            self.touch("orders", rec["order_id"], now)
        elif stream == "transactions":
            raise ValueError("transactions never change in BigCommerce; touch their order instead")
        elif stream == "customers":
            rec["notes"] = rng.choice(["VIP 🌟 prefers email", "常連のお客様", "Moved — new address pending", ""])
            rec["phone"] = f"+1 512-555-{rng.randint(0, 9999):04d}"
            for attr in rec["attributes"][:1]:
                attr["attribute_value"] = rng.choice(["Gold", "Silver", "Platinum 💎"])
                attr["date_modified"] = stamp
        elif stream == "products":
            rec["price"] = round(rec["price"] + rng.choice([-1.0, 1.0, 2.5]) if rec["price"] > 3 else 9.95, 2)
            rec["calculated_price"] = rec["sale_price"] or rec["price"]
            rec["inventory_level"] = rng.randint(0, 500)
        elif stream == "brands":
            rec["page_title"] = f"{rec['name']} — {rng.choice(['New season', 'Sale ✨', '新作'])}"
        elif stream == "categories":
            rec["views"] += rng.randint(1, 50)
            rec["is_visible"] = not rec["is_visible"] if rec["parent_id"] else True
        elif stream == "pages":
            rec["meta_description"] = f"Updated ✎ rev {rng.randint(2, 99)}"
        elif stream == "channels":
            rec["name"] = rec["name"].split(" (")[0] + f" ({rng.choice(['EU', 'US', 'Global'])})"
        elif stream == "store":
            rec["phone"] = f"+1 512-555-{rng.randint(0, 9999):04d}"
        elif _resource(stream) is not None:
            resource = _resource(stream)
            if resource.edit is None:
                raise ValueError(f"{stream} is not edited by merchants in this store")
            resource.edit(rng, rec, stamp)
        if "date_modified" in rec:
            rec["date_modified"] = stamp
        return copy.deepcopy(rec)

    def add(self, stream: str, now: datetime) -> dict:
        """Create a new record with the next id, date_created = date_modified = now. A new order gets 1-5
        products and 0-3 transactions. A new order product or transaction joins a random order, which is
        modified. Returns a copy of it."""
        rng = self._rng
        now = datetime.fromisoformat(iso(now))  # UTC, whole seconds
        if stream in ("order_products", "transactions"):
            order = self.records["orders"][rng.choice(list(self.records["orders"]))]
            if stream == "order_products":
                rec = self._line(rng, order, now)
                self._price_order(order)
            else:
                rec = self._transaction(rng, order, "capture", cents(order["total_inc_tax"]), now)
            order["date_modified"] = iso(now)
            from .resources_orders import follow_order_edit

            follow_order_edit(self, order)
            return copy.deepcopy(rec)
        if stream == "store":
            raise ValueError("a store has exactly one store record")
        new_id = self._next_id(stream)
        if stream == "customers":
            rec = self._customer(rng, new_id, now, now)
        elif stream == "orders":
            rec = self._order(rng, new_id, now, now, status_id=11)
            self.records[stream][new_id] = rec
            from .resources_orders import follow_order_edit

            follow_order_edit(self, rec)
        elif stream == "products":
            rec = self._product(rng, new_id, now, now)
        elif stream == "brands":
            rec = self._brand(rng, new_id)
        elif stream == "categories":
            rec = self._category(rng, new_id, list(self.records["categories"]))
        elif stream == "pages":
            rec = self._page(rng, new_id, len(self.records["pages"]))
        else:
            rec = self._channel(new_id, "Pinterest", "marketing", "pinterest", now, now)
        self.records[stream][new_id] = rec
        return copy.deepcopy(rec)

    # Tables that hold a parent's children beyond the per-parent routes: parent -> (tables, field naming the parent)
    OWNED = {"products": (("product_variants", "product_images", "product_custom_fields", "inventory_items",
                           "product_channel_assignments", "product_category_assignments"), "product_id"),
             "customers": (("customer_addresses", "customer_attribute_values"), "customer_id"),
             "orders": (("order_products", "transactions"), "order_id")}

    def delete(self, stream: str, key) -> dict:
        """A merchant deletes one record, and with it what belongs to it (an order's products, a
        product's variants and images, a customer's addresses). Returns the deleted record."""
        record = self.records[stream].pop(key)
        owned_tables, owned_field = self.OWNED.get(stream, ((), ""))
        owned = [(table, owned_field) for table in owned_tables]
        owned += [(r.name, r.parent[1]) for r in _resources() if r.parent and r.parent[0] == stream]
        for table, field_name in owned:
            for child_key in [k for k, r in self.records.get(table, {}).items() if r.get(field_name) == key]:
                del self.records[table][child_key]
        for index in self._children.values():
            if stream == "orders":
                index.pop(key, None)
        return record

    def ground_truth(self, *, base_url_for_links: str = API) -> dict[str, dict[object, dict]]:
        """Deep copy of `records`. Link urls (`{url, resource}` objects at a record's top level: an
        order's children, an address's quotes) are the only values that depend on where the store is
        served: pass the server's base url when comparing with what a connector read from it."""
        truth = copy.deepcopy(self.records)
        if base_url_for_links != API:
            for table in truth.values():
                for record in table.values():
                    self._rebase_links(record, base_url_for_links)
        return truth

    @staticmethod
    def _rebase_links(record: dict, base_url: str) -> None:
        for value in record.values():
            if isinstance(value, dict) and isinstance(value.get("url"), str) and "resource" in value:
                value["url"] = value["url"].replace(API, base_url.rstrip("/"), 1)

    # ---- generation

    def _build(self) -> None:
        seed = self.seed
        self.records["store"][self.store_hash] = self._store()
        for cid, name, kind, platform, created in [
                (1, "Local Storefront", "storefront", "bigcommerce", START),
                (2, "Amazon US", "marketplace", "amazon", datetime(2018, 4, 9, 15, 2, 11, tzinfo=UTC)),
                (3, "Facebook by Meta", "marketing", "facebook", datetime(2021, 11, 23, 8, 45, 0, tzinfo=UTC))]:
            modified = created + timedelta(days=97 * cid, seconds=3600 * cid + 17)
            self.records["channels"][cid] = self._channel(cid, name, kind, platform, created, modified)
            self._last_id["channels"] = cid
        for stream in ("brands", "categories", "pages"):
            rng = random.Random(f"{seed}:{stream}")
            for i, rid in enumerate(self._ids(rng, stream, self.count(stream))):
                if stream == "brands":
                    rec = self._brand(rng, rid)
                elif stream == "categories":
                    rec = self._category(rng, rid, list(self.records["categories"]))
                else:
                    rec = self._page(rng, rid, i)
                self.records[stream][rid] = rec
        # `share` of each stream was imported on MIGRATION night at one second: >= 300 records each at scale 1
        for stream, first_id, share, bulk in [("products", 77, 0.8, MIGRATION),
                                              ("customers", 1, 0.55, MIGRATION + timedelta(minutes=17)),
                                              ("orders", 100, 0.3, MIGRATION + timedelta(minutes=52, seconds=9))]:
            rng = random.Random(f"{seed}:{stream}")
            n = self.count(stream)
            build = {"products": self._product, "customers": self._customer, "orders": self._order}[stream]
            for rid, (created, modified) in zip(self._ids(rng, stream, n, first_id),
                                                self._timeline(rng, n, share, bulk)):
                self.records[stream][rid] = build(rng, rid, created, modified)
        # a few archived orders, always including one in the middle
        rng = random.Random(f"{seed}:deleted")
        ids = list(self.records["orders"])
        for i, oid in enumerate(ids):
            if rng.random() < 0.01 or i == len(ids) // 2:
                self.records["orders"][oid]["is_deleted"] = True

        # The resources beyond the first ten, in declaration order (a generator may read earlier tables).
        for resource in _resources():
            if resource.generate is not None:
                made = resource.generate(random.Random(f"{seed}:{resource.name}"), self)
                self.records[resource.name] = {resource.key_of(record): record for record in made}

    def _ids(self, rng, stream, n, first=1) -> list[int]:
        """Increasing ids with a few gaps (records deleted before the sync), as real stores have."""
        ids, next_id = [], first
        for _ in range(n):
            ids.append(next_id)
            next_id += 1 + (rng.randint(1, 3) if rng.random() < 0.02 else 0)
        self._last_id[stream] = ids[-1]
        return ids

    def _next_id(self, stream: str) -> int:
        self._last_id[stream] = self._last_id.get(stream, 0) + 1
        return self._last_id[stream]

    @staticmethod
    def _timeline(rng, n, share, bulk) -> list[tuple[datetime, datetime]]:
        """(date_created, date_modified) for n records in id order.

        The store moved to BigCommerce on MIGRATION night: the import stamped `share` of all records
        (the oldest ids, created on the old platform since 2016) with one date_modified, `bulk`. That group
        crosses page boundaries at limit=250, which breaks connectors that page with a strict `>`
        bookmark. A few imported records changed later. Records created since then mostly never change
        or change soon after, some years later; together a good share is older than 2020."""
        ties = math.ceil(share * n)
        imported = min(n, ties + math.ceil(0.1 * ties))
        start, end = int((START - bulk).total_seconds()), int((END - bulk).total_seconds())
        created = sorted(rng.randint(start, -1) for _ in range(imported)) + \
            sorted(rng.randint(1, end) for _ in range(n - imported))
        modified = [0] * imported
        for i in rng.sample(range(imported), imported - min(ties, imported)):
            modified[i] = rng.randint(1, end)
        for c in created[imported:]:
            roll = rng.random()
            delay = 0 if roll < 0.4 else rng.randrange(60, 30 * 86400) if roll < 0.8 else \
                rng.randrange(30 * 86400, 3 * 365 * 86400)
            modified.append(min(c + delay, end))
        at = lambda s: bulk + timedelta(seconds=s)
        return [(at(c), at(m)) for c, m in zip(created, modified)]

    def _born_before(self, rng, stream, moment) -> int | None:
        times, ids = self._born[stream]
        k = bisect_right(times, moment)
        return ids[rng.randrange(k)] if k else (rng.choice(ids) if ids else None)

    # ---- record builders (rng passed in, so generation and later edits stay deterministic)

    def _store(self) -> dict:
        h = self.store_hash
        return {
            "id": h, "account_uuid": "8d4d492f-17a1-4d95-b396-e1c5720815a5",
            "domain": "local-store.example", "secure_url": "https://local-store.example",
            "control_panel_base_url": f"https://store-{h}.mybigcommerce.com", "status": "live",
            "name": "Local Café & Co ☕", "first_name": "Zoë", "last_name": "Müller",
            "address": "1100 Congress Ave\nAustin, TX 78701", "country": "United States", "country_code": "US",
            "phone": "+1 512-555-0100", "admin_email": "owner@local-store.example",
            "order_email": "orders@local-store.example",
            "favicon_url": f"{CDN}/s-{h}/product_images/favicon.ico",
            "timezone": {"name": "America/Chicago", "raw_offset": -21600, "dst_offset": -18000,
                         "dst_correction": True,
                         "date_format": {"display": "M jS Y", "export": "M jS Y",
                                         "extended_display": "M jS Y @ g:i A"}},
            "language": "en", "currency": "USD", "currency_symbol": "$", "decimal_separator": ".",
            "thousands_separator": ",", "decimal_places": 2, "currency_symbol_location": "left",
            "weight_units": "Ounces", "dimension_units": "Inches", "dimension_decimal_places": 2,
            "dimension_decimal_token": ".", "dimension_thousands_token": ",",
            "plan_name": "Plus", "plan_level": "Plus", "plan_is_trial": False, "industry": "Home & Garden",
            "logo": {"url": f"{CDN}/s-{h}/product_images/logo__1529512135.png"},
            "is_price_entered_with_tax": False, "store_id": 1000000 + self.seed, "default_channel_id": 1,
            "default_site_id": 1000, "active_comparison_modules": [],
            "features": {"stencil_enabled": True, "sitewidehttps_enabled": True, "facebook_catalog_id": "",
                         "checkout_type": "optimized", "wishlists_enabled": True,
                         "graphql_storefront_api_enabled": True, "shopper_consent_tracking_enabled": True,
                         "multi_storefront_enabled": True,
                         "storefront_limits": {"active": 1, "total_including_inactive": 1}},
        }

    def _channel(self, cid, name, kind, platform, created, modified) -> dict:
        return {
            "id": cid, "name": name, "type": kind, "platform": platform,
            "status": "active" if cid != 3 else "connected", "external_id": None if cid == 1 else f"EXT-{cid:04d}",
            "is_listable_from_ui": cid != 3, "is_visible": True, "is_enabled": True,
            "date_created": iso(created), "date_modified": iso(modified),
            "icon_url": f"https://s3.amazonaws.com/bc-channel-icons/{platform}.svg",
            "config_meta": {"app": {"id": 0 if cid == 1 else 24000 + cid,
                                    "sections": [] if cid == 1 else [{"title": "Settings",
                                                                      "query_path": "settings"}]}},
        }

    def _brand(self, rng, bid) -> dict:
        name = BRAND_NAMES[(bid - 1) % len(BRAND_NAMES)]
        if bid > len(BRAND_NAMES):  # brand names are unique in BigCommerce
            name = f"{name} {bid // len(BRAND_NAMES) + 1}"
        return {
            "id": bid, "name": name, "page_title": name,
            "meta_keywords": rng.choice([[], [slug(name)], [slug(name), "design"]]),
            "meta_description": rng.choice(["", f"Shop {name} at Local Café"]),
            "image_url": rng.choice(["", f"{CDN}/s-{self.store_hash}/product_images/k/{slug(name)}__{bid}.png"]),
            "search_keywords": "", "custom_url": {"url": f"/brands/{slug(name)}-{bid}/", "is_customized": False},
        }

    def _category(self, rng, cid, existing: list[int]) -> dict:
        name = CATEGORY_NAMES[(cid - 1) % len(CATEGORY_NAMES)]
        if cid > len(CATEGORY_NAMES):
            name = f"{name} {cid // len(CATEGORY_NAMES) + 1}"
        parent = 0 if len(existing) < 6 or rng.random() < 0.2 else rng.choice(existing)
        return {
            "id": cid, "parent_id": parent, "name": name,
            "description": rng.choice(["", f"<p>{name}: hand-picked for you ✨</p>"]),
            "views": rng.randint(0, 5000), "sort_order": rng.randint(0, 20), "page_title": "",
            "meta_keywords": [], "meta_description": "", "layout_file": "category.html",
            "image_url": "", "is_visible": rng.random() > 0.1, "search_keywords": "",
            "default_product_sort": rng.choice(["use_store_settings", "featured", "newest", "best_selling"]),
            "custom_url": {"url": f"/{slug(name)}-{cid}/", "is_customized": rng.random() < 0.2},
        }

    def _page(self, rng, pid, index) -> dict:
        fixed = [("Shipping & Returns", "page"), ("About Us", "page"), ("Contact Us", "contact_form"),
                 ("Blog", "blog"), ("Instagram 📸", "link"), ("よくある質問", "page"), ("Über uns", "raw"),
                 ("Size Guide", "page"), ("Privacy Policy", "page")]
        name, kind = fixed[index] if index < len(fixed) else (f"Lookbook {index - len(fixed) + 1}", "page")
        rec = {
            "id": pid, "channel_id": 1, "name": name, "is_visible": rng.random() > 0.1,
            "parent_id": 0 if index < 3 or rng.random() < 0.7 else rng.randint(1, max(1, pid - 1)),
            "sort_order": index, "type": kind, "is_homepage": False, "is_customers_only": rng.random() < 0.1,
            "url": f"/{slug(name)}-{pid}/", "meta_title": rng.choice([None, name]),
            "meta_keywords": rng.choice([None, "", "shop,help"]), "meta_description": "",
            "search_keywords": "",
            "body": None if kind == "link" else f"<h1>{name}</h1><p>Welcome — ようこそ — 欢迎 👋</p>",
        }
        if kind == "link":
            rec["link"] = "https://www.instagram.com/local.cafe/"
            rec["url"] = rec["link"]
        if kind == "contact_form":
            rec["email"] = "help@local-store.example"
            rec["contact_fields"] = "fullname,phone,companyname,orderno"
        return rec

    def _product(self, rng, pid, created, modified) -> dict:
        names = self._product_names
        name = f"{rng.choice(PRODUCT_WORDS)} {rng.choice(PRODUCT_NOUNS)} - {rng.choice(PRODUCT_TONES)}"
        if name in names:  # product names are unique in BigCommerce
            name = f"{name} #{pid}"
        names.add(name)
        price = rng.randint(199, 25000) / 100
        sale = round(price * 0.8, 2) if rng.random() < 0.15 else 0
        preorder = rng.random() < 0.03
        weight = rng.randint(1, 400) / 10
        sku = f"SKU-{pid:05d}"
        cats = sorted(rng.sample(list(self.records["categories"]), min(len(self.records["categories"]),
                                                                         rng.randint(1, 3))))
        variants = []
        if rng.random() < 0.6:  # a product without options still has its one base variant
            variants.append(self._variant(rng, pid, sku, price, weight, []))
        else:
            for size in rng.sample(["S", "M", "L", "XL"], rng.randint(2, 4)):
                variants.append(self._variant(rng, pid, f"{sku}-{size}", price, weight,
                                              [{"id": 100 + "SMLX".index(size[0]), "label": size,
                                                "option_id": 10, "option_display_name": "Size"}]))
        images = []
        for n in range(rng.randint(0, 3)):
            iid = self._next_id("product_images")
            file = f"{slug(name)}__{iid}.{1556232370 + iid}.jpg"
            url = f"{CDN}/s-{self.store_hash}/images/stencil/{{size}}/products/{pid}/{iid}/{file}?c=2"
            images.append({"id": iid, "product_id": pid, "is_thumbnail": n == 0, "sort_order": n,
                           "description": rng.choice(["", name]), "image_file": f"{file[0]}/{iid}/{file}",
                           "url_zoom": url.format(size="1280x1280"), "url_standard": url.format(size="500x659"),
                           "url_thumbnail": url.format(size="100x100"), "url_tiny": url.format(size="44x58"),
                           "date_modified": iso(between(rng, created, modified))})
        fields = [{"id": self._next_id("custom_fields"), "name": key, "value": value}
                  for key, value in rng.sample([("Material", "100% Linen"), ("Origin", "日本製"),
                                                ("Care", "Machine wash 30°"), ("Fit", "Relaxed 👕")],
                                               rng.randint(0, 2))]
        rec = {
            "id": pid, "name": name, "type": "digital" if rng.random() < 0.05 else "physical", "sku": sku,
            "description": f"<p>{name}. Made with care — 丁寧に作られました.</p>",
            "weight": weight, "width": rng.randint(0, 40), "depth": rng.randint(0, 40), "height": rng.randint(0, 40),
            "price": price, "cost_price": round(price * 0.45, 2), "retail_price": round(price * 1.2, 2),
            "sale_price": sale, "map_price": 0, "tax_class_id": rng.choice([0, 0, 1, 2]),
            "calculated_price": sale or price, "categories": cats,
            "brand_id": rng.choice(list(self.records["brands"])) if rng.random() < 0.85 else 0,
            "inventory_level": rng.randint(0, 500), "inventory_warning_level": rng.choice([0, 5, 10]),
            "inventory_tracking": rng.choice(["none", "product", "variant"]), "total_sold": rng.randint(0, 900),
            "is_free_shipping": rng.random() < 0.1, "is_visible": rng.random() > 0.08,
            "is_featured": rng.random() < 0.1, "related_products": [-1], "warranty": "",
            "upc": rng.choice(["", f"0{rng.randint(10**10, 10**11 - 1)}"]),
            "availability": "preorder" if preorder else rng.choice(["available", "available", "disabled"]),
            "condition": "New", "sort_order": 0, "search_keywords": rng.choice(["", "gift, home"]),
            "page_title": "", "meta_keywords": [], "date_created": iso(created), "date_modified": iso(modified),
            "view_count": rng.randint(0, 20000),
            "preorder_release_date": iso(between(rng, created, END)) if preorder else None,
            "is_preorder_only": preorder,
            "custom_url": {"url": f"/{slug(name)}-{pid}/", "is_customized": False},
            "base_variant_id": variants[0]["id"] if len(variants) == 1 else None,
            "reviews_count": (reviews := rng.randint(0, 40)), "reviews_rating_sum": reviews * rng.randint(3, 5),
            "variants": variants, "images": images, "custom_fields": fields,
        }
        self._born["products"][0].append(created)
        self._born["products"][1].append(pid)
        return rec

    def _variant(self, rng, pid, sku, price, weight, option_values) -> dict:
        vid = self._next_id("variants")
        own_price = option_values and option_values[0]["label"] == "XL"  # only XL costs more
        return {
            "id": vid, "product_id": pid, "sku": sku, "sku_id": None if not option_values else vid + 3000,
            "price": round(price + 5, 2) if own_price else None, "calculated_price": round(price + 5, 2) if own_price else price,
            "sale_price": None, "retail_price": None, "map_price": None,
            "weight": None, "calculated_weight": weight, "width": None, "height": None, "depth": None,
            "is_free_shipping": False, "fixed_cost_shipping_price": None, "purchasing_disabled": False,
            "purchasing_disabled_message": "", "image_url": "", "cost_price": round(price * 0.45, 2),
            "upc": "", "mpn": "", "gtin": "", "inventory_level": rng.randint(0, 100), "inventory_warning_level": 0,
            "bin_picking_number": "", "option_values": option_values,
        }

    def _customer(self, rng, cid, created, modified) -> dict:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        place = rng.choice(PLACES)
        addresses = []
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            p = rng.choice(PLACES) if addresses else place
            addresses.append({
                "id": self._next_id("customer_addresses"), "customer_id": cid, "first_name": first,
                "last_name": last, "company": "", "address1": p[5], "address2": rng.choice(["", "Apt 4B", "2F"]),
                "city": p[3], "state_or_province": p[2], "postal_code": p[4], "country": p[0],
                "country_code": p[1], "phone": rng.choice(["", "+1 512-555-0199"]),
                "address_type": rng.choice(["residential", "residential", "commercial"]),
                "form_fields": [],
            })
        attributes = []
        for attr_id, values in rng.sample([(1, ["Gold", "Silver", "Bronze"]), (2, ["38", "42", "44"]),
                                           (3, ["藍色", "Verde", "Noir ⚫"])], rng.randint(0, 2)):
            made = between(rng, created, modified)
            attributes.append({"id": self._next_id("customer_attribute_values"), "customer_id": cid,
                               "attribute_id": attr_id, "attribute_value": rng.choice(values),
                               "date_created": iso(made), "date_modified": iso(between(rng, made, modified))})
        rec = {
            "id": cid, "authentication": {"force_password_reset": rng.random() < 0.03},
            "company": rng.choice(["", "", "", "Acme Pty Ltd", "Müller GmbH", "株式会社サンプル"]),
            "customer_group_id": rng.choice([0, 0, 0, 1, 2]),
            "email": f"{slug(first, 'customer')}.{slug(last, 'shopper')}.{cid}@example.com",
            "first_name": first, "last_name": last,
            "notes": rng.choice(["", "", "", "VIP 🌟", "Prefers phone — 電話希望"]),
            "phone": rng.choice(["", f"+1 512-555-{rng.randint(0, 9999):04d}"]),
            "registration_ip_address": rng.choice(["", f"203.0.113.{rng.randint(1, 254)}"]),
            "tax_exempt_category": "", "date_created": iso(created), "date_modified": iso(modified),
            "accepts_product_review_abandoned_cart_emails": rng.random() < 0.6,
            "origin_channel_id": 1, "channel_ids": None if rng.random() < 0.7 else [1],
            "address_count": len(addresses), "attribute_count": len(attributes),
            "addresses": addresses,
            "store_credit_amounts": [{"amount": rng.choice([0, 0, 0, 5, 12.5, 100])}],
            "attributes": attributes,
            "form_fields": rng.choice([[], [], [{"name": "How did you hear about us?",
                                                 "value": rng.choice(["Instagram", "友人の紹介", "Podcast 🎧"])}]]),
        }
        self._born["customers"][0].append(created)
        self._born["customers"][1].append(cid)
        return rec

    def _order(self, rng, oid, created, modified, status_id=None) -> dict:
        if status_id is None:
            status_id = rng.choices([s for s, _, _ in STATUSES], [w for _, _, w in STATUSES])[0]
        customer_id = self._born_before(rng, "customers", created) if rng.random() < 0.85 else 0
        customer = self.records["customers"].get(customer_id) if customer_id else None
        if customer:
            first, last, email = customer["first_name"], customer["last_name"], customer["email"]
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email, customer_id = f"guest.{oid}@example.org", 0
        place = rng.choice(PLACES)
        pay = rng.choice(PAYMENTS)
        shipped = status_id in (2, 10) or (status_id in (4, 14) and rng.random() < 0.5)
        currency = rng.choice(["USD"] * 6 + ["EUR", "GBP", "JPY"])
        source = rng.choice(["www", "www", "www", "iphone", "android", "manual", "external", "amazon"])
        rec = {
            "id": oid, "customer_id": customer_id,
            "date_created": iso(created), "date_modified": iso(modified),
            "date_shipped": iso(between(rng, created, modified)) if shipped else None,
            "status_id": status_id, "status": STATUS_NAMES[status_id], "custom_status": STATUS_NAMES[status_id],
            "subtotal_ex_tax": "0.0000", "subtotal_inc_tax": "0.0000", "subtotal_tax": "0.0000",
            "base_shipping_cost": "0.0000", "shipping_cost_ex_tax": "0.0000",
            "shipping_cost_inc_tax": "0.0000", "shipping_cost_tax": "0.0000",
            "total_ex_tax": "0.0000", "total_inc_tax": "0.0000", "total_tax": "0.0000",
            "items_total": 0, "items_shipped": 0,
            "payment_method": "" if status_id == 0 else pay[0],
            "payment_provider_id": "" if status_id in (0, 1, 7) else f"ch_{rng.getrandbits(64):016x}",
            "payment_status": PAYMENT_STATUS.get(status_id, "captured"),
            "refunded_amount": "0.0000", "order_is_digital": False, "store_credit_amount": "0.0000",
            "gift_certificate_amount": "0.0000", "ip_address": f"198.51.100.{rng.randint(1, 254)}",
            "geoip_country": place[0], "geoip_country_iso2": place[1],
            "currency_code": currency, "currency_exchange_rate": "1.0000000000", "default_currency_code": currency,
            "staff_notes": rng.choice(["", "", "", "Gift — wrap it 🎁", "再配達"]),
            "customer_message": rng.choice(["", "", "Please leave at the door 🚪", "Merci beaucoup!"]),
            "discount_amount": "0.0000", "coupon_discount": "0.0000", "shipping_address_count": 1,
            "is_deleted": False, "ebay_order_id": "0",
            "cart_id": None if source in ("manual", "external", "amazon") else uuid(rng),
            "billing_address": {
                "first_name": first, "last_name": last, "company": "", "street_1": place[5],
                "street_2": "", "city": place[3], "state": place[2], "zip": place[4], "country": place[0],
                "country_iso2": place[1], "phone": rng.choice(["", "+1 512-555-0142"]), "email": email,
                "form_fields": [],
            },
            "is_email_opt_in": rng.random() < 0.4, "order_source": source,
            "channel_id": 2 if source == "amazon" else 1,
            "external_source": "POS (Square)" if source == "external" else None,
            "external_id": f"114-{rng.randint(10**6, 10**7 - 1)}" if source == "amazon" else None,
            "customer_locale": rng.choice(["en", "en-US", "fr", "ja", "de", "es-419"]),
            "products": self._link(oid, "products"), "shipping_addresses": self._link(oid, "shipping_addresses"),
            "coupons": self._link(oid, "coupons"),
        }
        self._children["order_products"][oid] = []
        self._children["transactions"][oid] = []
        rate = rng.choice([0, 0, 825, 1000, 2000])  # tax in basis points
        address_id = self._next_id("order_addresses")
        lines = rng.randint(1, 5)
        # One order in ten with several items ships to two addresses (two shipping consignments); its own
        # generator, so the rest of the store is the same whichever orders split.
        second = self._next_id("order_addresses") if lines > 1 and random.Random(f"{self.seed}:split:{oid}").random() < 0.1 else None
        for index in range(lines):
            self._line(rng, rec, created, rate, second if second and index >= lines // 2 else address_id, shipped)
        if second:
            rec["shipping_address_count"] = 2
        ship = rng.choice([0, 500, 995, 1200, 2500])
        rec["base_shipping_cost"] = rec["shipping_cost_ex_tax"] = money(ship)
        rec["shipping_cost_tax"] = money(ship * rate // 10000)
        rec["shipping_cost_inc_tax"] = money(ship + ship * rate // 10000)
        if rng.random() < 0.1:
            rec["coupon_discount"] = rec["discount_amount"] = money(rng.choice([500, 1000]))
        self._price_order(rec)
        self._pay(rng, rec, pay, created, modified)
        return rec

    def _link(self, oid, what) -> dict:
        """v2 sub-resource link, as BigCommerce embeds it instead of the children themselves."""
        return {"url": f"{API}/stores/{self.store_hash}/v2/orders/{oid}/{what}", "resource": f"/orders/{oid}/{what}"}

    def _line(self, rng, order, created, rate=None, address_id=None, shipped=False) -> dict:
        """Add one order product to `order` (prices unset on the order until `_price_order`)."""
        oid = order["id"]
        siblings = self.children_of("order_products", oid)
        if rate is None:  # a line added later: same tax rate and address as the order's others
            first = siblings[0] if siblings else None
            rate = cents(first["price_tax"]) * 10000 // max(1, cents(first["price_ex_tax"])) if first else 0
            address_id = first["order_address_id"] if first else self._next_id("order_addresses")
        pid = self._born_before(rng, "products", created)
        product = self.records["products"][pid]
        variant = rng.choice(product["variants"]) if product["variants"] else None
        price = round((variant and variant["calculated_price"] or product["calculated_price"]) * 100)
        tax = price * rate // 10000
        qty = rng.choice([1, 1, 1, 1, 2, 2, 3, 5, 12])
        lid = self._next_id("order_products")
        options = [{"id": self._next_id("order_product_options"), "option_id": ov["option_id"],
                    "order_product_id": lid, "product_option_id": ov["option_id"],
                    "display_name": ov["option_display_name"], "display_value": ov["label"],
                    "value": str(ov["id"]), "type": "Multiple choice", "name": f"Size{pid}",
                    "display_style": "Rectangle"} for ov in (variant["option_values"] if variant else [])]
        event = rng.random() < 0.03
        line = {
            "id": lid, "order_id": oid, "product_id": pid, "variant_id": variant["id"] if variant else None,
            "order_address_id": address_id, "name": product["name"], "name_customer": product["name"],
            "name_merchant": product["name"], "sku": variant["sku"] if variant else product["sku"],
            "upc": product["upc"], "type": product["type"],
            "base_price": money(price), "price_ex_tax": money(price), "price_inc_tax": money(price + tax),
            "price_tax": money(tax), "base_total": "0.0000", "total_ex_tax": "0.0000", "total_inc_tax": "0.0000",
            "total_tax": "0.0000", "weight": f"{product['weight']:.4f}", "quantity": qty,
            "base_cost_price": money(round(product["cost_price"] * 100)),
            "is_refunded": False, "quantity_refunded": 0, "refund_amount": "0.0000", "return_id": 0,
            "wrapping_name": "", "quantity_shipped": qty if shipped else 0,
            "event_name": "Delivery date" if event else None,
            "event_date": iso(created + timedelta(days=rng.randint(2, 30))) if event else None,
            "fixed_shipping_cost": "0.0000", "option_set_id": 3 if options else None,
            "parent_order_product_id": None, "is_bundled_product": False, "bin_picking_number": "",
            "external_id": None, "brand": self.records["brands"].get(product["brand_id"], {}).get("name", ""),
            "gift_certificate_id": None, "applied_discounts": [], "product_options": options,
        }
        self._set_line_totals(line)
        self.records["order_products"][lid] = line
        self._children["order_products"][oid].append(lid)
        return line

    @staticmethod
    def _set_line_totals(line) -> None:
        qty = line["quantity"]
        ex, tax = cents(line["price_ex_tax"]), cents(line["price_tax"])
        line["base_total"] = line["total_ex_tax"] = money(ex * qty)
        line["total_tax"], line["total_inc_tax"] = money(tax * qty), money((ex + tax) * qty)

    def _price_order(self, order) -> None:
        """Order totals from its lines, shipping and discount, in cents (never floats)."""
        lines = self.children_of("order_products", order["id"])
        sub_ex = sum(cents(line["total_ex_tax"]) for line in lines)
        sub_tax = sum(cents(line["total_tax"]) for line in lines)
        ship_ex, ship_tax = cents(order["shipping_cost_ex_tax"]), cents(order["shipping_cost_tax"])
        discount = min(cents(order["discount_amount"]), sub_ex)
        total_ex = sub_ex + ship_ex - discount
        order.update(subtotal_ex_tax=money(sub_ex), subtotal_tax=money(sub_tax),
                     subtotal_inc_tax=money(sub_ex + sub_tax), total_ex_tax=money(total_ex),
                     total_tax=money(sub_tax + ship_tax), total_inc_tax=money(total_ex + sub_tax + ship_tax),
                     items_total=sum(line["quantity"] for line in lines),
                     items_shipped=sum(line["quantity_shipped"] for line in lines),
                     order_is_digital=all(line["type"] == "digital" for line in lines))

    def _pay(self, rng, order, pay, created, modified) -> None:
        """0-3 transactions that fit the order's status."""
        status, total = order["status_id"], cents(order["total_inc_tax"])
        if status == 0 or (status in (1, 7) and rng.random() < 0.5):
            return  # incomplete checkout, or no payment attempt yet
        at = lambda: between(rng, created, modified)
        if status == 6:
            self._transaction(rng, order, "purchase", total, created, pay, ok=False)
        elif status in (1, 7):
            self._transaction(rng, order, "pending", total, created, pay)
        elif status == 5:
            auth = self._transaction(rng, order, "authorization", total, created, pay)
            self._transaction(rng, order, "void", total, at(), pay, ref=auth["id"])
        else:
            if rng.random() < 0.3:
                auth = self._transaction(rng, order, "authorization", total, created, pay)
                paid = self._transaction(rng, order, "capture", total, at(), pay, ref=auth["id"])
            else:
                paid = self._transaction(rng, order, "purchase", total, created, pay)
            if status in (4, 14):
                refund = total if status == 4 else total // 2
                self._transaction(rng, order, "refund", refund, modified, pay, ref=paid["id"])
                self._refund(order, refund, full=status == 4)

    def _refund(self, order, amount, full) -> None:
        order["refunded_amount"] = money(cents(order["refunded_amount"]) + amount)
        order["payment_status"] = "refunded" if full else "partially refunded"
        order["status_id"] = 4 if full else 14
        order["status"] = order["custom_status"] = STATUS_NAMES[order["status_id"]]
        if full:
            for line in self.children_of("order_products", order["id"]):
                line.update(is_refunded=True, quantity_refunded=line["quantity"], refund_amount=line["total_inc_tax"])

    def _transaction(self, rng, order, event, amount, when, pay=None, ref=None, ok=True) -> dict:
        oid = order["id"]
        if pay is None:  # a later transaction uses the order's payment method
            pay = next((p for p in PAYMENTS if p[0] == order["payment_method"]), PAYMENTS[0])
        _, method, gateway, method_id = pay
        card = method == "credit_card"
        tid = self._next_id("transactions")
        rec = {
            "id": tid, "order_id": oid, "event": event, "method": method,
            "amount": amount / 100, "currency": order["currency_code"], "gateway": gateway,
            "gateway_transaction_id": None if method in ("custom", "offline", "store_credit")
            else f"{gateway[:2]}_{rng.getrandbits(48):012x}",
            "date_created": iso(when), "test": False, "status": "ok" if ok else "error",
            "fraud_review": not ok and rng.random() < 0.5, "reference_transaction_id": ref,
            "payment_method_id": method_id, "payment_instrument_token": None,
            "offline": {"display_name": "Bank Deposit"} if method == "offline" else None,
            "custom": {"payment_method": "Cash on Delivery"} if method == "custom" else None,
            "avs_result": {"code": "Y", "message": "Street address and 5-digit postal code match",
                           "street_match": "Match", "postal_match": "Match"} if card else None,
            "cvv_result": {"code": "M", "message": "CVV2 match"} if card else None,
            "credit_card": {"card_type": rng.choice(["visa", "mastercard", "amex"]),
                            "card_iin": rng.choice(["411111", "555555", "378282"]),
                            "card_last4": f"{rng.randint(0, 9999):04d}", "card_expiry_month": rng.randint(1, 12),
                            "card_expiry_year": rng.randint(2017, 2031)} if card else None,
            "store_credit": {"remaining_balance": rng.choice([0, 12.5, 40])} if method == "store_credit" else None,
        }
        self.records["transactions"][tid] = rec
        self._children["transactions"][oid].append(tid)
        return rec

    # ---- edits

    def _touch_order(self, order, now) -> None:
        rng, oid = self._rng, order["id"]
        lines = self.children_of("order_products", oid)
        paid = [t for t in self.children_of("transactions", oid)
                if t["event"] in ("purchase", "capture") and t["status"] == "ok"]
        action = rng.choice(["ship", "refund", "quantity", "note"])
        if action == "ship" and order["date_shipped"] is None and order["status_id"] not in (0, 5, 6):
            order.update(status_id=2, status="Shipped", custom_status="Shipped", date_shipped=iso(now))
            for line in lines:
                line["quantity_shipped"] = line["quantity"]
            self._price_order(order)
        elif action == "refund" and paid and \
                (left := cents(order["total_inc_tax"]) - cents(order["refunded_amount"])) > 1:
            amount = left // 2
            self._transaction(rng, order, "refund", amount, now, ref=paid[-1]["id"])
            self._refund(order, amount, full=False)
        elif action == "quantity" and lines:
            self._change_quantity(rng.choice(lines), +1)
        else:
            order["staff_notes"] = f"Edited by staff ✎ {rng.randint(1, 999)}"

    def _change_quantity(self, line, delta) -> None:
        line["quantity"] = max(1, line["quantity"] + delta)
        line["quantity_shipped"] = min(line["quantity_shipped"], line["quantity"])
        self._set_line_totals(line)
        self._price_order(self.records["orders"][line["order_id"]])
