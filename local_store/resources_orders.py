"""The local store's order resources beyond orders, order_products and transactions.

Specs: O2 = reference/orders.v2.oas2.yml, O3 = reference/orders.v3.yml (bigcommerce/docs).
Every per-order table derives from the orders, order_products and transactions that data.py built,
so the children agree with their order: one shipping address per distinct `order_address_id` of the
order's products, coupons exactly where the order has a coupon discount (plus a few free-shipping
coupons with no discount), shipments where products were shipped, taxes where the order has tax,
refunds where the order was refunded (amounts from its refund transactions).

The connector adds `order_date_modified` (the parent order's date_modified) to every per-order
stream: it is in the schemas but not in these canonical records (tests compare it separately).

`consignments(data, order, include_line_items)` renders an order's `include=consignments`
object (O2 `orderConsignment_Get`), with the empty-line-items bug of bigcommerce/dev-docs#2052 on a
few orders (`reports_empty_line_items`). `add_refund` creates a refund while a sync runs.
"""

from __future__ import annotations

import copy
import random
import zlib
from datetime import datetime, timedelta
from typing import Optional

from .data import API, END, FIRST_NAMES, LAST_NAMES, PLACES, between, cents, iso, money, slug
from .query import (
    AT_LEAST,
    AT_MOST,
    HAS_MEMBER,
    Filter,
    bool_filter,
    canonical_moment,
    field_value,
    int_filter,
    integer_filters,
    parse_int,
    parse_text,
    parse_v3_date,
    text_filter,
    v2_date_filters,
)
from .resources import V2, V2_ALL, V3, Resource

ORDERS_SCOPE = "store_v2_orders"

# ----------------------------------------------------------------------------------------- helpers


def _roll(order_id: int, salt: str) -> float:
    """A fixed fraction in [0, 1) per (order, purpose): the same in every store and every call, so
    pure functions (consignments) and tests can tell which orders carry a trait."""
    return (zlib.crc32(f"{salt}:{order_id}".encode()) % 10007) / 10007


def _dt(value: str) -> datetime:
    return canonical_moment(value)


def _orders(data) -> list[dict]:
    return list(data.records["orders"].values())


def _lines(data, order: dict) -> list[dict]:
    return data.children_of("order_products", order["id"])


def _address_ids(lines: list[dict]) -> list[int]:
    """Distinct order_address_ids of an order's products, in first-seen order."""
    return list(dict.fromkeys(line["order_address_id"] for line in lines))


def _number(value: str) -> float:
    return cents(value) / 100


# Tax classes as BigCommerce names them; 3 is the class the store applies to shipping.
TAX_CLASSES = {0: "Default Tax Class", 1: "Reduced Rate 🧾", 2: "Clothing & Textiles", 3: "Shipping"}
SHIPPING_TAX_CLASS = 3
ZONES = {"US": (1, "United States"), "CA": (2, "Canada"), "GB": (3, "United Kingdom"), "DE": (4, "Europe (EU)"),
         "FR": (4, "Europe (EU)"), "JP": (5, "日本 Japan"), "AU": (6, "Australia & NZ"), "BR": (7, "Rest of World")}
METHODS = {"US": ["Flat Rate", "UPS® Ground", "USPS Priority Mail"], "CA": ["Postes Canada — Régulier", "Flat Rate"],
           "GB": ["Royal Mail Tracked 48", "DPD Next Day"], "DE": ["DHL Paket", "Flat Rate"],
           "FR": ["Colissimo Suivi", "Flat Rate"], "JP": ["ヤマト運輸 宅急便", "Flat Rate"],
           "AU": ["Australia Post Parcel", "Flat Rate"], "BR": ["Correios SEDEX", "DHL Express"]}
PROVIDERS = {  # shipping_provider -> (display name, tracking url prefix or None)
    "usps": ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels="),
    "ups": ("UPS", "https://www.ups.com/track?tracknum="),
    "fedex": ("FedEx", "https://www.fedex.com/fedextrack/?trknbr="),
    "royalmail": ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/"),
    "auspost": ("Australia Post", "https://auspost.com.au/mypost/track/#/details/"),
    "canadapost": ("Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/en#/details/"),
    "carrier_4242": ("Yamato Transport ヤマト運輸", None),
    "": (None, None),
}
TAX_RATES = (825, 1000, 2000)  # the basis points data.py taxes orders at
TAX_NAMES = {"US": "Sales Tax", "CA": "TPS/TVQ", "GB": "VAT", "DE": "MwSt.", "FR": "TVA", "JP": "消費税",
             "AU": "GST", "BR": "ICMS"}


