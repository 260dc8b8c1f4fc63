"""The connector image, built from the repository's Dockerfile and run as a platform runs it: `spec`,
`check`, `discover` and a full `read` against the local store, as an unprivileged user, its records
compared with the ground truth.

Needs a Docker engine and the image's base: `python:3.11-slim` from a registry, or the stand-in
`.ci/image-base` builds when none is reachable (it exports SOURCE_BIGCOMMERCE_BASE_IMAGE). Without
either the tests skip, saying which is missing; CI provides both.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from pathlib import Path

import pytest
import yaml

from local_store import LocalStore

from .connector import STREAMS, Run, catalog_for, config_for
from .expectations import by_key, expected_records

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASE = "python:3.11-slim"
OFFLINE = {"AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1"}


def _client_or_skip():
    try:
        import docker

        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as error:  # no engine, no socket, no permission: all mean "cannot run an image here"
        pytest.skip(f"no Docker engine reachable ({type(error).__name__}); the image is not built or run")
    return client


def _base_or_skip(client) -> str:
    base = os.environ.get("SOURCE_BIGCOMMERCE_BASE_IMAGE", DEFAULT_BASE)
    try:
        client.images.get(base)
        return base
    except Exception:
        pass
    try:
        client.images.pull(base)
        return base
    except Exception as error:
        pytest.skip(f"the image's base {base} is not on this engine and cannot be pulled ({type(error).__name__}): "
                    "run `eval \"$(.ci/image-base)\"` to build a stand-in")


@pytest.fixture(scope="module")
def image():
    client = _client_or_skip()
    base = _base_or_skip(client)
    tag = f"source-bigcommerce:test-{uuid.uuid4().hex[:8]}"
    # --network host: the build's pip reaches the package index the way the host does.
    version = yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]["dockerImageTag"]
    built, _ = client.images.build(path=str(ROOT), tag=tag, buildargs={"BASE_IMAGE": base, "CONNECTOR_VERSION": version},
                                   network_mode="host", rm=True, forcerm=True)
    try:
        yield client, tag, built
    finally:
        client.images.remove(built.id, force=True)


def _run(client, tag: str, command: str, folder: Path, *files: str) -> Run:
    args = [command]
    for name in files:
        args += [f"--{name}", f"/data/{name}.json"]
    container = client.containers.run(tag, args, detach=True, network_mode="host", environment=OFFLINE,
                                      volumes={str(folder): {"bind": "/data", "mode": "ro"}})
    try:
        exit_code = container.wait(timeout=600)["StatusCode"]
        stdout = container.logs(stdout=True, stderr=False).decode()
        stderr = container.logs(stdout=False, stderr=True).decode()
    finally:
        container.remove(force=True)
    messages = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return Run(exit_code, messages, stdout, stderr)


@pytest.mark.timeout(1500)
def test_given_the_image_when_run_as_a_platform_runs_it_then_spec_check_discover_and_read_are_exact(image):
    client, tag, built = image
    metadata = yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]
    assert built.labels["io.airbyte.name"] == metadata["dockerRepository"]
    assert built.labels["io.airbyte.version"] == metadata["dockerImageTag"]
    assert client.containers.run(tag, entrypoint=["id", "-u"], remove=True).decode().strip() == "1000", "runs unprivileged"

    with LocalStore(seed=2, scale=0.1) as store, tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)  # the container's user (uid 1000) reads what the host wrote
        files = {"config": config_for(store.base_url), "catalog": catalog_for(mode="full_refresh")}
        for name, value in files.items():
            path = Path(folder, f"{name}.json")
            path.write_text(json.dumps(value))
            os.chmod(path, 0o644)

        spec = _run(client, tag, "spec", Path(folder))
        check = _run(client, tag, "check", Path(folder), "config")
        discover = _run(client, tag, "discover", Path(folder), "config")
        read = _run(client, tag, "read", Path(folder), "config", "catalog")
        expected = expected_records(store)

    assert spec.exit_code == 0 and spec.of_type("SPEC")[0]["spec"]["connectionSpecification"]["required"]
    assert check.exit_code == 0 and check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    assert [s["name"] for s in discover.of_type("CATALOG")[0]["catalog"]["streams"]] == list(STREAMS)
    assert read.exit_code == 0, read.stderr[-2000:]
    for stream in STREAMS:
        assert by_key(stream, read.records[stream]) == expected[stream], f"{stream}: the image's read differs from the ground truth"
    assert not re.search(r"Traceback", read.stdout + read.stderr)
