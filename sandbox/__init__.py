"""A local double of BigCommerce's REST API: deterministic store data served over real HTTP.

    from sandbox import SandboxStore
    with SandboxStore(scale=0.2, latency_ms=20) as store:
        requests.get(f"{store.base_url}/stores/sandbox/v2/orders", headers={"X-Auth-Token": "sandbox-token"})
"""

from .data import StoreData
from .server import SandboxOptions, SandboxStore

__all__ = ["SandboxOptions", "SandboxStore", "StoreData"]
