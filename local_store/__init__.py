"""A local double of BigCommerce's REST API: deterministic store data served over real HTTP.

    from local_store import LocalStore
    with LocalStore(scale=0.2, latency_ms=20) as store:
        requests.get(f"{store.base_url}/stores/localstore/v2/orders", headers={"X-Auth-Token": "local-token"})
"""

from .data import StoreData
from .server import LocalStoreOptions, LocalStore

__all__ = ["LocalStoreOptions", "LocalStore", "StoreData"]
