"""The HTTP session reads the environment once (proxies, NO_PROXY, CA bundle) instead of on every request."""

import requests

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
