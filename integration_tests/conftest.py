import os

import pytest

from sandbox import SandboxStore

# PyAirbyte and the CDK must never phone home from a test.
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture
def store():
    """A fresh sandbox store per test (tests change its data)."""
    with SandboxStore(seed=7, scale=0.25) as running:
        yield running
