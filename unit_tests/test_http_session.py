"""The HTTP session reads the environment once (proxies, NO_PROXY, CA bundle) instead of on every request."""

import pytest
import requests

from source_bigcommerce import transport
from source_bigcommerce.config import BigCommerceConfig
from source_bigcommerce.streams import BY_NAME, BigCommerceStream
from source_bigcommerce.streams.base import environment_once

CONFIG = {"store_hash": "abc123", "access_token": "t0ken", "start_date": "2024-01-01"}


def test_given_a_proxy_and_a_ca_bundle_in_the_environment_then_the_session_keeps_them_and_stops_looking(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    stream = BigCommerceStream(BY_NAME["brands"], BigCommerceConfig.from_mapping(CONFIG))
    session = stream._http_client._session

    assert session.trust_env is False
    assert session.proxies.get("https") == "http://proxy.internal:3128"
    assert session.verify == "/etc/ssl/company.pem"
    merged = session.merge_environment_settings("https://api.bigcommerce.com/stores/abc123/v3/catalog/brands", {}, None, None, None)
    assert merged["proxies"]["https"] == "http://proxy.internal:3128" and merged["verify"] == "/etc/ssl/company.pem"


def test_given_no_proxy_for_the_api_host_then_no_proxy_is_set(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "api.bigcommerce.com")
    session = requests.Session()

    environment_once(session, "https://api.bigcommerce.com")

    assert "https" not in session.proxies and session.trust_env is False


# -- the lean merges (transport.streamline) against requests' own, on the session a stream builds

def stream_session(monkeypatch, proxy=None):
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    else:
        monkeypatch.delenv("HTTPS_PROXY", raising=False)
        monkeypatch.delenv("https_proxy", raising=False)
    return BigCommerceStream(BY_NAME["brands"], BigCommerceConfig.from_mapping(CONFIG))._http_client._session


def prepared_both_ways(session, request_factory):
    lean = session.prepare_request(request_factory())
    own = requests.Session.prepare_request(session, request_factory())
    return lean, own


def same_request(lean, own):
    assert (lean.method, lean.url, lean.body) == (own.method, own.url, own.body)
    assert dict(lean.headers) == dict(own.headers) and list(lean.headers) == list(own.headers)
    assert {k: len(v) for k, v in lean.hooks.items()} == {k: len(v) for k, v in own.hooks.items()}


URL = "https://api.bigcommerce.com/stores/abc123/v2/orders"


@pytest.mark.parametrize("headers, params", [
    ({"X-Auth-Token": "t0ken", "Accept": "application/json"}, {"limit": 250, "min_date_modified": "2024-01-01T00:00:00+00:00"}),
    ({}, {}),
    ({"User-Agent": None, "X-Auth-Token": "t"}, {"sort": "date_modified:asc", "include": "variants,images", "skip": None}),
    ({"Accept-Encoding": "identity"}, {"id:in": [1, 2, 3], "keyword": "café & crème / 50% + ✓", "empty": ""}),
    ({"accept": "text/plain"}, {"page": 2, "flag": True, "ratio": 0.5, "bytes": b"raw"}),
])
def test_given_a_get_when_prepared_the_lean_way_then_it_is_the_request_requests_prepares(monkeypatch, headers, params):
    session = stream_session(monkeypatch)

    lean, own = prepared_both_ways(session, lambda: requests.Request("GET", URL, headers=dict(headers), params=dict(params)))

    same_request(lean, own)


# URLs the lean way builds as a string: requests leaves each as it is, adding only the query
PLAIN_URLS = [URL, "http://127.0.0.1:51234/stores/localstore/v3/orders/100123/transactions", "https://api.bigcommerce.com",
              "https://api.bigcommerce.com/", "http://a-b.example:65535/x//y/", "https://api.bigcommerce.com/v3/x_y.z~w-1/",
              "https://xn--caf-dma.example/x", "https://api.bigcommerce.com:443/x", "http://h:8080", "http://1.2.3.4:1/a-b/c_d"]
# URLs requests changes (host case, dot segments, quoting, a port out of range) or that carry their own
# query or fragment: these go through requests' prepare
OTHER_URLS = [f"{URL}?already=1", f"{URL}#fragment", "https://API.bigcommerce.com:443/stores/abc123/v3/x y",
              "https://api.bigcommerce.com/a/./b", "https://api.bigcommerce.com/a/../b", "https://api.bigcommerce.com/a/..",
              "https://api.bigcommerce.com/%7Eb", "https://api.bigcommerce.com:99999/x", "https://api.bigcommerce.com:080/x",
              "https://user:pw@api.bigcommerce.com/x", "https://api.bigcommerce.com/caf\u00e9",
              "https://b\u00fccher.example/x", "HTTPS://api.bigcommerce.com/x", "https://api.bigcommerce.com/x;y", "  https://api.bigcommerce.com/x"]
PARAMS = [{}, {"limit": 250}, {"limit": 250, "min_date_modified": "2024-01-01T00:00:00+00:00", "sort": "date_modified:asc"},
          {"keyword": "caf\u00e9 & cr\u00e8me / 50% + \u2713", "empty": "", "skip": None, "flag": True, "ratio": 0.5}]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("url", PLAIN_URLS + OTHER_URLS)
def test_given_any_url_and_query_then_both_ways_agree(monkeypatch, url, params):
    session = stream_session(monkeypatch)

    make = lambda: requests.Request("GET", url, headers={"X-Auth-Token": "t"}, params=dict(params))
    try:
        own = requests.Session.prepare_request(session, make())
    except requests.exceptions.RequestException as refused:  # a port out of range: both ways refuse it alike
        with pytest.raises(type(refused)):
            session.prepare_request(make())
        return

    same_request(session.prepare_request(make()), own)


@pytest.mark.parametrize("url", PLAIN_URLS)
def test_given_a_url_requests_leaves_as_it_is_then_it_is_built_as_a_string(url):
    assert transport._plain_get_url(requests.Request("GET", url, params={"limit": 250})) is not None


@pytest.mark.parametrize("url", OTHER_URLS)
def test_given_a_url_requests_would_change_then_requests_prepares_it(url):
    assert transport._plain_get_url(requests.Request("GET", url, params={"limit": 250})) is None


@pytest.mark.parametrize("params", [{"id:in": [1, 2]}, {"raw": b"x"}, {1: "a"}])
def test_given_a_query_of_lists_bytes_or_odd_names_then_requests_encodes_it(monkeypatch, params):
    assert transport._plain_get_url(requests.Request("GET", URL, params=params)) is None
    lean, own = prepared_both_ways(stream_session(monkeypatch), lambda: requests.Request("GET", URL, params=dict(params)))
    same_request(lean, own)


def test_given_a_header_with_a_line_break_then_it_is_refused_as_requests_refuses_it(monkeypatch):
    session = stream_session(monkeypatch)
    for prepare in (session.prepare_request, lambda r: requests.Session.prepare_request(session, r)):
        with pytest.raises(requests.exceptions.InvalidHeader):
            prepare(requests.Request("GET", URL, headers={"X-Auth-Token": "t0ken\r\nX-Evil: 1"}, params={"limit": 1}))


@pytest.mark.parametrize("setup", ["session cookie", "request cookie", "auth", "session params", "hook", "post with a body"])
def test_given_anything_beyond_headers_and_a_query_then_requests_own_merges_prepare_it(monkeypatch, setup):
    session = stream_session(monkeypatch)
    extra = {}
    if setup == "session cookie":
        session.cookies.set("__cf_bm", "abc", domain="api.bigcommerce.com")
    elif setup == "request cookie":
        extra["cookies"] = {"a": "b"}
    elif setup == "auth":
        extra["auth"] = ("user", "pass")
    elif setup == "session params":
        session.params = {"channel_id": 1}
    elif setup == "hook":
        extra["hooks"] = {"response": [lambda r, **_: r]}
    method = "POST" if setup == "post with a body" else "GET"
    body = {"json": {"a": 1}} if method == "POST" else {}

    lean, own = prepared_both_ways(session, lambda: requests.Request(method, URL, params={"limit": 1}, **extra, **body))

    same_request(lean, own)
    if setup in ("session cookie", "request cookie"):
        assert "Cookie" in lean.headers
    if setup == "auth":
        assert lean.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("proxy", [None, "http://proxy.internal:3128"])
@pytest.mark.parametrize("proxies", [None, {}, {"https": "http://other:1"}, {"https": None}, {"http": "http://h:2"}])
@pytest.mark.parametrize("stream, verify, cert", [(None, None, None), (True, False, "client.pem"), (False, "/etc/ca.pem", ("c", "k"))])
def test_given_request_settings_when_merged_the_lean_way_then_they_are_what_requests_merges(monkeypatch, proxy, proxies, stream, verify, cert):
    session = stream_session(monkeypatch, proxy)
    copy = lambda value: dict(value) if isinstance(value, dict) else value

    lean = session.merge_environment_settings(URL, copy(proxies), stream, verify, cert)
    own = requests.Session.merge_environment_settings(session, URL, copy(proxies), stream, verify, cert)

    assert lean == own


# -- the stream's URL join (BigCommerceStream._join_url) against the CDK's urljoin

@pytest.mark.parametrize("base", ["https://api.bigcommerce.com/stores/abc123/v3/", "http://127.0.0.1:51234/stores/localstore/v2/",
                                  "https://proxy.internal/bc/stores/x/v3/", "https://api.bigcommerce.com/stores/abc123/v3",
                                  "https://h/a/./b/", "https://h/a/../b/", "https://h/a//b/", "https://h/a?x=1/", "https://h/a#f/",
                                  "https://h/.hidden/v3/", "https://h/"])
@pytest.mark.parametrize("path", ["orders", "orders/100123/transactions", "catalog/products/category-assignments", "customer_groups",
                                  "/v3/orders", "../orders", "./orders", "orders/./x", "https://other/x", "orders?limit=1", "a b", ""])
def test_given_a_base_and_a_path_then_the_join_is_urljoins(base, path):
    from urllib.parse import urljoin

    assert BigCommerceStream._join_url(base, path) == urljoin(base, path)


def test_given_the_connectors_own_urls_then_the_join_does_not_parse_them(monkeypatch):
    from airbyte_cdk.sources.streams.http import HttpStream

    monkeypatch.setattr(HttpStream, "_join_url", classmethod(lambda cls, base, path: pytest.fail("urljoin was called")))

    assert BigCommerceStream._join_url("https://api.bigcommerce.com/stores/abc123/v3/", "orders/1/transactions").endswith("v3/orders/1/transactions")
