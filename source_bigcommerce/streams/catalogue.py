"""Every stream the connector syncs, one declaration each (see declaration.py for the fields).

API reference: https://developer.bigcommerce.com/docs/rest-management and /docs/rest-catalog.
Adding a full-refresh stream is its line here, its JSON schema in schemas/ and its resource in the
local store; everything else (stream objects, check probes, docs table, test catalogs) follows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable, List, Mapping, MutableMapping

from ..pagination import V2_ORDERS, V3_CATALOG
from .declaration import CURSOR, UNPAGED, V2_BY_ID, V3_BY_ID, ByCursor, ByDate, DeleteScan, Scope, Spec

DOCS = "https://developer.bigcommerce.com/docs"

CUSTOMERS = Scope("store_v2_customers_read_only", "Customers")
ORDERS = Scope("store_v2_orders_read_only", "Orders")
TRANSACTIONS = Scope("store_v2_transactions_read_only", "Order Transactions")
PRODUCTS = Scope("store_v2_products_read_only", "Products")
CONTENT = Scope("store_v2_content_read_only", "Content")
CHANNELS = Scope("store_channel_settings_read_only", "Channel Settings")
INFORMATION = Scope("store_v2_information_read_only", "Information & Settings")
MARKETING = Scope("store_v2_marketing_read_only", "Marketing")
INVENTORY = Scope("store_inventory_read_only", "Store Inventory")
LOCATIONS = Scope("store_locations_read_only", "Store Locations")
SITES = Scope("store_sites_read_only", "Sites & Routes")

V3_DATES = ("date_modified:min", "date_modified:max")
ORDER_CHILD = {"order_id": "id", "order_date_modified": "date_modified"}
PRODUCT_CHILD = {"product_id": "id"}
# An incremental stream whose endpoint pages only by number, inside the sync's date window.
WINDOW_BY_PAGE_NUMBER = ("Page numbers (no id or cursor paging on this endpoint): when records leave the window mid-read (edited, "
                         "or deleted), the listing's count changes and the connector reads it again for the records that moved up a page.")
# The same on v2, whose pages carry no count to compare.
V2_WINDOW_BY_PAGE_NUMBER = ("Page numbers, v2 (no record count to compare): past 250 groups, one edited or deleted mid-sync can shift "
                            "another past a page boundary; that one arrives when next edited, or on a full refresh.")


def _one_or_many(value: Any) -> List[Any]:
    """BigCommerce's examples show some consignments' `line_items` as one object, not a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def consignment_line_items(order: Mapping[str, Any]) -> Iterable[MutableMapping[str, Any]]:
    """The order products embedded in every consignment type of an order (orderConsignment_Get)."""
    consignments = order.get("consignments")
    if not isinstance(consignments, Mapping):
        return []
    groups = [*(consignments.get("shipping") or []), *(consignments.get("pickups") or []), *(consignments.get("downloads") or []),
              *((consignments.get("email") or {}).get("gift_certificates") or [])]
    return [item for group in groups if isinstance(group, Mapping) for item in _one_or_many(group.get("line_items"))
            if isinstance(item, MutableMapping) and "id" in item]


def holds_every_item(order: Mapping[str, Any], line_items: list) -> bool:
    """BigCommerce has returned empty consignment line items for orders that have products
    (bigcommerce/dev-docs#2052): trust the embedded ones only when their quantities add up to the
    order's own `items_total`."""
    return sum(int(item.get("quantity") or 0) for item in line_items) == int(order.get("items_total") or 0)


def shipping_consignments(order: Mapping[str, Any]) -> Iterable[MutableMapping[str, Any]]:
    """A shipping consignment is the order's shipping address (every field of /shipping_addresses but
    `order_id`, which is carried from the order) plus its line items, which are order_products'."""
    consignments = order.get("consignments")
    shipping = consignments.get("shipping") if isinstance(consignments, Mapping) else None
    return [{k: v for k, v in address.items() if k != "line_items"} for address in (shipping or []) if isinstance(address, Mapping)]


ADDRESS_MONEY = ("base_cost", "cost_ex_tax", "cost_inc_tax", "cost_tax", "base_handling_cost", "handling_cost_ex_tax",
                 "handling_cost_inc_tax", "handling_cost_tax")


