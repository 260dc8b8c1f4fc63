"""`check` and `discover` through the CLI against the local_store."""

import pytest

from local_store import LocalStore

from .connector import STREAMS, config_for, run_connector

ALL_SCOPES = frozenset({
    "store_v2_customers_read_only", "store_v2_orders_read_only", "store_v2_transactions_read_only",
    "store_v2_products_read_only", "store_v2_content_read_only", "store_channel_settings_read_only",
    "store_v2_information_read_only",
})


def connection_status(run):
    [message] = run.of_type("CONNECTION_STATUS")
    return message["connectionStatus"]


def test_given_readable_store_when_check_then_succeeds(store):
    assert connection_status(run_connector("check", config_for(store.base_url)))["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    "overrides, says",
    [
        ({"access_token": "wrong-token"}, "rejected the access token (401)"),
        ({"store_hash": "nosuchstore"}, "does not know the store hash 'nosuchstore' (404)"),
    ],
)
def test_given_bad_credentials_when_check_then_fails_saying_what_to_fix(store, overrides, says):
    run = run_connector("check", config_for(store.base_url, **overrides))

    status = connection_status(run)
    assert status["status"] == "FAILED"
    assert says in status["message"]
    assert "wrong-token" not in run.stdout + run.stderr


def test_given_suspended_store_when_check_then_fails_saying_so(store):
    store.options.suspended = True

    status = connection_status(run_connector("check", config_for(store.base_url)))

    assert status["status"] == "FAILED"
    assert "suspended or in maintenance" in status["message"]


def test_given_token_without_some_scopes_when_check_then_names_those_streams_and_scopes():
    scopes = ALL_SCOPES - {"store_v2_customers_read_only", "store_v2_transactions_read_only"}
    with LocalStore(scale=0.05, tokens={"narrow": scopes}) as store:
        status = connection_status(run_connector("check", config_for(store.base_url, access_token="narrow")))

    assert status["status"] == "FAILED"
    assert "customers need 'store_v2_customers_read_only'" in status["message"]
    assert "transactions need 'store_v2_transactions_read_only'" in status["message"]
    assert "orders" not in status["message"].replace("transactions", "")


def test_given_unreachable_api_when_check_then_fails_naming_the_url():
    status = connection_status(run_connector("check", config_for("http://127.0.0.1:9")))

    assert status["status"] == "FAILED"
    assert "Could not reach BigCommerce at http://127.0.0.1:9" in status["message"]


def test_discover_lists_ten_streams_with_keys_cursors_and_modes(store):
    run = run_connector("discover", config_for(store.base_url))

    streams = {s["name"]: s for s in run.of_type("CATALOG")[0]["catalog"]["streams"]}
    assert sorted(streams) == sorted(STREAMS)
    cursors = {"customers": "date_modified", "orders": "date_modified", "products": "date_modified", "channels": "date_modified",
               "order_products": "order_date_modified", "transactions": "order_date_modified"}
    for name, stream in streams.items():
        assert stream["source_defined_primary_key"] == [["id"]]
        assert stream["json_schema"]["properties"]["id"]
        if name in cursors:
            assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
            assert stream["source_defined_cursor"] is True
            assert stream["default_cursor_field"] == [cursors[name]]
        else:
            assert stream["supported_sync_modes"] == ["full_refresh"]
            assert "default_cursor_field" not in stream
