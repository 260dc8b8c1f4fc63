"""`check` and `discover` through the CLI against the local_store."""

import pytest

from local_store import LocalStore

from source_bigcommerce.streams import CATALOGUE

from .connector import STREAMS, config_for, run_connector

ALL_SCOPES = frozenset(spec.scope.name for spec in CATALOGUE)
NARROW = ALL_SCOPES - {"store_v2_orders_read_only", "store_v2_transactions_read_only"}
NEEDS_ORDERS = {spec.name for spec in CATALOGUE if spec.scope.name in ALL_SCOPES - NARROW}


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


def test_given_token_without_the_orders_and_transactions_scopes_when_check_then_succeeds_and_logs_what_it_cannot_read():
    with LocalStore(scale=0.05, tokens={"narrow": NARROW}) as store:
        run = run_connector("check", config_for(store.base_url, access_token="narrow"))

    assert connection_status(run)["status"] == "SUCCEEDED"
    [notice] = [m["log"]["message"] for m in run.of_type("LOG") if "cannot read" in m["log"]["message"]]
    assert "store_v2_orders_read_only" in notice and "store_v2_transactions_read_only" in notice
    assert all(name in notice for name in NEEDS_ORDERS) and "customers" not in notice


def test_given_token_that_can_read_nothing_when_check_then_fails_naming_the_access_token():
    with LocalStore(scale=0.05, tokens={"empty": frozenset()}) as store:
        status = connection_status(run_connector("check", config_for(store.base_url, access_token="empty")))

    assert status["status"] == "FAILED" and "access_token" in status["message"]


def test_given_token_without_some_scopes_when_discover_then_only_the_streams_it_can_read():
    with LocalStore(scale=0.05, tokens={"narrow": NARROW}) as store:
        run = run_connector("discover", config_for(store.base_url, access_token="narrow"))

    names = {s["name"] for s in run.of_type("CATALOG")[0]["catalog"]["streams"]}
    assert names == set(STREAMS) - NEEDS_ORDERS and NEEDS_ORDERS


def test_given_unreachable_api_when_check_then_fails_naming_the_url():
    status = connection_status(run_connector("check", config_for("http://127.0.0.1:9")))

    assert status["status"] == "FAILED"
    assert "Could not reach BigCommerce at http://127.0.0.1:9" in status["message"]


def test_discover_lists_every_stream_with_keys_cursors_and_modes(store):
    run = run_connector("discover", config_for(store.base_url))

    streams = {s["name"]: s for s in run.of_type("CATALOG")[0]["catalog"]["streams"]}
    assert list(streams) == list(STREAMS) and len(streams) >= 50
    for spec in CATALOGUE:
        stream = streams[spec.name]
        assert stream["source_defined_primary_key"] == [[k] for k in spec.primary_key]
        assert all(k in stream["json_schema"]["properties"] for k in spec.primary_key)
        if spec.cursor:
            assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
            assert stream["source_defined_cursor"] is True
            assert stream["default_cursor_field"] == [spec.cursor]
        else:
            assert stream["supported_sync_modes"] == ["full_refresh"]
            assert "default_cursor_field" not in stream
