"""Airbyte's acceptance tests, from acceptance-test-config.yml, against a local store on 127.0.0.1.

airbyte-cdk's standard suite (`SourceTestSuiteBase`) runs the spec, connection, discovery, basic_read
and full_refresh sections in-process. It does not run what the retired Connector Acceptance Tests
also did, and rejects the keys that configured it, so the tests below the suite's do that from the
same file: records compared with the store's ground truth, two full refreshes alike, and the
`incremental` section (sequential reads, resuming from checkpoints, a far-future state).

The configs under `secrets/` are written for the local store when the module starts, into a folder of
this process's own: a fixed port is never committed, and two sessions never share a config.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

import pytest
import yaml
from airbyte_cdk.models import (
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalogSerializer,
    Type,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

# The suite's pytest hooks, for this module only (as a plugin they would reach every module): the
# `scenario` parametrization from acceptance-test-config.yml, and the fixtures its image tests take.
from airbyte_cdk.test.standard_tests.pytest_hooks import (  # noqa: F401
    connector_base_image_override,
    connector_image_override,
    pytest_generate_tests,
    read_from_streams,
    read_scenarios,
)

from local_store import LocalStore
from source_bigcommerce.dates import parse_date
from source_bigcommerce.source import SourceBigCommerce

from .connector import config_for
from .expectations import expected_records, key_of, without_top_level_nulls

ROOT = Path(__file__).resolve().parents[1]
ACCEPTANCE = yaml.safe_load((ROOT / "acceptance-test-config.yml").read_text())["acceptance_tests"]
# Not named `secrets`: the suite marks scenarios whose config sits in such a folder `requires_creds`.
SANDBOX_CONFIGS = Path(tempfile.gettempdir()) / f"source-bigcommerce-acceptance-{os.getpid()}"
IMAGE_TESTS_SKIPPED = (
    "Docker image tests of ghcr.io/source-bigcommerce/source-bigcommerce:dev are not run by plain pytest: they build the image "
    "(this machine has no Docker engine) and ask connectors.airbyte.com for the published spec, while these "
    "tests talk only to 127.0.0.1. Run them with `airbyte-cdk image test` where Docker and the network are."
)


class LaunchedSource(Source):
    """SourceBigCommerce built as the `source-bigcommerce` command builds it (source_bigcommerce/run.py):
    from the config, catalog and state the entrypoint has just read. The suite would build it with no
    arguments, and a read would then treat every stream as incremental and start from no state."""

    def __init__(self) -> None:
        self._source = SourceBigCommerce()

    @property
    def message_repository(self):
        return self._source.message_repository

    def spec(self, logger: logging.Logger):
        return self._source.spec(logger)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]):
        self._source = SourceBigCommerce(config=config)
        return self._source.check(logger, config)

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]):
        self._source = SourceBigCommerce(config=config)
        return self._source.discover(logger, config)

    def read(self, logger: logging.Logger, config: Mapping[str, Any], catalog, state=None):
        self._source = SourceBigCommerce(catalog=catalog, config=config, state=state)
        yield from self._source.read(logger, config, catalog, state)


def config_file(path: str) -> Path:
    """A `config_path` of acceptance-test-config.yml: `secrets/...` is this session's local store config."""
    relative = Path(path)
    if relative.parts[0] == "secrets":
        return SANDBOX_CONFIGS.joinpath(*relative.parts[1:])
    return ROOT / relative


def entries(section: str, having: str = "config_path") -> List[Any]:
    """The entries of a section of acceptance-test-config.yml that set `having`, as test parameters."""
    tests = ACCEPTANCE.get(section, {}).get("tests", [])
    return [pytest.param(entry, id=Path(entry["config_path"]).stem) for entry in tests if having in entry]


@pytest.fixture(scope="module")
def local_store() -> Iterator[LocalStore]:
    """One store for the module (no test here changes its data), and the `secrets/` configs for it."""
    with LocalStore(seed=7, scale=0.25) as store:
        SANDBOX_CONFIGS.mkdir(parents=True, exist_ok=True)
        (SANDBOX_CONFIGS / "config.json").write_text(json.dumps(config_for(store.base_url)))
        (SANDBOX_CONFIGS / "wrong_token_config.json").write_text(json.dumps(config_for(store.base_url, access_token="revoked-token")))
        try:
            yield store
        finally:
            shutil.rmtree(SANDBOX_CONFIGS, ignore_errors=True)


