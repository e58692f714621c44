"""Running ``source-gong-flows`` the way the platform does, and reading what it wrote: every
line is validated against the Airbyte protocol's published models, with no unknown field."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airbyte_protocol.models import (
    AirbyteMessage,
    AirbyteStateBlob,
    ConfiguredAirbyteCatalog,
)
from pydantic import BaseModel

from tap_gong_flows.airbyte.source import run

SOURCE = Path(sys.executable).parent / "source-gong-flows"
PAYLOAD_KEY = {
    "RECORD": "record",
    "STATE": "state",
    "LOG": "log",
    "SPEC": "spec",
    "CONNECTION_STATUS": "connectionStatus",
    "CATALOG": "catalog",
    "TRACE": "trace",
}


# Validation against the protocol models


def _parse(line: str) -> Any:
    parse = getattr(AirbyteMessage, "model_validate_json", None) or AirbyteMessage.parse_raw
    return parse(line)


def _model_fields(model: BaseModel) -> set[str]:
    fields = getattr(type(model), "model_fields", None) or model.__fields__
    return set(fields)


def _assert_known_fields(model: BaseModel, where: str) -> None:
    """The models accept unknown fields (``extra = allow``): a misspelt field would pass
    parsing, so check that every field set is one the protocol defines."""
    if isinstance(model, AirbyteStateBlob):
        return  # the stream state: the source's own content
    known = _model_fields(model)
    extra = getattr(model, "model_extra", None)
    unknown = set(extra or {}) if extra is not None else set(vars(model)) - known
    assert not unknown, f"{where}: fields unknown to the protocol: {sorted(unknown)}"
    for name in known:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                _assert_known_fields(item, f"{where}.{name}")


def validated(stdout: str) -> list[dict[str, Any]]:
    """Every stdout line as a protocol message: parsed by the models, no unknown field,
    and the envelope carrying exactly the payload its type names."""
    messages = []
    for number, line in enumerate(stdout.splitlines(), 1):
        model = _parse(line)
        _assert_known_fields(model, f"line {number}")
        raw = json.loads(line)
        assert set(raw) == {"type", PAYLOAD_KEY[raw["type"]]}, f"line {number}: {line[:200]}"
        messages.append(raw)
    return messages


@dataclass
class SourceRun:
    code: int
    messages: list[dict[str, Any]]
    stderr: str = ""

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m[PAYLOAD_KEY[kind]] for m in self.messages if m["type"] == kind]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [r["data"] for r in self.of_type("RECORD") if r["stream"] == stream]

    def states(self, stream: str) -> list[dict[str, Any]]:
        return [
            s for s in self.of_type("STATE") if s["stream"]["stream_descriptor"]["name"] == stream
        ]

    def traces(self, kind: str) -> list[dict[str, Any]]:
        return [t for t in self.of_type("TRACE") if t["type"] == kind]

    def statuses(self, stream: str) -> list[str]:
        return [
            t["stream_status"]["status"]
            for t in self.traces("STREAM_STATUS")
            if t["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    def last_states(self) -> list[dict[str, Any]]:
        """What the platform passes to the next read: the last state of each stream."""
        last = {s["stream"]["stream_descriptor"]["name"]: s for s in self.of_type("STATE")}
        return list(last.values())


def _files(tmp_path: Path, **contents: Any) -> list[str]:
    args = []
    for name, content in contents.items():
        if content is None:
            continue
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(content))
        args += [f"--{name}", str(path)]
    return args


def source(
    command: str,
    tmp_path: Path,
    *,
    config: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    state: Any = None,
    subprocess_run: bool = False,
) -> SourceRun:
    """Run a command in this process, or as the installed console script."""
    args = [command, *_files(tmp_path, config=config, catalog=catalog, state=state)]
    if not subprocess_run:
        out = io.StringIO()
        code = run(args, out)
        return SourceRun(code, validated(out.getvalue()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_GONG_FLOWS_")}
    done = subprocess.run(
        [str(SOURCE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    return SourceRun(done.returncode, validated(done.stdout), done.stderr)


def configured_catalog(
    tmp_path: Path, config: dict[str, Any], modes: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """A configured catalog for ``modes`` (stream: sync mode), from the source's discover."""
    (catalog,) = source("discover", tmp_path, config=config).of_type("CATALOG")
    streams = {s["name"]: s for s in catalog["streams"]}
    configured = {
        "streams": [
            {
                "stream": streams[name],
                "sync_mode": mode,
                "destination_sync_mode": "append_dedup" if mode == "incremental" else "overwrite",
                **extra,
            }
            for name, mode in modes.items()
        ]
    }
    validate = (
        getattr(ConfiguredAirbyteCatalog, "model_validate", None)
        or ConfiguredAirbyteCatalog.parse_obj
    )
    validate(configured)
    return configured


# The configured catalog, taken as Airbyte's CDK takes one


def pyairbyte_catalog(tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Every discovered stream configured the way PyAirbyte's ``read()`` configures it by
    default: incremental, overwrite, the source's primary key and default cursor field."""
    (catalog,) = source("discover", tmp_path, config=config).of_type("CATALOG")
    return {
        "streams": [
            {
                "stream": stream,
                "sync_mode": "incremental",
                "destination_sync_mode": "overwrite",
                "primary_key": stream.get("source_defined_primary_key"),
                "cursor_field": stream.get("default_cursor_field"),
            }
            for stream in catalog["streams"]
        ]
    }


def _logs(result: SourceRun, prefix: str = "tap_gong_flows.airbyte: ") -> list[str]:
    return [log["message"] for log in result.of_type("LOG") if log["message"].startswith(prefix)]


ALL_STREAMS = (
    "users",
    "flow_folders",
    "flows",
    "flow_steps",
    "tasks",
    "prospects",
    "assigned_flows",
)