def _link(data, path: str, base_url: str = API) -> dict:
    return {"url": f"{base_url.rstrip('/')}/stores/{data.store_hash}/v2{path}", "resource": path}


# ----------------------------------------------------------------------------------------- 1. order_statuses

ORDER_STATUSES = (  # id, system label, system description, sort order in the control panel
    (0, "Incomplete", "An incomplete order happens when a shopper reached the payment page, but did not complete the transaction.", 14),
    (1, "Pending", "Customer started the checkout process, but did not complete it.", 1),
    (2, "Shipped", "Order has been shipped, but receipt has not been confirmed; seller has used the Ship Items action.", 8),
    (3, "Partially Shipped", "Only some items in the order have been shipped, due to some products being pre-order only or other reasons.", 7),
    (4, "Refunded", "Seller has used the Refund action.", 11),
    (5, "Cancelled", "Seller has cancelled an order, due to a stock inconsistency or other reasons.", 10),
    (6, "Declined", "Seller has marked the order as declined for lack of manual payment, or other reasons.", 13),
    (7, "Awaiting Payment", "Customer has completed checkout process, but payment has yet to be confirmed.", 2),
    (8, "Awaiting Pickup", "Order has been pulled, and is awaiting customer pickup from a seller-specified location.", 5),
    (9, "Awaiting Shipment", "Order has been pulled and packaged, and is awaiting collection from a shipping provider.", 6),
    (10, "Completed", "Client has paid for their digital product and their file(s) are available for download.", 9),
    (11, "Awaiting Fulfillment", "Customer has completed the checkout process and payment has been confirmed.", 4),
    (12, "Manual Verification Required", "Order on hold while some aspect needs to be manually confirmed.", 3),
    (13, "Disputed", "Customer has initiated a dispute resolution process for the PayPal transaction that paid for the order.", 12),
    (14, "Partially Refunded", "Seller has partially refunded the order.", 15),
)  # fmt: skip
# Merchants rename a few statuses; only statuses no order of data.py holds, so that every order's
# `custom_status` (its system name there) still agrees with this table.
CUSTOM_LABELS = {8: "Ready for Collection 🛍️", 13: "Chargeback ⚠️"}


def generate_order_statuses(rng: random.Random, data) -> list[dict]:
    return [{"id": sid, "name": name, "system_label": name, "custom_label": CUSTOM_LABELS.get(sid, name),
             "system_description": description, "sort_order": sort_order}
            for sid, name, description, sort_order in ORDER_STATUSES]


# ----------------------------------------------------------------------------------------- consignments

EMPTY_LINE_ITEMS_SHARE = 0.02
PICKUP_SHARE = 0.04  # of orders with two physical lines or more: ~3% of all orders
GIFT_SHARE = 0.04  # of orders with two physical lines or more: ~2% of all orders
PICKUP_LOCATIONS = [
    {"id": 1, "name": "Café Flagship — Congress Ave", "code": "ATX-1", "address_line_1": "1100 Congress Ave",
     "address_line_2": "Suite 101", "city": "Austin", "state": "Texas", "postal_code": "78701",
     "country_alpha2": "US", "email": "austin@local-store.example", "phone": "+1 512-555-0101"},
    {"id": 2, "name": "Boutique Montréal", "code": "YUL-2", "address_line_1": "275 Rue Notre-Dame Est",
     "address_line_2": "", "city": "Montréal", "state": "Québec", "postal_code": "H2X 1Y4",
     "country_alpha2": "CA", "email": "montreal@local-store.example", "phone": "+1 514-555-0102"},
]


def reports_empty_line_items(order_id: int) -> bool:
    """True for the ~2% of orders whose consignments come back with empty `line_items` although the
    order has products (bigcommerce/dev-docs#2052): a connector must fall back to /products."""
    return _roll(order_id, "empty-line-items") < EMPTY_LINE_ITEMS_SHARE


