"""Run the connector as a platform does: the `source-bigcommerce` command, JSON files in, protocol messages out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from source_bigcommerce.streams import CATALOGUE

EXECUTABLE = str(Path(sys.executable).with_name("source-bigcommerce"))
STREAMS = tuple(spec.name for spec in CATALOGUE)
INCREMENTAL_STREAMS = frozenset(spec.name for spec in CATALOGUE if spec.cursor)
TOKEN = "local-token"


@dataclass
class Run:
    exit_code: int
    messages: List[Mapping[str, Any]]
    stdout: str
    stderr: str
    records: Dict[str, List[dict]] = field(default_factory=lambda: defaultdict(list))
    states: List[Mapping[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records[message["record"]["stream"]].append(message["record"]["data"])
            elif message["type"] == "STATE":
                self.states.append(message["state"])

    def of_type(self, kind: str) -> List[Mapping[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    def final_state(self) -> List[Mapping[str, Any]]:
        """The last STATE per stream, as a platform would store and pass back with --state."""
        latest: Dict[str, Mapping[str, Any]] = {}
        for state in self.states:
            latest[state["stream"]["stream_descriptor"]["name"]] = state
        return list(latest.values())

    def stream_state(self, stream: str) -> Optional[Mapping[str, Any]]:
        for state in reversed(self.states):
            if state["stream"]["stream_descriptor"]["name"] == stream:
                return state["stream"].get("stream_state")
        return None

    def errors(self) -> List[Mapping[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"].get("type") == "ERROR"]


def config_for(base_url: str, **overrides: Any) -> dict:
    return {"store_hash": "localstore", "access_token": TOKEN, "start_date": "2020-01-01", "api_url": base_url, **overrides}


def catalog_for(streams=STREAMS, mode: str = "incremental", sync_id: Optional[int] = None) -> dict:
    """A configured catalog; `sync_id` as Airbyte sends it (its job's id, kept across the job's attempts)."""
    entries = []
    for name in streams:
        incremental = mode == "incremental" and name in INCREMENTAL_STREAMS
        entries.append({
            "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"] if name in INCREMENTAL_STREAMS else ["full_refresh"]},
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append",
        })
        if sync_id is not None:
            entries[-1].update({"sync_id": sync_id, "generation_id": sync_id, "minimum_generation_id": sync_id})
    return {"streams": entries}


def run_connector(command: str, config: Optional[dict] = None, catalog: Optional[dict] = None,
                  state: Optional[list] = None, timeout: float = 600, env: Optional[dict] = None) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        args = [EXECUTABLE, command]
        for flag, value in (("--config", config), ("--catalog", catalog), ("--state", state)):
            if value is not None:
                path = Path(folder) / f"{flag[2:]}.json"
                path.write_text(json.dumps(value))
                args += [flag, str(path)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    messages = []
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            messages.append(json.loads(line))
    return Run(done.returncode, messages, done.stdout, done.stderr)
