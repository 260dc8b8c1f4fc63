import os

import pytest

from local_store import LocalStore

# PyAirbyte and the CDK must never phone home from a test.
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture
def store():
    """A fresh local store per test (tests change its data)."""
    with LocalStore(seed=7, scale=0.25, strict=True) as running:
        yield running


def pytest_configure(config):
    # A mark of airbyte-cdk's standard test suite (test_acceptance.py), registered so it is not taken for a typo.
    config.addinivalue_line("markers", "image_tests: airbyte-cdk standard tests that build and run the connector's Docker image")


@pytest.fixture
def no_backoff_sleep(monkeypatch):
    """The CDK's retry waits, skipped: the retry policy itself is the shipped one."""
    import airbyte_cdk.sources.streams.http.rate_limiting as rate_limiting

    class NoWait:
        def __getattr__(self, name):
            return getattr(__import__("time"), name)

        @staticmethod
        def sleep(seconds):
            pass

    monkeypatch.setattr(rate_limiting, "time", NoWait())