def _partition(data, order: dict) -> dict:
    """Which consignment holds each order product: digital lines are downloads; on a few orders one
    physical line is picked up in store and one is an e-mailed gift; the rest ship to their address."""
    lines = _lines(data, order)
    digital = [line for line in lines if line["type"] == "digital"]
    physical = [line for line in lines if line["type"] != "digital"]
    pickup, gift = [], []
    oid = order["id"]
    if len(physical) >= 2 and _roll(oid, "pickup") < PICKUP_SHARE:
        pickup, physical = physical[-1:], physical[:-1]
    if len(physical) >= 2 and _roll(oid, "gift") < GIFT_SHARE:
        gift, physical = physical[:1], physical[1:]
    shipping = {aid: [line for line in physical if line["order_address_id"] == aid] for aid in _address_ids(lines)}
    return {"shipping": shipping, "pickup": pickup, "digital": digital, "gift": gift}


def _fallback_address(data, order: dict, aid: int) -> dict:
    """A shipping address for an order created after the store was built (none in the table yet)."""
    bill = order["billing_address"]
    fields = {k: bill.get(k) for k in ("first_name", "last_name", "company", "street_1", "street_2", "city", "state",
                                       "zip", "country", "country_iso2", "phone", "email")}
    zone = ZONES.get(bill.get("country_iso2"), (7, "Rest of World"))
    return {"id": aid, "order_id": order["id"], **fields, "form_fields": [],
            "shipping_method": "Flat Rate", "base_cost": order["base_shipping_cost"],
            "cost_ex_tax": order["shipping_cost_ex_tax"], "cost_inc_tax": order["shipping_cost_inc_tax"],
            "cost_tax": order["shipping_cost_tax"], "cost_tax_class_id": SHIPPING_TAX_CLASS,
            "base_handling_cost": "0.0000", "handling_cost_ex_tax": "0.0000", "handling_cost_inc_tax": "0.0000",
            "handling_cost_tax": "0.0000", "handling_cost_tax_class_id": SHIPPING_TAX_CLASS,
            "shipping_zone_id": zone[0], "shipping_zone_name": zone[1]}


ADDRESS_FIELDS = ("first_name", "last_name", "company", "street_1", "street_2", "city", "state", "zip", "country",
                  "country_iso2", "email", "phone", "form_fields")
COST_FIELDS = ("base_cost", "cost_ex_tax", "cost_inc_tax", "cost_tax", "base_handling_cost", "handling_cost_ex_tax",
               "handling_cost_inc_tax", "handling_cost_tax")


def consignments(data, order: dict, include_line_items: bool, base_url: str = API) -> dict:
    """The order's consignments as `GET /v2/orders?include=consignments[.line_items]&consignment_structure=object`
    sends them (O2 `orderConsignment_Get`). Each order product is in exactly one consignment, except
    on orders where `reports_empty_line_items` holds: there every `line_items` is empty. With
    `include_line_items` the line items are the order products as /products sends them, otherwise
    `{url, resource}` links. Shipping consignments carry the shipping address (without order_id),
    their costs as numbers, and a consignment shipping_quotes link."""
    oid = order["id"]
    parts = _partition(data, order)
    empty = reports_empty_line_items(oid)

    def items(lines: list[dict]) -> list:
        if empty:
            return []
        if include_line_items:
            return [data.to_api("order_products", line, base_url_for_links=base_url) for line in lines]
        return [_link(data, f"/orders/{oid}/products/{line['id']}", base_url) for line in lines]

    addresses = data.records.get("order_shipping_addresses", {})
    shipping = []
    for aid, lines in parts["shipping"].items():
        address = addresses.get(aid) or _fallback_address(data, order, aid)
        consignment = {"id": aid, **{k: copy.deepcopy(address[k]) for k in ADDRESS_FIELDS},
                       "line_items": items(lines),
                       "items_total": sum(line["quantity"] for line in lines),
                       "items_shipped": sum(line["quantity_shipped"] for line in lines),
                       "shipping_method": address["shipping_method"]}
        consignment.update({k: _number(address[k]) for k in COST_FIELDS})
        consignment.update(cost_tax_class_id=address["cost_tax_class_id"],
                           handling_cost_tax_class_id=address["handling_cost_tax_class_id"],
                           shipping_zone_id=address["shipping_zone_id"], shipping_zone_name=address["shipping_zone_name"],
                           shipping_quotes=_link(data, f"/orders/{oid}/consignments/shipping/{aid}/shipping_quotes", base_url))
        shipping.append(consignment)
    pickups = []
    if parts["pickup"]:
        location = PICKUP_LOCATIONS[0 if order["billing_address"].get("country_iso2") != "CA" else 1]
        pickups.append({"id": 500000 + oid, "pickup_method_id": location["id"],
                        "pickup_method_display_name": "Click & Collect 🛍️",
                        "collection_instructions": "Bring your order number and a photo ID 🪪",
                        "collection_time_description": "Ready within 2 hours — 9am to 6pm",
                        "location": dict(location), "line_items": items(parts["pickup"])})
    email = order["billing_address"].get("email")
    downloads = [{"recipient_email": email, "line_items": items(parts["digital"])}] if parts["digital"] else []
    gifts = [{"recipient_email": f"gift.{oid}@example.net", "line_items": items(parts["gift"])}] if parts["gift"] else []
    return {"pickups": pickups, "shipping": shipping, "downloads": downloads, "email": {"gift_certificates": gifts}}


