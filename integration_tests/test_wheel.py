"""The package as a user installs it: the wheel built from this repository, installed into an empty venv,
then PyAirbyte's `get_source(..., pip_url=<the wheel>)` through a full read against the local store.

Nothing reaches the package index: pip and uv install from the wheelhouse `make install` downloads
(`.venv/wheelhouse`, the runtime dependencies at the pinned versions) with `--no-index`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import warnings

import pytest

# The Google clients PyAirbyte imports announce their Python support policy; not this connector's business.
warnings.filterwarnings("ignore", message="You are using a Python version", category=FutureWarning)
# Before airbyte is imported (it reads them at import): no registry look-ups, no telemetry.
os.environ["AIRBYTE_OFFLINE_MODE"] = "1"
os.environ["DO_NOT_TRACK"] = "1"

import airbyte as ab  # noqa: E402
from airbyte.caches import DuckDBCache  # noqa: E402
from sqlalchemy import text  # noqa: E402

from .connector import STREAMS, config_for  # noqa: E402
from .expectations import expected_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"
# What `pip install` of the wheel needs; tests, the local store, the bench and the docs stay out.
SOURCES = ["setup.py", "metadata.yaml", "source_bigcommerce"]
NOT_RUNTIME = {"airbyte", "duckdb", "pytest", "hypothesis", "docker", "snowflake-connector-python", "google-cloud-bigquery", "boto3"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"{WHEELHOUSE} is missing: run `make install`, which downloads the runtime dependencies there")
    tree = tmp_path_factory.mktemp("tree")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, tree / name)
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-w", str(dist), str(tree)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (found,) = dist.glob("source_bigcommerce-*.whl")
    return found


def _offline_pip(*args: str) -> list:
    return ["--no-index", "--find-links", str(WHEELHOUSE), *args]


@pytest.mark.timeout(600)
def test_given_the_wheel_when_installed_into_an_empty_venv_then_the_command_answers_and_only_runtime_dependencies_came(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    installed = subprocess.run([*pip, "install", "--quiet", *_offline_pip(str(wheel))], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]

    spec = subprocess.run([str(venv / "bin" / "source-bigcommerce"), "spec"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "AIRBYTE_OFFLINE_MODE": "1"})
    assert spec.returncode == 0, spec.stderr[-2000:]
    (message,) = [m for m in (json.loads(line) for line in spec.stdout.splitlines() if line.startswith("{")) if m["type"] == "SPEC"]
    assert message["spec"]["connectionSpecification"]["required"] == ["store_hash", "access_token", "start_date"]

    listed = subprocess.run([*pip, "list", "--format=json"], capture_output=True, text=True, check=True, timeout=120)
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert "source-bigcommerce" in names and "airbyte-cdk" in names
    assert not names & NOT_RUNTIME, f"the install pulled in what only the demo and tests need: {sorted(names & NOT_RUNTIME)}"


@pytest.mark.timeout(900)
def test_given_pyairbyte_with_the_wheel_as_pip_url_when_every_stream_is_read_then_the_counts_equal_the_ground_truth(wheel, store, tmp_path, monkeypatch):
    # PyAirbyte runs `uv` (installed beside this interpreter) to make the connector's venv; the pip_url's
    # options keep that install off the network.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    source = ab.get_source("source-bigcommerce", config=config_for(store.base_url),
                           pip_url=" ".join(_offline_pip(str(wheel))), install_root=tmp_path)
    assert Path(tmp_path, ".venv-source-bigcommerce", "bin", "source-bigcommerce").is_file(), "PyAirbyte installed the wheel"
    source.select_all_streams()
    cache = DuckDBCache(db_path=tmp_path / "bigcommerce.duckdb")

    result = source.read(cache=cache, force_full_refresh=True)

    expected = expected_records(store)
    assert set(result.streams) == set(STREAMS)
    with cache.get_sql_engine().connect() as sql:
        counts = {s: sql.execute(text(f"SELECT count(*) FROM {cache.schema_name}.{s}")).scalar() for s in STREAMS}
    assert counts == {s: len(expected[s]) for s in STREAMS}
