"""The connector's settings, checked once with messages that say what to fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Mapping
from urllib.parse import urlsplit

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from .dates import UTC, parse_start_date

DEFAULT_API_URL = "https://api.bigcommerce.com"
DEFAULT_WORKERS = 8
DEFAULT_NEWEST_FIRST_DAYS = 15  # Fivetran's "priority-first sync" reads the most recent 15 days first, too
MAX_NEWEST_FIRST_DAYS = 3650
MAX_WORKERS = 32
_STORE_HASH = re.compile(r"^[A-Za-z0-9]+$")
# BigCommerce's store hashes are about 10 letters and digits and its access tokens 31: these limits
# leave room for format changes and still refuse a pasted URL, file or page before any request.
MAX_STORE_HASH = 32
MAX_TOKEN = 256
_TOKEN = re.compile(r"^[!-~]+$")  # printable ASCII, no spaces


class ConfigError(AirbyteTracedException):
    def __init__(self, problems: List[str]) -> None:
        message = "Invalid configuration: " + " ".join(problems)
        super().__init__(message=message, internal_message=message, failure_type=FailureType.config_error)


@dataclass(frozen=True)
class BigCommerceConfig:
    store_hash: str
    access_token: str
    start_date: datetime
    api_url: str = DEFAULT_API_URL
    num_workers: int = DEFAULT_WORKERS
    detect_deletes: bool = False
    newest_first_days: int = DEFAULT_NEWEST_FIRST_DAYS
    parallel_date_slices: bool = True

    @property
    def start_date_in_future(self) -> bool:
        return self.start_date > datetime.now(tz=UTC)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> "BigCommerceConfig":
        """Validate everything at once and report every problem in one message (never the token)."""
        problems: List[str] = []
        store_hash = _text(config, "store_hash")
        if not store_hash:
            problems.append("`store_hash` is required: the store's API hash, e.g. `abc123de` from https://api.bigcommerce.com/stores/abc123de/v3/.")
        elif not _STORE_HASH.match(store_hash):
            problems.append(f"`store_hash` must be only the store's hash (letters and digits, e.g. `abc123de`), not a URL or path: got {store_hash[:80]!r}.")
        elif len(store_hash) > MAX_STORE_HASH:
            problems.append(f"`store_hash` is {len(store_hash)} characters long; a store hash has at most {MAX_STORE_HASH} (e.g. `abc123de`).")

        token = _text(config, "access_token")
        if not token:
            problems.append("`access_token` is required: the API account's access token from the store's control panel.")
        elif any(c.isspace() for c in token):
            problems.append("`access_token` contains spaces or line breaks: paste the token alone.")
        elif len(token) > MAX_TOKEN:
            problems.append(f"`access_token` is {len(token)} characters long; BigCommerce's tokens are far shorter (at most {MAX_TOKEN} accepted): paste the token alone.")
        elif not _TOKEN.match(token):
            problems.append("`access_token` contains characters no BigCommerce token has (only printable ASCII): paste the token alone.")

        start_text = _text(config, "start_date")
        start_date = None
        if not start_text:
            problems.append("`start_date` is required: a date like 2021-01-01 or a UTC datetime like 2021-01-01T00:00:00Z.")
        else:
            try:
                start_date = parse_start_date(start_text)
            except (ValueError, TypeError, OverflowError):
                problems.append(f"`start_date` must be a date like 2021-01-01 or a datetime like 2021-01-01T00:00:00Z: got {start_text!r}.")

        api_url = (_text(config, "api_url") or DEFAULT_API_URL).rstrip("/")
        parts = urlsplit(api_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            problems.append(f"`api_url` must be an http(s) URL such as {DEFAULT_API_URL}: got {api_url!r}.")

        workers = config.get("num_workers", DEFAULT_WORKERS)
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
            problems.append(f"`num_workers` must be a whole number from 1 to {MAX_WORKERS}: got {workers!r}.")

        detect_deletes = config.get("detect_deletes", False)
        if not isinstance(detect_deletes, bool):
            problems.append(f"`detect_deletes` must be true or false: got {detect_deletes!r}.")

        newest_first = config.get("newest_first_days", DEFAULT_NEWEST_FIRST_DAYS)
        if isinstance(newest_first, bool) or not isinstance(newest_first, int) or not 0 <= newest_first <= MAX_NEWEST_FIRST_DAYS:
            problems.append(f"`newest_first_days` must be a whole number of days from 0 to {MAX_NEWEST_FIRST_DAYS}: got {newest_first!r}.")

        parallel_slices = config.get("parallel_date_slices", True)
        if not isinstance(parallel_slices, bool):
            problems.append(f"`parallel_date_slices` must be true or false: got {parallel_slices!r}.")

        if problems:
            raise ConfigError(problems)
        return cls(store_hash=store_hash, access_token=token, start_date=start_date, api_url=api_url,  # type: ignore[arg-type]
                   num_workers=workers, detect_deletes=detect_deletes, newest_first_days=newest_first,
                   parallel_date_slices=parallel_slices)


def _text(config: Mapping[str, Any], key: str) -> str:
    value = config.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):  # never echo the value: it may be the token
        raise ConfigError([f"`{key}` must be text, not a {type(value).__name__}."])
    return value.strip()