# ----------------------------------------------------------------------------------------- 2. order_shipping_addresses


def generate_order_shipping_addresses(rng: random.Random, data) -> list[dict]:
    """One address per distinct order_address_id of an order's products. Most ship to the buyer's billing
    address; some to a gift recipient elsewhere; the order's shipping cost sits on its first address."""
    out = []
    for order in _orders(data):
        lines = _lines(data, order)
        parts = _partition(data, order)
        bill = order["billing_address"]
        for n, aid in enumerate(_address_ids(lines)):
            shipped = parts["shipping"][aid]
            gift = n > 0 or rng.random() < 0.15
            if gift:
                place = rng.choice(PLACES)
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                email = f"{slug(first, 'friend')}.{slug(last, 'recipient')}@example.net"
                phone = rng.choice(["", f"+1 415-555-{rng.randint(0, 9999):04d}"])
                street_2 = rng.choice(["", "Apt 4B", "2F", "Bâtiment C"])
            else:
                place = next((p for p in PLACES if p[5] == bill["street_1"]), rng.choice(PLACES))
                first, last, email, phone = bill["first_name"], bill["last_name"], bill["email"], bill["phone"]
                street_2 = bill["street_2"]
            country, iso2, state, city, zip_code, street = place
            zone = ZONES[iso2]
            if n == 0:
                base, ex, inc, tax = (order["base_shipping_cost"], order["shipping_cost_ex_tax"],
                                      order["shipping_cost_inc_tax"], order["shipping_cost_tax"])
            else:
                base = ex = inc = tax = "0.0000"
            method = "Free Shipping" if base == "0.0000" else rng.choice(METHODS[iso2])
            form_fields = rng.choice([[], [], [], [{"name": "Delivery instructions", "value": "Leave with the concierge 🛎️"}],
                                      [{"name": "Gate code", "value": 4417}],
                                      [{"name": "Preferred days", "value": ["Saturday", "日曜日"]}]])
            out.append({
                "id": aid, "order_id": order["id"], "first_name": first, "last_name": last,
                "company": rng.choice(["", "", "", "Müller GmbH", "株式会社サンプル"]) if gift else bill["company"],
                "street_1": street, "street_2": street_2, "city": city, "state": state, "zip": zip_code,
                "country": country, "country_iso2": iso2, "email": email, "phone": phone, "form_fields": form_fields,
                "shipping_method": method, "base_cost": base, "cost_ex_tax": ex, "cost_inc_tax": inc, "cost_tax": tax,
                "cost_tax_class_id": SHIPPING_TAX_CLASS, "base_handling_cost": "0.0000",
                "handling_cost_ex_tax": "0.0000", "handling_cost_inc_tax": "0.0000", "handling_cost_tax": "0.0000",
                "handling_cost_tax_class_id": SHIPPING_TAX_CLASS,
                "items_total": sum(line["quantity"] for line in shipped),
                "items_shipped": sum(line["quantity_shipped"] for line in shipped),
                "shipping_zone_id": zone[0], "shipping_zone_name": zone[1],
                "shipping_quotes": _link(data, f"/orders/{order['id']}/shipping_addresses/{aid}/shipping_quotes"),
            })
    return sorted(out, key=lambda record: record["id"])


# ----------------------------------------------------------------------------------------- 3. order_fees

