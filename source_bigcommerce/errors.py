"""What each BigCommerce answer means for a stream, as data: one table of actions and messages over the
CDK's HttpStatusErrorHandler, and one backoff strategy that reads the rate-limit headers."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any, Callable, Optional, Union

import orjson
import requests
from urllib.parse import urlsplit
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, HttpStatusErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.default_error_mapping import DEFAULT_ERROR_MAPPING
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

from .rate_limit import RESET_MS, header_number
from .stats import SyncStats

MAX_RETRIES = 8
MAX_RETRY_TIME = timedelta(minutes=5)
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0

_BODY_ATTR = "_bigcommerce_body"
# Every digit to "0", every other byte to " ": a body holds 19 digits in a row exactly when its
# translation holds _NINETEEN_DIGITS. From 19 digits on, an integer may lie past 64 bits, which orjson
# would read as a rounded float.
_DIGITS_ONLY = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_NINETEEN_DIGITS = b"0" * 19
# The body is translated a stretch at a time (each overlapping the next by 18 bytes, so no run of 19 is
# cut in two): a stretch's copy fits the core's cache and the allocator can reuse its memory; a copy of a
# whole 500 KB page likely does neither. Timed in a sync: 2.7 us a record before, 1.8 us after.
_STRETCH = 32 * 1024


def decoded_body(response: requests.Response) -> Any:
    """The response's JSON, decoded once (the error handler checks it before the stream reads it).
    204 and empty bodies decode to None."""
    if _BODY_ATTR not in response.__dict__:
        response.__dict__[_BODY_ATTR] = decode_json(response) if response.content.strip() else None
    return response.__dict__[_BODY_ATTR]


def decode_json(response: requests.Response) -> Any:
    """orjson where it reads the body exactly as the standard decoder would, which is 2-3x slower: a
    UTF-8 body with no integer that could lie past 64 bits. orjson refuses the rest (a byte-order mark,
    UTF-16, a lone surrogate, NaN), and they go to requests' standard decoder, as does any body sent
    in another charset. Raises ValueError when the body is not JSON."""
    content = response.content
    charset = (response.encoding or "utf-8").lower()
    if charset in ("utf-8", "utf8") and not _may_hold_a_long_integer(content):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass  # the standard decoder reads it, or says why it is not JSON
    return response.json()


def _may_hold_a_long_integer(content: bytes) -> bool:
    """Whether 19 digits in a row appear anywhere in `content` (in a number or not)."""
    return any(_NINETEEN_DIGITS in content[start:start + _STRETCH + 18].translate(_DIGITS_ONLY)
               for start in range(0, len(content), _STRETCH))


def take_decoded_body(response: requests.Response) -> Any:
    """The decoded body, handed over: the response keeps neither it nor its bytes (it reads as empty from
    here). The CDK holds each response until the next page has arrived, so a page of 250 orders would
    otherwise stay in memory twice over (2 MB decoded, 0.5 MB of bytes) while the next one is read."""
    body = decoded_body(response)
    del response.__dict__[_BODY_ATTR]
    response._content = b""
    return body


def api_title(response: requests.Response) -> str:
    """BigCommerce's own reason (v3 `title`, v2 `[{"message"}]`), for passing on to the user."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        return str(body.get("title") or body.get("message") or "")
    return ""


def _resolution(action: ResponseAction, failure: Optional[FailureType], message: str) -> ErrorResolution:
    return ErrorResolution(response_action=action, failure_type=failure, error_message=message)


def missing_scope_message(stream: str, scope: str) -> str:
    return (f"Stream '{stream}' cannot be read: the access token (`access_token`) lacks the '{scope}' scope (403). Add that read-only "
            "scope to the store's API account, or deselect the stream.")


def error_mapping(stream: str, scope: str, missing_parent_is_fine: bool, store_hash: str = "") -> dict:
    """Status -> (action, failure type, message) for one stream, merged over the CDK's defaults."""
    retry = ResponseAction.RETRY
    transient = FailureType.transient_error
    return {
        **DEFAULT_ERROR_MAPPING,
        400: _resolution(ResponseAction.FAIL, FailureType.config_error,
                         f"Stream '{stream}': BigCommerce refused the request (400 Bad Request), its answer to a malformed access token: "
                         "check `access_token` (paste it again, without spaces or line breaks). If other streams read, report this one."),
        401: _resolution(ResponseAction.FAIL, FailureType.config_error,
                         "BigCommerce rejected the access token (401): check `access_token`, or create a new API account token in the store's control panel."),
        403: _resolution(ResponseAction.FAIL, FailureType.config_error, missing_scope_message(stream, scope)),
        404: (_resolution(ResponseAction.IGNORE, None, f"Stream '{stream}': the parent record was deleted while syncing (404); nothing to read for it.")
              if missing_parent_is_fine else
              _resolution(ResponseAction.FAIL, FailureType.config_error,
                          f"BigCommerce does not know this store (404): check `store_hash` '{store_hash}' (the part after /stores/ in the API path).")),
        408: _resolution(retry, transient, f"Stream '{stream}': BigCommerce timed out (408)."),
        413: _resolution(ResponseAction.FAIL, FailureType.system_error, f"Stream '{stream}': BigCommerce refused the page size (413)."),
        422: _resolution(ResponseAction.FAIL, FailureType.system_error, f"Stream '{stream}': BigCommerce refused a query parameter (422)."),
        # RETRY, not RATE_LIMITED: for RATE_LIMITED the CDK prints a RATE_LIMITED stream status of its own,
        # without the quota reset, straight to stdout. The wait is the same (RateLimitBackoff), and the
        # status with its quota_reset is said through `on_rate_limited`.
        429: _resolution(retry, transient, f"Stream '{stream}': the store's API quota is used up (429); waiting for it to reset."),
        500: _resolution(retry, transient, f"Stream '{stream}': BigCommerce answered 500 (internal error)."),
        502: _resolution(retry, transient, f"Stream '{stream}': BigCommerce answered 502 (bad gateway)."),
        503: _resolution(retry, transient,
                         f"Stream '{stream}': BigCommerce answered 503: the store is in maintenance or suspended, or payment data is unavailable."),
        504: _resolution(retry, transient, f"Stream '{stream}': BigCommerce answered 504 (gateway timeout)."),
        507: _resolution(ResponseAction.FAIL, FailureType.config_error, f"Stream '{stream}': the store's plan limit is reached (507)."),
        requests.exceptions.ConnectionError: _resolution(retry, transient, f"Stream '{stream}': the connection to BigCommerce dropped."),
        requests.exceptions.ChunkedEncodingError: _resolution(retry, transient, f"Stream '{stream}': the connection dropped mid-response."),
        requests.exceptions.Timeout: _resolution(retry, transient, f"Stream '{stream}': BigCommerce did not answer in time."),
        requests.exceptions.ReadTimeout: _resolution(retry, transient, f"Stream '{stream}': BigCommerce did not answer in time."),
        requests.exceptions.ConnectTimeout: _resolution(retry, transient, f"Stream '{stream}': could not connect to BigCommerce in time."),
    }