def as_shipping_address(record: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A shipping consignment, as /v2/orders/{id}/shipping_addresses sends the same address. Its costs
    come as JSON numbers there and as v2 decimal strings with four places here (the number's decimal
    text kept exactly, never rounded); its quotes link points at the consignment's quotes, the address
    endpoint's at the address's: same order, same id, so only that path segment differs."""
    quotes = record.get("shipping_quotes")
    if isinstance(quotes, MutableMapping):
        record["shipping_quotes"] = {k: v.replace("/consignments/shipping/", "/shipping_addresses/") if isinstance(v, str) else v
                                     for k, v in quotes.items()}
    for field in ADDRESS_MONEY:
        value = record.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            exact = Decimal(str(value))
            record[field] = str(exact.quantize(FOUR_PLACES)) if exact == exact.quantize(FOUR_PLACES) else str(exact)
    return record


def inventory_identity(record: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """An inventory item is keyed by its variant, which BigCommerce nests in `identity`."""
    record.setdefault("variant_id", (record.get("identity") or {}).get("variant_id"))
    return record


def embedded(field: str):
    def records(parent: Mapping[str, Any]) -> Iterable[MutableMapping[str, Any]]:
        value = parent.get(field)
        return [r for r in value if isinstance(r, MutableMapping)] if isinstance(value, list) else []

    records.__name__ = f"embedded_{field}"
    return records


def _store_logo(record: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if record.get("logo") == []:  # PHP's empty array for "no logo": null keeps the column an object
        record["logo"] = None
    return record


FOUR_PLACES = Decimal("0.0001")
ORDERS_WITH_CONSIGNMENTS = {"include": "consignments.line_items", "consignment_structure": "object"}

CATALOGUE = (
    # -- customers
    Spec("customers", "v3/customers", CUSTOMERS, f"{DOCS}/rest-management/customers#get-all-customers",
         cursor="date_modified", window=V3_DATES, paging=ByCursor(sorted_by_cursor=True),
         params={"sort": "date_modified:asc", "include": "addresses,storecredit,attributes,formfields"},
         deletes=DeleteScan(CURSOR),
         notes="Cursor paging (`after`) inside the window, sorted by date_modified: stable under edits."),
    Spec("customer_addresses", "v3/customers/addresses", CUSTOMERS, f"{DOCS}/rest-management/customers/addresses#get-all-customer-addresses",
         notes="Full refresh from the bulk list: addresses have no date, an address edit need not touch its customer, and "
               "`include=addresses` on customers stops at 10 per customer."),
    Spec("customer_attributes", "v3/customers/attributes", CUSTOMERS, f"{DOCS}/rest-management/customers/attributes#get-all-customer-attributes",
         cursor="date_modified", window=V3_DATES, notes=WINDOW_BY_PAGE_NUMBER),
    Spec("customer_attribute_values", "v3/customers/attribute-values", CUSTOMERS,
         f"{DOCS}/rest-management/customers/attribute-values#get-all-customer-attribute-values", cursor="date_modified", window=V3_DATES,
         notes=WINDOW_BY_PAGE_NUMBER),
    Spec("customer_groups", "v2/customer_groups", CUSTOMERS, f"{DOCS}/rest-management/customers-v2/customer-groups#get-all-customer-groups",
         cursor="date_modified", window=V3_DATES, notes=V2_WINDOW_BY_PAGE_NUMBER),
    Spec("subscribers", "v3/customers/subscribers", CUSTOMERS, f"{DOCS}/rest-management/subscribers#get-subscribers",
         cursor="date_modified", window=V3_DATES, notes=WINDOW_BY_PAGE_NUMBER),
    Spec("customer_segments", "v3/segments", CUSTOMERS, f"{DOCS}/rest-management/customer-segmentation/segments#get-all-segments"),
    Spec("wishlists", "v3/wishlists", CUSTOMERS, f"{DOCS}/rest-management/wishlists#get-all-wishlists"),
    # -- orders
    Spec("orders", "v2/orders", ORDERS, f"{DOCS}/rest-management/orders#get-all-orders", cursor="date_modified",
         paging=ByDate(V2_ORDERS), estimates_rows=False, deletes=DeleteScan(V2_BY_ID, {"sort": "id:asc"}),
         notes="Date keyset paging: v2 has no cursor, and page numbers over date_modified skip records that change mid-read."),
    Spec("order_products", "v2/orders", ORDERS, f"{DOCS}/rest-management/orders/order-products#get-order-products",
         cursor="order_date_modified", parent="orders", parent_params=ORDERS_WITH_CONSIGNMENTS, parent_fields=ORDER_CHILD,
         embedded=consignment_line_items, complete=holds_every_item, fallback="v2/orders/{parent_id}/products",
         notes="From the consignments embedded in the orders page; an order whose embedded quantities do not add up to its "
               "`items_total` is read from /v2/orders/{id}/products."),
    Spec("order_shipping_addresses", "v2/orders", ORDERS, f"{DOCS}/rest-management/orders/order-shipping-addresses#get-order-shipping-addresses",
         cursor="order_date_modified", parent="orders", parent_params=ORDERS_WITH_CONSIGNMENTS, parent_fields=ORDER_CHILD,
         embedded=shipping_consignments, transform=as_shipping_address,
         notes="From the shipping consignments embedded in the orders page, as /shipping_addresses sends them: costs as v2 "
               "decimal strings, `shipping_quotes` linking the address's quotes."),
    Spec("order_fees", "v2/orders", ORDERS, f"{DOCS}/rest-management/orders/order-fees#get-order-fees",
         cursor="order_date_modified", parent="orders", parent_params={"include": "fees"}, parent_fields=ORDER_CHILD,
         embedded=embedded("fees"), notes="From `include=fees` on the orders page."),
    Spec("transactions", "v3/orders/{parent_id}/transactions", TRANSACTIONS, f"{DOCS}/rest-management/transactions#get-transactions",
         cursor="order_date_modified", parent="orders", parent_fields=ORDER_CHILD, suggested=False,
         notes="One request per order in the window (no bulk endpoint exists); 204 when the order has none."),
    Spec("order_coupons", "v2/orders/{parent_id}/coupons", ORDERS, f"{DOCS}/rest-management/orders/order-coupons#get-order-coupons",
         cursor="order_date_modified", parent="orders", parent_fields=ORDER_CHILD, suggested=False,
         notes="One request per order in the window: an order's own fields cannot rule out a coupon (a free-shipping coupon "
               "leaves `coupon_discount` at 0)."),
    Spec("order_shipments", "v2/orders/{parent_id}/shipments", ORDERS, f"{DOCS}/rest-management/orders/order-shipments#get-order-shipments",
         cursor="order_date_modified", parent="orders", parent_fields=ORDER_CHILD, suggested=False,
         notes="One request per order in the window (no bulk endpoint exists); 204 when the order has none."),
    Spec("order_taxes", "v2/orders/{parent_id}/taxes", ORDERS, f"{DOCS}/rest-management/orders/order-taxes#get-order-taxes",
         cursor="order_date_modified", parent="orders", parent_fields=ORDER_CHILD, suggested=False,
         notes="One request per order in the window."),
    Spec("order_messages", "v2/orders/{parent_id}/messages", ORDERS, f"{DOCS}/rest-management/orders/order-messages#get-order-messages",
         cursor="order_date_modified", parent="orders", parent_fields=ORDER_CHILD, suggested=False,
         notes="One request per order in the window."),
    Spec("order_refunds", "v3/orders/payment_actions/refunds", ORDERS, f"{DOCS}/rest-management/orders/order-refunds#get-all-refunds",
         cursor="created", window=("created:min", "created:max"),
         notes="Store-wide list, in refund id order; a refund is never edited, so `created` is its change marker."),
    Spec("order_statuses", "v2/order_statuses", ORDERS, f"{DOCS}/rest-management/orders/order-status#get-all-order-statuses",
         paging=UNPAGED, notes="The store's 15 statuses with their custom labels; one request."),
    # -- catalog
    Spec("products", "v3/catalog/products", PRODUCTS, f"{DOCS}/rest-catalog/products#get-all-products", cursor="date_modified",
         paging=ByDate(V3_CATALOG), params={"include": "variants,images,custom_fields"},
         deletes=DeleteScan(V3_BY_ID, {"include_fields": "date_modified"}),
         notes="Date keyset paging like orders. A variant edit does not bump its product's date_modified: sync product_variants."),
    Spec("product_variants", "v3/catalog/variants", PRODUCTS, f"{DOCS}/rest-catalog/product-variants#get-all-product-variants",
         notes="Full refresh: variants have no change marker, and an edit leaves the product's date_modified alone. Page numbers "
               "(the endpoint has no id keyset): a delete mid-read changes the listing's count, and the connector reads it again for "
               "the records that moved up a page."),
    Spec("product_images", "v3/catalog/products", PRODUCTS, f"{DOCS}/rest-catalog/products/images#get-all-product-images",
         parent="products", parent_params={"include": "images"}, embedded=embedded("images"), parent_fields=PRODUCT_CHILD,
         notes="From `include=images`, full refresh: whether an image edit bumps the product's date_modified is not documented."),
    Spec("product_custom_fields", "v3/catalog/products", PRODUCTS, f"{DOCS}/rest-catalog/products/custom-fields#get-custom-fields",
         parent="products", parent_params={"include": "custom_fields"}, embedded=embedded("custom_fields"), parent_fields=PRODUCT_CHILD,
         notes="From `include=custom_fields`, full refresh (custom fields have no date)."),
    Spec("product_bulk_pricing_rules", "v3/catalog/products", PRODUCTS,
         f"{DOCS}/rest-catalog/products/bulk-pricing-rules#get-all-bulk-pricing-rules", parent="products",
         parent_params={"include": "bulk_pricing_rules"}, embedded=embedded("bulk_pricing_rules"), parent_fields=PRODUCT_CHILD,
         notes="From `include=bulk_pricing_rules`, full refresh (rules have no date)."),
    Spec("product_reviews", "v3/catalog/products", PRODUCTS, f"{DOCS}/rest-catalog/products/reviews#get-product-reviews",
         parent="products", parent_params={"include": "reviews"}, embedded=embedded("reviews"), parent_fields=PRODUCT_CHILD,
         notes="From `include=reviews`, full refresh: a review edit is not documented to bump the product's date_modified."),
    Spec("product_options", "v3/catalog/products", PRODUCTS, f"{DOCS}/rest-catalog/product-variant-options#get-all-product-variant-options",
         key=("product_id", "id"), parent="products", parent_params={"include": "options"}, embedded=embedded("options"),
         parent_fields=PRODUCT_CHILD,
         notes="From `include=options` (BigCommerce then pages 10 products at a time): one request per 10 products, "
               "against one per product for /products/{id}/options. Full refresh."),
    Spec("product_modifiers", "v3/catalog/products", PRODUCTS, f"{DOCS}/rest-catalog/product-modifiers#get-all-product-modifiers",
         parent="products", parent_params={"include": "modifiers"}, embedded=embedded("modifiers"), parent_fields=PRODUCT_CHILD,
         notes="From `include=modifiers`: one request per 10 products. Full refresh."),
    Spec("product_channel_assignments", "v3/catalog/products/channel-assignments", PRODUCTS,
         f"{DOCS}/rest-catalog/products/channel-assignments#get-products-channel-assignments", key=("product_id", "channel_id")),
    Spec("product_category_assignments", "v3/catalog/products/category-assignments", PRODUCTS,
         f"{DOCS}/rest-catalog/products/category-assignments#get-products-category-assignments", key=("product_id", "category_id")),
    Spec("brands", "v3/catalog/brands", PRODUCTS, f"{DOCS}/rest-catalog/brands#get-all-brands", paging=V3_BY_ID,
         notes="No change marker: full refresh, paged by id."),
    Spec("categories", "v3/catalog/categories", PRODUCTS, f"{DOCS}/rest-catalog/categories#get-all-categories", paging=V3_BY_ID,
         notes="Deprecated by BigCommerce in favour of tree_categories; kept for existing connections. Full refresh, paged by id."),
    Spec("category_trees", "v3/catalog/trees", PRODUCTS, f"{DOCS}/rest-catalog/category-trees#get-all-category-trees", paging=UNPAGED),
    Spec("tree_categories", "v3/catalog/trees/categories", PRODUCTS, f"{DOCS}/rest-catalog/category-trees/categories#get-all-categories",
         key="category_id", notes="Page numbers (the endpoint has no id keyset): a delete mid-read changes the listing's count, and the connector "
                                   "reads it again for the records that moved up a page."),
    Spec("price_lists", "v3/pricelists", PRODUCTS, f"{DOCS}/rest-management/price-lists#get-all-price-lists",
         cursor="date_modified", window=V3_DATES, notes=WINDOW_BY_PAGE_NUMBER),
    Spec("price_list_records", "v3/pricelists/{parent_id}/records", PRODUCTS, f"{DOCS}/rest-management/price-lists/records#get-price-list-records",
         key=("price_list_id", "variant_id", "currency"), cursor="date_modified", window=V3_DATES, parent="price_lists",
         parent_fields={"price_list_id": "id"}, suggested=False, max_in_flight=10,
         notes="One request (or more) per price list, filtered by the records' own date_modified; at most 10 at once, "
               "BigCommerce's limit for this endpoint. " + WINDOW_BY_PAGE_NUMBER),
    Spec("price_list_assignments", "v3/pricelists/assignments", PRODUCTS, f"{DOCS}/rest-management/price-lists/assignments#get-price-list-assignments"),
    Spec("inventory_items", "v3/inventory/items", INVENTORY, f"{DOCS}/rest-management/inventory/items#get-inventory-at-locations",
         key="variant_id", transform=inventory_identity),
    Spec("inventory_locations", "v3/inventory/locations", LOCATIONS, f"{DOCS}/rest-management/inventory/locations#get-locations"),
    # -- marketing
    Spec("coupons", "v2/coupons", MARKETING, f"{DOCS}/rest-management/marketing/coupons#get-all-coupons", paging=V2_BY_ID,
         notes="No change marker: full refresh, paged by id (`min_id`), as BigCommerce recommends."),
    Spec("promotions", "v3/promotions", MARKETING, f"{DOCS}/rest-management/promotions#get-all-promotions",
         params={"sort": "id", "direction": "asc"}, notes="No change marker: full refresh, page numbers in id order."),
    Spec("gift_certificates", "v2/gift_certificates", MARKETING, f"{DOCS}/rest-management/marketing/gift-certificates#get-all-gift-certificates",
         paging=V2_BY_ID, notes="No change marker (a balance changes without a date): full refresh, paged by id."),
    Spec("banners", "v2/banners", MARKETING, f"{DOCS}/rest-management/marketing/banners#get-all-banners", paging=V2_BY_ID),
    # -- settings
    Spec("currencies", "v2/currencies", INFORMATION, f"{DOCS}/rest-management/currencies#get-all-currencies"),
    Spec("tax_classes", "v2/tax_classes", INFORMATION, f"{DOCS}/rest-management/tax-classes#get-all-tax-classes"),
    Spec("shipping_zones", "v2/shipping/zones", INFORMATION, f"{DOCS}/rest-management/shipping-v2/shipping-zones#get-all-shipping-zones",
         paging=UNPAGED),
    Spec("shipping_methods", "v2/shipping/zones/{parent_id}/methods", INFORMATION,
         f"{DOCS}/rest-management/shipping-v2/shipping-method#get-shipping-methods-in-a-zone", parent="shipping_zones",
         parent_fields={"zone_id": "id"}, paging=UNPAGED, suggested=False, notes="One request per shipping zone."),
    Spec("store", "v2/store", INFORMATION, f"{DOCS}/rest-management/store-information#get-store-information", paging=UNPAGED,
         transform=_store_logo, notes="One object, keyed by the store hash."),
    Spec("channels", "v3/channels", CHANNELS, f"{DOCS}/rest-management/channels#get-all-channels", cursor="date_modified",
         window=V3_DATES, notes="Filterable by date_modified but not sortable: its date moves once every page is read (each page is a resume "
               "checkpoint). " + WINDOW_BY_PAGE_NUMBER),
    # -- content
    Spec("pages", "v3/content/pages", CONTENT, f"{DOCS}/rest-content/pages#get-pages", params={"include": "body"},
         notes="No dates at all: full refresh, with the page markup. Page numbers (no id keyset)."),
    Spec("blog_posts", "v2/blog/posts", CONTENT, f"{DOCS}/rest-content/store-content/blog-posts#get-all-blog-posts"),
    Spec("redirects", "v3/storefront/redirects", CONTENT, f"{DOCS}/rest-content/redirects#get-redirects",
         params={"sort": "id", "direction": "asc"}),
    Spec("sites", "v3/sites", SITES, f"{DOCS}/rest-management/sites#get-sites"),
    # -- metafields: the bulk lists, by date; other apps' `app_only` metafields are not visible to this token
    *(Spec(f"{kind}_metafields", f"v3/{path}/metafields", scope, f"{DOCS}/{ref}", cursor="date_modified", window=V3_DATES, paging=CURSOR)
      for kind, path, scope, ref in (
          ("product", "catalog/products", PRODUCTS, "rest-catalog/products/metafields#get-all-product-metafields"),
          ("variant", "catalog/variants", PRODUCTS, "rest-catalog/product-variants/metafields#get-all-variant-metafields"),
          ("customer", "customers", CUSTOMERS, "rest-management/customers/metafields#get-all-customer-metafields"),
          ("order", "orders", ORDERS, "rest-management/orders/order-metafields#get-all-order-metafields"),
          ("brand", "catalog/brands", PRODUCTS, "rest-catalog/brands/metafields#get-all-brand-metafields"),
          ("category", "catalog/categories", PRODUCTS, "rest-catalog/categories/metafields#get-all-category-metafields"),
          ("channel", "channels", CHANNELS, "rest-management/channels/metafields#get-all-channel-metafields"),
      )),
)

# The store's own clock, read once per sync: the sync's window ends there, not at the host's clock.
STORE_TIME = Spec("store_time", "v2/time", INFORMATION, f"{DOCS}/rest-management/store-information#get-system-timestamp",
                  paging=UNPAGED, hidden=True, estimates_rows=False)

BY_NAME = {spec.name: spec for spec in CATALOGUE}