FEES = [("Package Protection Insurance", "Package Protection Fee", "app: Route"), ("Eco Packaging 🌱", "Eco fee", "v2"),
        ("Frais de manutention", "Handling surcharge (FR)", "checkout"), ("Gift wrap 🎁", "Gift wrapping", "v3"),
        ("代引き手数料", "COD fee (JP)", "checkout")]


def generate_order_fees(rng: random.Random, data) -> list[dict]:
    """1-2 custom fees on ~15% of orders (the order's totals are data.py's and leave fees out)."""
    out, fid = [], 0
    for order in _orders(data):
        if rng.random() >= 0.15:
            continue
        for customer_name, merchant_name, source in rng.sample(FEES, rng.choice([1, 1, 1, 2])):
            fid += 1
            base = rng.choice([99, 150, 250, 499, 1000])
            tax_class = rng.choice([None, None, 0, SHIPPING_TAX_CLASS])
            tax = 0 if tax_class is None else base * rng.choice([0, 825, 1000]) // 10000
            out.append({"id": fid, "order_id": order["id"], "type": "custom_fee",
                        "display_name_customer": customer_name, "display_name_merchant": merchant_name,
                        "source": source, "base_cost": money(base), "cost_ex_tax": money(base),
                        "cost_inc_tax": money(base + tax), "cost_tax": money(tax), "tax_class_id": tax_class})
    return out


# ----------------------------------------------------------------------------------------- 4. order_coupons

COUPON_CODES = [  # coupon_id, code, discount type (0 per item, 1 percent, 2 per total, 3 shipping, 4 free shipping)
    (1, "WELCOME10", 2), (2, "SPRING-SALE", 1), (3, "CAFÉ5", 2), (4, "VIP-🌟", 0), (5, "SOMMER24", 1),
    (6, "さくら", 2), (7, "FREESHIP", 4), (8, "SHIPHALF", 3), (9, "LIVRAISON-OFFERTE", 4),
]


def generate_order_coupons(rng: random.Random, data) -> list[dict]:
    """A coupon for each order with a coupon discount, and free-shipping coupons on a few orders
    without one (their `coupon_discount` is "0.0000": a connector cannot infer coupons from it)."""
    discounted = [c for c in COUPON_CODES if c[2] in (0, 1, 2)]
    free = [c for c in COUPON_CODES if c[2] == 4]
    out = []
    for order in _orders(data):
        off = cents(order["coupon_discount"])
        if off:
            coupon_id, code, kind = rng.choice(discounted)
            subtotal = max(1, cents(order["subtotal_ex_tax"]))
            amount = max(1, round(off * 100 / subtotal)) if kind == 1 else off // 100
        elif order["base_shipping_cost"] == "0.0000" and rng.random() < 0.1:
            (coupon_id, code, kind), amount = rng.choice(free), 0
        else:
            continue
        out.append({"id": len(out) + 1, "coupon_id": coupon_id, "order_id": order["id"], "code": code,
                    "amount": amount, "type": kind, "discount": off / 100})
    return out


# ----------------------------------------------------------------------------------------- 5. order_shipments


def _shipment_address(address: dict) -> dict:
    return {k: address[k] for k in ("first_name", "last_name", "company", "street_1", "street_2", "city", "state",
                                    "zip", "country", "country_iso2", "phone", "email")}