def read(config: Mapping[str, Any], catalog_path: str, state: Optional[List[Mapping[str, Any]]] = None) -> entrypoint_wrapper.EntrypointOutput:
    catalog = ConfiguredAirbyteCatalogSerializer.load(json.loads((ROOT / catalog_path).read_text()))
    states = [AirbyteStateMessageSerializer.load(s) for s in state] if state is not None else None
    output = entrypoint_wrapper.read(LaunchedSource(), config, catalog, states)
    assert not output.errors, output.get_formatted_error_message()
    return output


def records_by_stream(output: entrypoint_wrapper.EntrypointOutput) -> Dict[str, List[dict]]:
    found: Dict[str, List[dict]] = {}
    for message in output.records:
        found.setdefault(message.record.stream, []).append(message.record.data)
    return found


def states_in_order(output: entrypoint_wrapper.EntrypointOutput) -> List[Dict[str, Any]]:
    """Each STATE message as the platform stores it (JSON), in the order the connector emitted them."""
    return [AirbyteStateMessageSerializer.dump(m.state) for m in output.get_message_by_types([Type.STATE])]


def latest_per_stream(states: List[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    latest: Dict[str, Mapping[str, Any]] = {}
    for state in states:
        latest[state["stream"]["stream_descriptor"]["name"]] = state
    return list(latest.values())


def stream_names(catalog_path: str) -> List[str]:
    return [c["stream"]["name"] for c in json.loads((ROOT / catalog_path).read_text())["streams"]]


def cursor_fields(catalog_path: str) -> Dict[str, str]:
    catalog = json.loads((ROOT / catalog_path).read_text())
    return {c["stream"]["name"]: (c.get("cursor_field") or c["stream"]["default_cursor_field"])[0] for c in catalog["streams"]}


def records_older_than_state(records: Dict[str, List[dict]], states: List[Mapping[str, Any]], cursors: Dict[str, str]) -> List[str]:
    """Records of a resumed read dated before the state it resumed from (CAT's incremental check)."""
    older = []
    for state in states:
        stream = state["stream"]["stream_descriptor"]["name"]
        value = (state["stream"].get("stream_state") or {}).get(cursors.get(stream, "-"))
        if value:
            older += [f"{stream} {r['id']} {r[cursors[stream]]} < {value}" for r in records.get(stream, [])
                      if parse_date(r[cursors[stream]]) < parse_date(value)]
    return older


class TestSourceBigCommerce(SourceTestSuiteBase):
    connector = LaunchedSource
    connector_name = "source-bigcommerce"  # the suite would take the checkout folder's name

    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return ROOT

    @classmethod
    def get_scenarios(cls) -> List[ConnectorTestScenario]:
        """The file's scenarios, with paths made absolute (the suite reads some relative to the working
        directory) and `secrets/` pointing at this session's local store configs."""
        return [
            s.model_copy(update={
                "config_path": config_file(str(s.config_path)) if s.config_path else None,
                "configured_catalog_path": ROOT / s.configured_catalog_path if s.configured_catalog_path else None,
            })
            for s in super().get_scenarios()
        ]

    def test_config_matches_spec(self, scenario: ConnectorTestScenario) -> None:
        # airbyte-cdk 7.39.1 passes a scenario's configured catalog to `spec` too (run_test_job adds
        # --catalog for every verb but check and discover), and `spec` refuses the argument. It does so
        # whenever a config is listed under `spec` and under a read section with a catalog, as here.
        super().test_config_matches_spec(scenario.model_copy(update={"configured_catalog_path": None}))

    @pytest.fixture(autouse=True)
    def _local_store_running_and_no_image_tests(self, request: pytest.FixtureRequest, local_store: LocalStore) -> None:
        if request.node.get_closest_marker("image_tests"):
            pytest.skip(IMAGE_TESTS_SKIPPED)

    # -- what the Connector Acceptance Tests checked beyond the suite, from the same file ----------

    @pytest.mark.parametrize("entry", entries("basic_read"))
    def test_given_basic_read_config_when_read_then_every_record_equals_the_store_ground_truth(self, local_store, entry):
        config = json.loads(config_file(entry["config_path"]).read_text())

        output = read(config, entry["configured_catalog_path"])

        got = records_by_stream(output)
        expected = expected_records(local_store, start_date=config["start_date"])
        for stream in stream_names(entry["configured_catalog_path"]):
            expected[stream] = without_top_level_nulls(expected[stream])  # read in-process, through the CDK's serializer
            records = got.get(stream, [])
            by_key = {key_of(stream, r): r for r in records}
            assert len(by_key) == len(records), f"{stream}: a record was emitted twice"
            missing, extra = set(expected[stream]) - set(by_key), set(by_key) - set(expected[stream])
            assert not missing and not extra, f"{stream}: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}"
            differing = [k for k in by_key if by_key[k] != expected[stream][k]]
            assert not differing, f"{stream}: {len(differing)} records differ from the ground truth, e.g. {differing[:5]}"

    @pytest.mark.parametrize("entry", entries("full_refresh"))
    def test_given_full_refresh_config_when_read_twice_then_the_same_records(self, local_store, entry):
        config = json.loads(config_file(entry["config_path"]).read_text())

        first = records_by_stream(read(config, entry["configured_catalog_path"]))
        second = records_by_stream(read(config, entry["configured_catalog_path"]))

        assert first.keys() == second.keys()
        for stream in first:
            canonical = lambda records: sorted(json.dumps(r, sort_keys=True) for r in records)  # noqa: E731
            assert canonical(first[stream]) == canonical(second[stream]), f"{stream}: two full refreshes differ"

    @pytest.mark.parametrize("entry", entries("incremental"))
    def test_given_first_sync_state_when_synced_again_then_nothing_older_than_the_state(self, local_store, entry):
        config = json.loads(config_file(entry["config_path"]).read_text())
        cursors = cursor_fields(entry["configured_catalog_path"])
        first = read(config, entry["configured_catalog_path"])
        final = latest_per_stream(states_in_order(first))
        assert {s["stream"]["stream_descriptor"]["name"] for s in final} == set(cursors), "a STATE for every stream"
        assert all(s["stream"]["stream_state"].get(cursors[s["stream"]["stream_descriptor"]["name"]]) for s in final), final

        second = read(config, entry["configured_catalog_path"], state=final)

        assert records_older_than_state(records_by_stream(second), final, cursors) == []
        assert sum(len(r) for r in records_by_stream(second).values()) < len(first.records), "the second sync re-read everything"

    @pytest.mark.parametrize("entry", entries("incremental"))
    def test_given_a_checkpoint_of_the_first_sync_when_resumed_from_it_then_nothing_older_and_nothing_lost(self, local_store, entry):
        """CAT's sequential slices: resume from intermediate states (the platform's state after a crash)."""
        config = json.loads(config_file(entry["config_path"]).read_text())
        cursors = cursor_fields(entry["configured_catalog_path"])
        expected = expected_records(local_store, start_date=config["start_date"])
        first = read(config, entry["configured_catalog_path"])
        checkpoints, emitted, states = [], {s: set() for s in cursors}, []
        for message in first.get_message_iterator():
            if message.type == Type.RECORD:
                emitted[message.record.stream].add(message.record.data["id"])
            elif message.type == Type.STATE:
                states.append(AirbyteStateMessageSerializer.dump(message.state))
                checkpoints.append((latest_per_stream(states), {s: set(keys) for s, keys in emitted.items()}))
        intermediate = checkpoints[:-1]
        assert len(intermediate) >= 3, "the first sync should checkpoint along the way"

        for state, emitted_before in (intermediate[0], intermediate[len(intermediate) // 2], intermediate[-1]):
            resumed = records_by_stream(read(config, entry["configured_catalog_path"], state=state))

            assert records_older_than_state(resumed, state, cursors) == []
            for stream in cursors:
                lost = set(expected[stream]) - emitted_before[stream] - {r["id"] for r in resumed.get(stream, [])}
                assert not lost, f"resuming from {state} loses {stream} {sorted(lost)[:5]}"

    @pytest.mark.parametrize("entry", entries("incremental", having="future_state"))
    def test_given_a_far_future_state_when_read_then_no_records_and_a_state_per_stream(self, local_store, entry):
        config = json.loads(config_file(entry["config_path"]).read_text())
        future = json.loads((ROOT / entry["future_state"]["future_state_path"]).read_text())

        output = read(config, entry["configured_catalog_path"], state=future)

        in_state = {s["stream"]["stream_descriptor"]["name"] for s in future}
        assert {name: len(r) for name, r in records_by_stream(output).items() if name in in_state} == {}
        final = latest_per_stream(states_in_order(output))
        assert {s["stream"]["stream_descriptor"]["name"] for s in final} == set(cursor_fields(entry["configured_catalog_path"]))

