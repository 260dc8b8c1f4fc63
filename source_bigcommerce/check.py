"""`check`: one cheap request per scope, each answered in BigCommerce's own terms."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import requests

from .config import BigCommerceConfig
from .errors import api_title
from .streams.base import TIMEOUT_SECONDS, USER_AGENT

# One probe per scope the streams need: (path, streams it guards, scope).
PROBES: List[Tuple[str, str, str]] = [
    ("v3/customers?limit=1", "customers", "store_v2_customers_read_only"),
    ("v2/orders?limit=1", "orders, order_products", "store_v2_orders_read_only"),
    ("v3/catalog/products?limit=1", "products, brands, categories", "store_v2_products_read_only"),
    ("v3/content/pages?limit=1", "pages", "store_v2_content_read_only"),
    ("v3/channels?limit=1", "channels", "store_channel_settings_read_only"),
    ("v2/store", "store", "store_v2_information_read_only"),
]
TRANSACTIONS = ("transactions", "store_v2_transactions_read_only")


def check_store(config: BigCommerceConfig) -> Tuple[bool, Optional[str]]:
    session = requests.Session()
    session.headers.update({"X-Auth-Token": config.access_token, "Accept": "application/json", "User-Agent": USER_AGENT})
    base = f"{config.api_url}/stores/{config.store_hash}/"

    def get(path: str) -> requests.Response:
        return session.get(base + path, timeout=TIMEOUT_SECONDS)

    try:
        reachable = get("v2/time")
    except requests.RequestException as error:
        return False, f"Could not reach BigCommerce at {config.api_url}: {type(error).__name__}. Check `api_url` and the network."
    problem = _store_problem(reachable, config)
    if problem:
        return False, problem

    missing: Dict[str, str] = {}
    first_order_id = None
    for path, streams, scope in PROBES:
        response = get(path)
        if response.status_code == 403:
            missing[streams] = scope
        elif not response.ok:
            return False, _store_problem(response, config) or f"BigCommerce answered {response.status_code} to {path.split('?')[0]}: {api_title(response) or response.reason}."
        elif path.startswith("v2/orders") and response.status_code == 200:
            orders = response.json()
            first_order_id = orders[0]["id"] if isinstance(orders, list) and orders else None
    if first_order_id is not None:  # transactions have no list of their own: ask for one order's
        response = get(f"v3/orders/{first_order_id}/transactions")
        if response.status_code == 403:
            missing[TRANSACTIONS[0]] = TRANSACTIONS[1]
    if missing:
        listed = "; ".join(f"{streams} need '{scope}'" for streams, scope in missing.items())
        return False, f"The access token lacks read scopes for some streams: {listed}. Add these scopes to the store's API account (or deselect those streams)."
    return True, None


def _store_problem(response: requests.Response, config: BigCommerceConfig) -> Optional[str]:
    status = response.status_code
    reason = api_title(response)
    said = f" BigCommerce says: {reason}" if reason else ""
    if status == 401:
        return f"BigCommerce rejected the access token (401): check `access_token`, or create a new store-level API account token.{said}"
    if status == 404:
        return f"BigCommerce does not know the store hash '{config.store_hash}' (404): check `store_hash` (the part after /stores/ in the API path).{said}"
    if status == 503:
        return f"The store is unavailable (503): it is suspended or in maintenance. Try again later or check the store's status in its control panel.{said}"
    if status == 429:
        return f"The store's API quota is used up right now (429): try again in a few seconds.{said}"
    if status >= 500:
        return f"BigCommerce answered {status}: a temporary problem on its side; try again.{said}"
    return None