def generate_order_shipments(rng: random.Random, data) -> list[dict]:
    """A shipment per address whose products were shipped (a few split in two parcels)."""
    addresses = data.records["order_shipping_addresses"]
    out = []
    for order in _orders(data):
        shipped = [line for line in _lines(data, order) if line["quantity_shipped"] > 0]
        if not shipped:
            continue
        created, modified = _dt(order["date_created"]), _dt(order["date_modified"])
        first_at = _dt(order["date_shipped"]) if order["date_shipped"] else between(rng, created, modified)
        bill = {k: order["billing_address"][k] for k in ("first_name", "last_name", "company", "street_1", "street_2",
                                                         "city", "state", "zip", "country", "country_iso2", "phone",
                                                         "email")}
        for aid in _address_ids(shipped):
            lines = [line for line in shipped if line["order_address_id"] == aid]
            address = addresses[aid]
            parcels = [lines[:1], lines[1:]] if len(lines) >= 2 and rng.random() < 0.2 else [lines]
            at = first_at
            for parcel in parcels:
                provider = rng.choice(list(PROVIDERS))
                display, track_url = PROVIDERS[provider]
                number = "" if provider == "" and rng.random() < 0.5 else f"1Z{rng.getrandbits(40):010X}"
                custom_link = rng.random() < 0.1
                out.append({
                    "id": len(out) + 1, "order_id": order["id"], "customer_id": order["customer_id"],
                    "order_address_id": aid, "date_created": iso(at), "tracking_number": number,
                    "merchant_shipping_cost": money(rng.choice([0, 450, 799, 1250])),
                    "shipping_method": address["shipping_method"], "shipping_provider": provider,
                    "tracking_carrier": rng.choice(["", "", "dhl", "usps", "yamato"]) if provider == "" else "",
                    "tracking_link": f"https://track.example.net/{number}" if custom_link and number else "",
                    "comments": rng.choice(["", "", "", "Fragile — handle with care 🫖", "二個口で発送"]),
                    "billing_address": dict(bill), "shipping_address": _shipment_address(address),
                    "items": [{"order_product_id": line["id"], "product_id": line["product_id"],
                               "quantity": line["quantity_shipped"]} for line in parcel],
                    "shipping_provider_display_name": display,
                    "generated_tracking_link": f"{track_url}{number}" if track_url and number else "",
                })
                at = between(rng, at, modified)
    return out


# ----------------------------------------------------------------------------------------- 6. order_taxes


def generate_order_taxes(rng: random.Random, data) -> list[dict]:
    """The detailed form (`details=true`): one row per taxed product line and one for taxed shipping;
    the rows' line_amount adds up to the order's total_tax. A fifth of the stores' orders were taxed by
    an automatic tax provider (class "Automatic Tax", no tax_rate_id)."""
    out = []
    for order in _orders(data):
        if order["total_tax"] == "0.0000":
            continue
        lines = _lines(data, order)
        first = lines[0]
        taxed = next((line for line in lines if cents(line["price_tax"])), first)
        ratio = cents(taxed["price_tax"]) * 10000 / max(1, cents(taxed["price_ex_tax"]))
        rate_bp = min(TAX_RATES, key=lambda bp: abs(bp - ratio))  # data.py's rates, before cent rounding
        iso2 = order["billing_address"]["country_iso2"]
        automatic = rng.random() < 0.2
        rate_id = None if automatic else TAX_RATES.index(rate_bp) + 1
        sales_tax_id = f"avalara-{rng.getrandbits(32):08x}" if automatic else str(rate_id)
        name = f"{TAX_NAMES.get(iso2, 'Tax')} {rate_bp / 100:g}%"
        rows = [(line, "item", cents(line["total_tax"]), line["product_id"]) for line in lines
                if cents(line["total_tax"])]
        if cents(order["shipping_cost_tax"]):
            rows.append((None, "shipping", cents(order["shipping_cost_tax"]), None))
        for line, kind, amount, pid in rows:
            class_id = SHIPPING_TAX_CLASS if line is None else data.records["products"][pid]["tax_class_id"]
            out.append({
                "id": len(out) + 1, "order_id": order["id"],
                "order_address_id": (line or first)["order_address_id"],
                "tax_rate_id": rate_id, "sales_tax_id": sales_tax_id, "tax_class_id": class_id, "name": name,
                "class": "Automatic Tax" if automatic else TAX_CLASSES.get(class_id, "Default Tax Class"),
                "rate": money(rate_bp), "priority": 0 if automatic else 1,
                "priority_amount": money(amount), "line_amount": money(amount), "order_pickup_method_id": 0,
                "order_product_id": None if line is None else str(line["id"]), "line_item_type": kind,
            })
    return out


# ----------------------------------------------------------------------------------------- 7. order_messages

MESSAGES = {
    "customer": [("Where is my order?", "Hi, any update on the delivery? 📦"),
                 ("Changement d'adresse", "Pouvez-vous livrer à mon bureau ? Merci !"),
                 ("ギフト包装について", "ギフト包装をお願いできますか？"), ("Wrong size", "I ordered M but need L — can I swap?")],
    "admin": [("Your order has shipped", "Thank you again! Tracking is on its way ✉️"),
              ("Backorder notice", "One item is back in stock next week; we'll ship it then."),
              ("Danke!", "Vielen Dank für Ihre Bestellung — Ihr Team vom Café.")],
}


