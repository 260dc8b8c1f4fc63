"""client.lean_client: the CDK HttpClient's per-request work done once, with the CDK's own results."""

import logging

import pytest
import requests
from airbyte_cdk.sources.streams.http.error_handlers import HttpStatusErrorHandler
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.test.mock_http import HttpMocker, HttpRequest, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_bigcommerce import client as lean

URL = "https://api.bigcommerce.com/stores/abc/v3/orders/5/transactions"
LOGGER = logging.getLogger("airbyte")


def _client(lean_way: bool, max_retries: int = 2) -> HttpClient:
    made = HttpClient("transactions", LOGGER, error_handler=HttpStatusErrorHandler(LOGGER, max_retries=max_retries))
    if lean_way:
        lean.lean_client(made)
    return made


@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def _send(made: HttpClient):
    return made.send_request("GET", URL, request_kwargs={}, headers={"X-Auth-Token": "t"}, params={"limit": 250}, dedupe_query_params=True)


def test_given_a_server_error_then_a_success_then_the_lean_client_retries_as_the_cdk_does(no_sleep):
    with HttpMocker() as mocker:
        mocker.get(HttpRequest(URL, query_params={"limit": "250"}), [HttpResponse("{}", 503), HttpResponse('[{"id": 1}]', 200)])

        request, response = _send(_client(lean_way=True))

    assert response.status_code == 200 and response.json() == [{"id": 1}]
    assert request.url == f"{URL}?limit=250"


@pytest.mark.parametrize("status", [503, 429])
def test_given_retries_exhausted_then_the_lean_client_raises_what_the_cdk_raises(no_sleep, status):
    raised = {}
    for lean_way in (False, True):
        with HttpMocker() as mocker:
            mocker.get(HttpRequest(URL, query_params={"limit": "250"}), [HttpResponse("{}", status)] * 3)
            with pytest.raises(AirbyteTracedException) as caught:
                _send(_client(lean_way))
        error = caught.value.as_airbyte_message().trace.error
        raised[lean_way] = (error.message, error.internal_message, error.failure_type, error.stream_descriptor, type(caught.value.__context__))

    assert raised[True] == raised[False]


def test_the_retrying_send_is_built_once_per_client_not_per_request(monkeypatch):
    built = []
    real = lean.user_defined_backoff_handler
    monkeypatch.setattr(lean, "user_defined_backoff_handler", lambda **kwargs: built.append(kwargs) or real(**kwargs))
    made = _client(lean_way=True)
    with HttpMocker() as mocker:
        mocker.get(HttpRequest(URL, query_params={"limit": "250"}), [HttpResponse("[]", 200)] * 3)
        for _ in range(3):
            _send(made)

    assert built == [{"max_tries": 3, "max_time": made._max_time}]


def test_given_limits_changed_after_the_client_was_made_then_the_cdks_own_retry_runs(no_sleep):
    made = _client(lean_way=True, max_retries=5)
    made._error_handler._max_retries = 0
    with HttpMocker() as mocker:
        mocker.get(HttpRequest(URL, query_params={"limit": "250"}), [HttpResponse("{}", 503), HttpResponse("[]", 200)])
        with pytest.raises(AirbyteTracedException):
            _send(made)  # one try, as the CDK reads its limits at each request


@pytest.mark.parametrize("url, params", [
    (URL, {"limit": 250, "page": "2"}), (URL, None), (URL, {}), (f"{URL}?limit=250", {"limit": 250, "page": 2}),
    (f"{URL}?limit=100", {"limit": 250}), (f"{URL}?a=1&a=2", {"a": "1"}), (f"{URL}#x", {"b": None}),
])
def test_given_any_url_and_params_then_the_deduped_params_are_the_cdks(url, params):
    assert _client(lean_way=True)._dedupe_query_params(url, params) == _client(lean_way=False)._dedupe_query_params(url, params)


class _ResponseAware(requests.auth.AuthBase):
    def __init__(self):
        self.seen = []

    def __call__(self, request):
        return request

    def update_from_response(self, request, response):
        self.seen.append(response.status_code)


def test_given_an_authenticator_that_reads_responses_then_it_still_sees_each_response():
    made = _client(lean_way=True)
    made._session.auth = _ResponseAware()
    with HttpMocker() as mocker:
        mocker.get(HttpRequest(URL, query_params={"limit": "250"}), HttpResponse("[]", 200))
        _send(made)

    assert made._session.auth.seen == [200]


def test_given_no_authenticator_then_nothing_is_asked_of_it(monkeypatch):
    made = _client(lean_way=True)
    assert made._session.auth is None
    called = []
    monkeypatch.setattr(HttpClient, "_update_authenticator_from_response", lambda self, *args: called.append(args))
    lean.lean_client(made)  # wraps the (now recording) CDK method
    with HttpMocker() as mocker:
        mocker.get(HttpRequest(URL, query_params={"limit": "250"}), HttpResponse("[]", 200))
        _send(made)

    assert called == []
