"""The CDK HttpClient's own per-request work, done once where it gives the same result every time.

Each request through `HttpClient.send_request` rebuilds its three backoff decorators around `_send`
(about 19 us: backoff configures its handlers and copies the wrapped function's attributes each time),
parses the URL to drop query parameters the URL already holds, and tests the session's authenticator
against a runtime Protocol (typing walks the Protocol's attributes on every `isinstance`). For this
connector's clients the answers never change within a sync: the retry limits are fixed when the
client is made, the paths carry no query, and the session has no authenticator (the token is a header).
`lean_client` keeps one retrying `_send` per client and takes the short way where the answer is known;
anything else goes to the CDK's own code. unit_tests/test_client.py compares them.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

import requests
from airbyte_cdk.models import FailureType, StreamDescriptor
from airbyte_cdk.sources.streams.http.exceptions import BaseBackoffException
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from airbyte_cdk.sources.streams.http.rate_limiting import (http_client_default_backoff_handler, rate_limit_default_backoff_handler,
                                                            user_defined_backoff_handler)


def lean_client(client: HttpClient) -> None:
    """Give `client` the once-built retry and the short ways, as instance attributes beside the CDK's methods."""
    retrying = _retrying_send(client)
    original_retry = client._send_with_retry

    def send_with_retry(request: requests.PreparedRequest, request_kwargs: Mapping[str, Any],
                        log_formatter: Optional[Callable[[requests.Response], Any]] = None,
                        exit_on_rate_limit: Optional[bool] = False) -> requests.Response:
        if retrying.limits != _limits(client):  # the limits changed since: the CDK's way, built for them
            return original_retry(request, request_kwargs, log_formatter=log_formatter, exit_on_rate_limit=exit_on_rate_limit)
        try:
            return retrying(request, request_kwargs, log_formatter=log_formatter, exit_on_rate_limit=exit_on_rate_limit)
        except BaseBackoffException as error:  # retries exhausted: raised as the CDK's method raises it
            raise _exhausted(client, error)  # noqa: B904 -- chained to the backoff error, as the CDK's is

    client._send_with_retry = send_with_retry  # type: ignore[method-assign]
    original_dedupe = client._dedupe_query_params
    client._dedupe_query_params = lambda url, params: (  # type: ignore[method-assign]
        dict(params or {}) if isinstance(url, str) and "?" not in url else original_dedupe(url, params))
    original_update = client._update_authenticator_from_response

    def update_authenticator(request: requests.PreparedRequest, response: requests.Response) -> None:
        if getattr(client._session, "auth", None) is not None:  # None implements no Protocol: nothing to update
            original_update(request, response)

    client._update_authenticator_from_response = update_authenticator  # type: ignore[method-assign]


def _limits(client: HttpClient) -> tuple:
    return client._max_retries, client._max_time


def _retrying_send(client: HttpClient) -> Any:
    """`HttpClient._send` inside the three backoff handlers, nested as `_send_with_retry` nests them."""
    max_retries, max_time = _limits(client)
    max_tries = max(0, max_retries) + 1
    user_backoff = user_defined_backoff_handler(max_tries=max_tries, max_time=max_time)(client._send)
    rate_limit_backoff = rate_limit_default_backoff_handler(max_tries=max_tries)
    default_backoff = http_client_default_backoff_handler(max_tries=max_tries, max_time=max_time)
    retrying = default_backoff(rate_limit_backoff(user_backoff))
    retrying.limits = (max_retries, max_time)
    return retrying


def _exhausted(client: HttpClient, error: BaseBackoffException) -> AirbyteTracedException:
    """What airbyte-cdk 7's `HttpClient._send_with_retry` logs and raises once its retries are spent."""
    client._logger.error("Retries exhausted with backoff exception.", exc_info=True)
    if isinstance(error.response, requests.Response) and error.response.status_code == requests.codes.too_many_requests:
        return AirbyteTracedException(internal_message=f"Rate limit retry budget exhausted. Last exception: {error}",
                                      message="API rate limit exceeded.", failure_type=FailureType.transient_error, exception=error,
                                      stream_descriptor=StreamDescriptor(name=client._name))
    return AirbyteTracedException(internal_message=f"Exhausted available request attempts. Exception: {error}",
                                  message=f"Exhausted available request attempts. Please see logs for more details. Exception: {error}",
                                  failure_type=error.failure_type or FailureType.system_error, exception=error,
                                  stream_descriptor=StreamDescriptor(name=client._name))