def generate_order_messages(rng: random.Random, data) -> list[dict]:
    out = []
    for order in _orders(data):
        if rng.random() >= 0.1:
            continue
        created = _dt(order["date_created"])
        at = created
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(["customer", "admin"]) if order["customer_id"] else "admin"
            subject, body = rng.choice(MESSAGES[kind])
            at = between(rng, at, min(END, at + timedelta(days=20)))
            out.append({
                "id": len(out) + 1, "order_id": order["id"],
                "staff_id": 0 if kind == "customer" else rng.randint(1, 3),
                "customer_id": order["customer_id"], "type": kind,
                "subject": f"{subject} (Order #{order['id']})" if kind == "customer" else f"Re: Order #{order['id']} — {subject}",
                "message": body, "status": rng.choice(["read", "read", "unread"]), "is_flagged": rng.random() < 0.15,
                "date_created": iso(at), "customer": {},
            })
    return out


# ----------------------------------------------------------------------------------------- 8. order_refunds

REASONS = ["Damaged in transit", "Customer changed their mind", "Wrong size — 尺寸不对", "Article défectueux",
           "Late delivery 🐢", ""]
OFFLINE_METHODS = ("offline", "custom", "store_credit")


def _refund_payment(payment_id: int, refund_txn: Optional[dict], amount: float) -> dict:
    return {"id": payment_id, "provider_id": refund_txn["gateway"] if refund_txn else "storecredit",
            "amount": amount, "offline": bool(refund_txn and refund_txn["method"] in OFFLINE_METHODS),
            "is_declined": False, "declined_message": "",
            "transaction_id": str(refund_txn["id"]) if refund_txn else None}


def generate_order_refunds(rng: random.Random, data) -> list[dict]:
    """One refund per refunded order (status 4 or 14), its amount and date those of the order's refund
    transactions. A full refund lists each product and the shipping; a partial one is order level."""
    out, payment_id = [], 0
    for order in _orders(data):
        if order["status_id"] not in (4, 14):
            continue
        txns = [t for t in data.children_of("transactions", order["id"]) if t["event"] == "refund"]
        total = sum(round(t["amount"] * 100) for t in txns) or cents(order["refunded_amount"])
        if not total:
            continue
        full = order["status_id"] == 4
        created = txns[-1]["date_created"] if txns else order["date_modified"]
        if full and order["discount_amount"] == "0.0000":
            items = [{"item_type": "PRODUCT", "item_id": line["id"], "reason": rng.choice(REASONS),
                      "quantity": line["quantity"], "adjustments": [],
                      "requested_amount": _number(line["total_inc_tax"])} for line in _lines(data, order)]
            if cents(order["shipping_cost_inc_tax"]):
                items.append({"item_type": "SHIPPING", "item_id": _lines(data, order)[0]["order_address_id"],
                              "reason": "", "quantity": None, "adjustments": [],
                              "requested_amount": _number(order["shipping_cost_inc_tax"])})
        else:
            items = [{"item_type": "ORDER", "item_id": order["id"], "reason": rng.choice(REASONS), "quantity": None,
                      "adjustments": [] if full or rng.random() < 0.7 else [{"amount": -1.0, "description": "Restocking fee"}],
                      "requested_amount": total / 100}]
        payments = []
        for txn in txns or [None]:
            payment_id += 1
            amount = txn["amount"] if txn else total / 100
            payments.append(_refund_payment(payment_id, txn, amount))
        out.append({
            "id": len(out) + 1, "order_id": order["id"], "user_id": rng.choice([0, 1, 2, 3]), "created": created,
            "reason": rng.choice(REASONS), "total_amount": total / 100,
            "total_tax": _number(order["total_tax"]) if full else 0.0,
            "uses_merchant_override_values": not full, "items": items, "payments": payments,
        })
    return out


