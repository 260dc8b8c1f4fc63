"""`check`: one cheap request per scope, each answered in BigCommerce's own terms."""

from __future__ import annotations

import logging
from typing import Dict, List, Optional, Set, Tuple

import requests

from .config import BigCommerceConfig
from .errors import api_title
from .streams.base import TIMEOUT_SECONDS, USER_AGENT, environment_once
from .streams.catalogue import BY_NAME, CATALOGUE
from .streams.declaration import Scope, Unpaged



def probes() -> Dict[Scope, Tuple[str, List[str]]]:
    """Per scope: one cheap request (the first top-level list declared with that scope, one record) and
    every stream the scope reads."""
    found: Dict[Scope, Tuple[str, List[str]]] = {}
    for spec in CATALOGUE:
        path, streams = found.get(spec.scope, ("", []))
        if not path and spec.parent is None and not spec.per_parent:
            path = spec.path + ("" if isinstance(spec.paging, Unpaged) else "?limit=1")
        found[spec.scope] = (path, streams + [spec.name])
    for spec in CATALOGUE:  # a scope that only reads children per parent: ask for the first parent's
        if not found[spec.scope][0] and spec.per_parent:
            found[spec.scope] = (f"{BY_NAME[spec.parent].path}?limit=1 -> {spec.path}", found[spec.scope][1])  # type: ignore[index]
    return found


def check_store(config: BigCommerceConfig, logger: Optional[logging.Logger] = None) -> Tuple[bool, Optional[str]]:
    """Valid when the store answers, the token is accepted, and it can read at least one stream. Streams
    it cannot read are named, with the scope each needs, in a log message (and left out of discover)."""
    logger = logger or logging.getLogger("airbyte")
    readable, problem = readable_scopes(config)
    if problem:
        return False, problem
    missing = [(scope, streams) for scope, (_, streams) in probes().items() if scope not in readable]
    if len(missing) == len(probes()):
        return False, ("The access token can read none of the streams (403 on every scope): check `access_token` and give its API account "
                       "read-only scopes, e.g. Orders, Products and Customers.")
    if missing:
        listed = "; ".join(f"{', '.join(streams)} need the '{scope.label}' read-only scope ({scope.name})" for scope, streams in missing)
        logger.warning(f"The access token cannot read some streams, which are left out of the catalog: {listed}.")
    return True, None


def readable_scopes(config: BigCommerceConfig) -> Tuple[Set[Scope], Optional[str]]:
    """The scopes the token can read (one probe each), or the problem that stops every stream."""
    session = requests.Session()
    environment_once(session, config.api_url)
    session.headers.update({"X-Auth-Token": config.access_token, "Accept": "application/json", "User-Agent": USER_AGENT})
    base = f"{config.api_url}/stores/{config.store_hash}/"

    def get(path: str) -> requests.Response:
        return session.get(base + path, timeout=TIMEOUT_SECONDS)

    try:
        reachable = get("v2/time")
        problem = _store_problem(reachable, config)
        if problem:
            return set(), problem
        readable: Set[Scope] = set()
        for scope, (path, _) in probes().items():
            if " -> " in path:
                parent_path, child_path = path.split(" -> ")
                parents = get(parent_path)
                if not parents.ok:  # its children are reached through a parent the token cannot list
                    continue
                first = _first_id(parents)
                if first is None:  # no parent to ask about yet: nothing says the scope is missing
                    readable.add(scope)
                    continue
                path = child_path.format(parent_id=first)
            response = get(path)
            if response.ok:
                readable.add(scope)
            elif response.status_code != 403:
                return set(), _store_problem(response, config) or (
                    f"BigCommerce answered {response.status_code} to {path.split('?')[0]}: {api_title(response) or response.reason}.")
    except requests.RequestException as error:
        return set(), f"Could not reach BigCommerce at {config.api_url}: {type(error).__name__}. Check `api_url` and the network."
    return readable, None


def _first_id(response: requests.Response) -> Optional[int]:
    try:
        body = response.json() if response.ok and response.content.strip() else None
    except ValueError:
        return None
    records = body.get("data") if isinstance(body, dict) else body
    return records[0].get("id") if isinstance(records, list) and records and isinstance(records[0], dict) else None


def _store_problem(response: requests.Response, config: BigCommerceConfig) -> Optional[str]:
    status = response.status_code
    reason = api_title(response)
    said = f" BigCommerce says: {reason}" if reason else ""
    if status == 400:
        return ("BigCommerce refused the request (400 Bad Request), its answer to a malformed access token: check `access_token` "
                f"(paste it again, without spaces or line breaks).{said}")
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