class BigCommerceErrorHandler(HttpStatusErrorHandler):
    """The CDK's status handler, plus one check it lacks: a 200 whose body is not whole JSON is retried,
    never read as an empty page (that ended earlier connectors' syncs with records missing)."""

    def __init__(self, stream: str, scope: str, missing_parent_is_fine: bool = False, store_hash: str = "",
                 stats: Optional[SyncStats] = None, on_forbidden: Optional[Callable[[], None]] = None) -> None:
        super().__init__(
            logger=logging.getLogger("airbyte"),
            error_mapping=error_mapping(stream, scope, missing_parent_is_fine, store_hash),
            max_retries=MAX_RETRIES,
            max_time=MAX_RETRY_TIME,
        )
        self._stream = stream
        self._stats = stats
        self._on_forbidden = on_forbidden

    def interpret_response(self, response_or_exception: Union[requests.Response, Exception, None] = None) -> ErrorResolution:
        resolution = self._interpret(response_or_exception)
        if self._on_forbidden is not None and isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 403:
            self._on_forbidden()  # one 403 is enough: the stream asks no more (one request per parent otherwise)
        if self._stats is not None:  # called once per answer (or dropped connection): count it
            action = resolution.response_action
            self._stats.answered(self._stream, retried=action in (ResponseAction.RETRY, ResponseAction.RATE_LIMITED),
                                 rate_limited=isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 429)
        return resolution

    def _interpret(self, response_or_exception: Union[requests.Response, Exception, None]) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        if isinstance(response_or_exception, requests.Response):
            if resolution.response_action == ResponseAction.SUCCESS:
                try:
                    decoded_body(response_or_exception)
                except ValueError:
                    return _resolution(ResponseAction.RETRY, FailureType.transient_error,
                                       f"Stream '{self._stream}': BigCommerce sent a cut-short or invalid JSON body.")
            elif resolution.error_message and response_or_exception.status_code in (413, 422, 503):
                title = api_title(response_or_exception)
                if title:
                    resolution = _resolution(resolution.response_action, resolution.failure_type, f"{resolution.error_message} BigCommerce says: {title}")
            if resolution.error_message and resolution.response_action != ResponseAction.SUCCESS and response_or_exception.request is not None:
                # Which resource failed: for a child read per parent, the path names the parent (an order's id).
                path = urlsplit(response_or_exception.request.url or "").path
                resolution = _resolution(resolution.response_action, resolution.failure_type, f"{resolution.error_message} (GET {path})")
        return resolution


class RateLimitBackoff(BackoffStrategy):
    """429: wait until the quota window resets (`X-Rate-Limit-Time-Reset-Ms`), longer if it repeats.
    Anything else retryable: exponential backoff with jitter, so parallel retries do not stampede."""

    def __init__(self, rng: Optional[random.Random] = None, on_rate_limited: Optional[Callable[[float], None]] = None) -> None:
        self._rng = rng or random.Random()
        self._on_rate_limited = on_rate_limited  # told the wait, in seconds, before a 429's retry

    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> Optional[float]:
        exponential = min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempt_count - 1))
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 429:
            reset = _reset_seconds(response_or_exception)
            if reset is not None:
                # First 429: exactly the reset time. Repeats: add growing, jittered backoff on top.
                extra = 0.0 if attempt_count <= 1 else exponential * self._rng.uniform(0.5, 1.0)
                if self._on_rate_limited is not None:
                    self._on_rate_limited(reset + extra)
                return reset + extra
        return exponential * self._rng.uniform(0.5, 1.0)


def _reset_seconds(response: requests.Response) -> Optional[float]:
    """The announced wait, None when missing or not believable (then the exponential backoff applies)."""
    milliseconds = header_number(response, RESET_MS)
    return milliseconds / 1000.0 if milliseconds is not None and milliseconds <= MAX_RETRY_TIME.total_seconds() * 1000 else None