def add_refund(rng: random.Random, data, now) -> dict:
    """A merchant refunds part of a refunded or completed order, now: the new refund (next id,
    created = now) joins data.records["order_refunds"]. Orders and transactions are left as they are.
    Returns a copy."""
    stamp = now if isinstance(now, str) else iso(now)
    table = data.records["order_refunds"]
    orders = [o for o in data.records["orders"].values() if o["status_id"] in (4, 10, 14)]
    order = rng.choice(orders)
    amount = max(1, cents(order["total_inc_tax"]) // rng.choice([2, 4, 10])) / 100
    payment_id = 1 + max((p["id"] for r in table.values() for p in r["payments"]), default=0)
    paid = [t for t in data.children_of("transactions", order["id"]) if t["event"] in ("purchase", "capture")]
    payment = _refund_payment(payment_id, paid[-1] if paid else None, amount)
    payment["transaction_id"] = None  # no refund transaction is recorded for it
    rid = 1 + max(table, default=0)
    record = {"id": rid, "order_id": order["id"], "user_id": rng.randint(1, 3), "created": stamp,
              "reason": rng.choice(REASONS), "total_amount": amount, "total_tax": 0.0,
              "uses_merchant_override_values": True,
              "items": [{"item_type": "ORDER", "item_id": order["id"], "reason": "Goodwill refund 🙏",
                         "quantity": None, "adjustments": [], "requested_amount": amount}],
              "payments": [payment]}
    table[rid] = record
    return copy.deepcopy(record)


# ----------------------------------------------------------------------------------------- filters


def _min_max_id() -> tuple:
    read = field_value("id")
    return (Filter("min_id", read, parse_int, AT_LEAST), Filter("max_id", read, parse_int, AT_MOST))


def _refund_transaction_ids(record: dict) -> frozenset:
    return frozenset(p["transaction_id"].casefold() for p in record["payments"] if p.get("transaction_id"))


MESSAGE_FILTERS = (*_min_max_id(), int_filter("customer_id", "customer_id"), *v2_date_filters("date_created"),
                   bool_filter("is_flagged", "is_flagged"), text_filter("status", "status"))
REFUND_FILTERS = (
    *integer_filters("order_id", "order_id", "in"),
    *integer_filters("id", "id", "in"),
    Filter("created:min", lambda record: canonical_moment(record.get("created")), parse_v3_date, AT_LEAST),
    Filter("created:max", lambda record: canonical_moment(record.get("created")), parse_v3_date, AT_MOST),
    Filter("transaction_id", _refund_transaction_ids, parse_text, HAS_MEMBER),
)

PARENT = ("orders", "order_id")

RESOURCES = (
    Resource("order_statuses", "/v2/order_statuses", ORDERS_SCOPE, V2_ALL, generate_order_statuses),
    Resource("order_shipping_addresses", "/v2/orders/{id}/shipping_addresses", ORDERS_SCOPE, V2,
             generate_order_shipping_addresses, parent=PARENT),
    Resource("order_fees", "/v2/orders/{id}/fees", ORDERS_SCOPE, V2, generate_order_fees, parent=PARENT,
             connector_adds=("order_id",)),
    Resource("order_coupons", "/v2/orders/{id}/coupons", ORDERS_SCOPE, V2, generate_order_coupons, parent=PARENT),
    Resource("order_shipments", "/v2/orders/{id}/shipments", ORDERS_SCOPE, V2, generate_order_shipments,
             parent=PARENT, none_is_204=True, v2_dates=("date_created",)),
    Resource("order_taxes", "/v2/orders/{id}/taxes", ORDERS_SCOPE, V2, generate_order_taxes, parent=PARENT,
             extra_params=("details",)),
    Resource("order_messages", "/v2/orders/{id}/messages", ORDERS_SCOPE, V2, generate_order_messages,
             parent=PARENT, filters=MESSAGE_FILTERS, v2_dates=("date_created",)),
    Resource("order_refunds", "/v3/orders/payment_actions/refunds", ORDERS_SCOPE, V3, generate_order_refunds,
             filters=REFUND_FILTERS),
)


def follow_order_edit(data, order: dict) -> None:
    """A merchant edit of an order (quantities, shipping) changes what its shipping addresses count:
    keep /shipping_addresses in step with the consignments, which are worked out at each request."""
    addresses = data.records.setdefault("order_shipping_addresses", {})
    for aid, lines in _partition(data, order)["shipping"].items():
        if aid not in addresses:  # an order created after the store was built
            addresses[aid] = {**_fallback_address(data, order, aid),
                              "shipping_quotes": _link(data, f"/orders/{order['id']}/shipping_addresses/{aid}/shipping_quotes")}
        addresses[aid]["items_total"] = sum(line["quantity"] for line in lines)
        addresses[aid]["items_shipped"] = sum(line["quantity_shipped"] for line in lines)
