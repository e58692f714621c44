"""``source-gong-flows``, the tap as an Airbyte source, against the simulator.

Every line a command writes to stdout is validated against the Airbyte protocol's published
models (``airbyte-protocol-models``), with no field the models do not know.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from airbyte_protocol.models import (
    AirbyteMessage,
    AirbyteStateBlob,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
)
from jsonschema import Draft7Validator
from pydantic import BaseModel

from tap_gong_flows.airbyte.source import run
from tap_gong_flows.airbyte.translate import (
    SYNC_ID_KEY,
    InputError,
    StreamPlan,
    airbyte_stream_states,
    singer_state,
)
from tap_gong_flows.settings import SECRET_SETTINGS, SETTINGS_SCHEMA
from tap_gong_flows.simulator import (
    PROSPECTS_PATH,
    Fault,
    FaultPlan,
    GongDataset,
    GongSimulator,
)
from tap_gong_flows.streams.assigned_flows import FINISHED_STATUSES
from tap_gong_flows.tap import TapGongFlows

from .support import ACCESS_KEY_SECRET, REPO_ROOT, run_tap

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


@pytest.fixture
def config(base_config: dict[str, Any], dataset: GongDataset) -> dict[str, Any]:
    return {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:150]}


# spec


def test_spec_is_the_tap_settings_with_secrets_marked(
    tmp_path: Path, config: dict[str, Any]
) -> None:
    result = source("spec", tmp_path, subprocess_run=True)

    assert result.code == 0
    assert result.stderr == ""
    (spec,) = result.of_type("SPEC")
    connection = spec["connectionSpecification"]
    properties = connection["properties"]
    assert list(properties) == list(SETTINGS_SCHEMA["properties"])
    assert {n for n, p in properties.items() if p.get("airbyte_secret")} == set(SECRET_SETTINGS)
    assert all(isinstance(p["type"], str) for p in properties.values())  # no ["x", "null"]
    assert properties["api_url"]["default"] == "https://api.gong.io"
    assert properties["prospect_ids_per_request"]["minimum"] == 1
    assert [p["order"] for p in properties.values()] == list(range(len(properties)))
    validator = Draft7Validator(connection)
    Draft7Validator.check_schema(connection)
    assert list(validator.iter_errors(config)) == []
    assert list(validator.iter_errors({**config, "prospect_ids_per_request": 0}))


# check


def test_check_succeeds_with_one_cheap_request(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    result = source("check", tmp_path, config=config, subprocess_run=True)

    assert result.code == 0
    (status,) = result.of_type("CONNECTION_STATUS")
    assert status["status"] == "SUCCEEDED"
    # The first page of users only (the simulator's pages hold 3), through the tap's client.
    assert [(e.method, e.path, e.status) for e in simulator.request_log] == [
        ("GET", "/v2/users", 200)
    ]
    assert result.stderr == ""


def test_check_with_bad_credentials_fails_with_gongs_words(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    bad = {**config, "access_key_secret": "not-the-right-secret"}
    result = source("check", tmp_path, config=bad, subprocess_run=True)

    assert result.code == 0  # a FAILED check is an answer, not a crash (as in the Airbyte CDK)
    (status,) = result.of_type("CONNECTION_STATUS")
    assert status["status"] == "FAILED"
    message = status["message"]
    assert message.startswith("GET /v2/users answered 401")
    assert "Gong says: Unauthorized: Invalid access key or secret" in message
    assert re.search(r"requestId \w+", message)
    assert "Traceback" not in result.stderr
    assert not result.of_type("TRACE")
    assert "not-the-right-secret" not in json.dumps(result.messages)
    assert len(simulator.request_log) == 1  # a 401 is not retried


def test_check_ends_at_once_when_stopped_right_after_its_status(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    """PyAirbyte sends SIGTERM as soon as it reads the status; the source used to wait for
    itself forever there (the SDK's stop handler logged while a line was being written)."""
    args = _files(tmp_path, config=config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_GONG_FLOWS_")}
    process = subprocess.Popen(
        [str(SOURCE), "check", *args], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if '"CONNECTION_STATUS"' in line:
            process.terminate()
            break
    try:
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode in (0, -signal.SIGTERM)
    messages = validated("".join(lines) + rest)  # no Singer STATE line after the status
    assert [
        m["connectionStatus"]["status"] for m in messages if m["type"] == "CONNECTION_STATUS"
    ] == ["SUCCEEDED"]


def test_check_reports_gongs_error_body_and_request_id(
    tmp_path: Path, simulator: GongSimulator, faults: FaultPlan, config: dict[str, Any]
) -> None:
    body = {"requestId": "4a7k2m9qx1", "errors": ["API access is disabled for this company"]}
    faults.enqueue(Fault.status(403, json.dumps(body), "application/json"), path="/v2/users")

    (status,) = source("check", tmp_path, config=config).of_type("CONNECTION_STATUS")

    assert status["status"] == "FAILED"
    assert "Gong says: API access is disabled for this company" in status["message"]
    assert "requestId 4a7k2m9qx1" in status["message"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"prospect_ids_per_request": 0}, "prospect_ids_per_request: must be at least 1 (got 0)"),
        ({"access_key_secret": None}, "access_key_secret: missing"),
        ({"api_url": "https://us-1.api.gong.io/v2"}, "api_url: must be the base URL"),
    ],
)
def test_check_with_a_config_error_fails_before_any_request(
    tmp_path: Path,
    simulator: GongSimulator,
    config: dict[str, Any],
    change: dict[str, Any],
    expected: str,
) -> None:
    bad = {k: v for k, v in {**config, **change}.items() if v is not None}
    result = source("check", tmp_path, config=bad)

    assert result.code == 0
    (status,) = result.of_type("CONNECTION_STATUS")
    assert status["status"] == "FAILED"
    assert status["message"].startswith("Config validation failed: ")
    assert expected in status["message"]
    assert simulator.request_log == []


def test_check_of_a_config_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{not json")
    out = io.StringIO()
    assert run(["check", "--config", str(path)], out) == 0
    (status,) = SourceRun(0, validated(out.getvalue())).of_type("CONNECTION_STATUS")
    assert status["status"] == "FAILED"
    assert "is not valid JSON" in status["message"]


# discover


def test_discover_lists_every_stream_with_keys_and_sync_modes(
    tmp_path: Path, config: dict[str, Any]
) -> None:
    result = source("discover", tmp_path, config=config)

    assert result.code == 0
    (catalog,) = result.of_type("CATALOG")
    tap_streams = TapGongFlows(config=config, validate_config=False).streams
    streams = {s["name"]: s for s in catalog["streams"]}
    assert list(streams) == list(tap_streams)
    for name, stream in streams.items():
        assert stream["json_schema"] == tap_streams[name].schema
        assert stream["source_defined_primary_key"] == [
            [k] for k in tap_streams[name].primary_keys or ()
        ]
    assert streams["tasks"]["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert streams["tasks"]["source_defined_cursor"] is True
    assert streams["tasks"]["default_cursor_field"] == ["updated"]
    for name in set(streams) - {"tasks"}:
        assert streams[name]["supported_sync_modes"] == ["full_refresh"], name
        assert "default_cursor_field" not in streams[name]
    assert streams["assigned_flows"]["source_defined_primary_key"] == [["flowInstanceId"]]
    assert streams["flow_steps"]["source_defined_primary_key"] == [["flowId"], ["id"]]
    assert streams["assigned_flows"]["is_resumable"] is True


# read


def test_read_full_refresh_emits_exactly_what_the_singer_path_emits(
    tmp_path: Path, simulator: GongSimulator, dataset: GongDataset, config: dict[str, Any]
) -> None:
    singer = run_tap(config, streams=("prospects", "assigned_flows"))
    catalog = configured_catalog(
        tmp_path, config, {"prospects": "full_refresh", "assigned_flows": "full_refresh"}
    )

    result = source("read", tmp_path, config=config, catalog=catalog, subprocess_run=True)

    assert result.code == 0, result.messages[-3:]
    assert result.stderr == ""  # every log line went to stdout as a LOG message
    ids = config["crm_prospect_ids"]
    assert result.records("assigned_flows") == singer.records("assigned_flows")
    assert result.records("assigned_flows") == dataset.expected_open_records(ids)
    assert result.records("prospects") == singer.records("prospects")
    assert [r["crmProspectId"] for r in result.records("prospects")] == ids
    assert {r["stream"] for r in result.of_type("RECORD")} == {"prospects", "assigned_flows"}
    for record in result.of_type("RECORD"):
        assert isinstance(record["emitted_at"], int)
        assert record["emitted_at"] > 1_600_000_000_000  # milliseconds, not seconds
    # The position after the first batch of 100, then the final (empty) state.
    assert [s["stream"]["stream_state"] for s in result.states("assigned_flows")] == [
        {"prospects_done": 100},
        {"prospects_done": 150},
        {},
    ]
    assert all(s["type"] == "STREAM" for s in result.of_type("STATE"))
    counted = sum(s["sourceStats"]["recordCount"] for s in result.states("assigned_flows"))
    assert counted == len(result.records("assigned_flows"))
    assert result.states("prospects")
    assert result.statuses("assigned_flows") == ["STARTED", "RUNNING", "COMPLETE"]
    assert result.statuses("prospects")[-1] == "COMPLETE"
    logs = [log["message"] for log in result.of_type("LOG")]
    assert any("assigned_flows: 150 prospects in 2 requests" in line for line in logs)
    assert ACCESS_KEY_SECRET not in json.dumps(result.messages)


def test_read_of_assigned_flows_alone_is_fed_by_its_parent(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    singer = run_tap(config, streams=("assigned_flows",))
    simulator.request_log.clear()
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0
    assert result.records("assigned_flows") == singer.records("assigned_flows")
    assert result.records("assigned_flows")
    assert {r["stream"] for r in result.of_type("RECORD")} == {"assigned_flows"}
    assert {s["stream"]["stream_descriptor"]["name"] for s in result.of_type("STATE")} == {
        "assigned_flows"
    }
    assert {e.path for e in simulator.request_log} == {PROSPECTS_PATH}


def test_read_tasks_incrementally_then_again_from_the_state(
    tmp_path: Path, base_config: dict[str, Any]
) -> None:
    singer = run_tap(base_config, streams=("tasks",))
    catalog = configured_catalog(tmp_path, base_config, {"tasks": "incremental"})

    first = source("read", tmp_path, config=base_config, catalog=catalog)

    assert first.code == 0
    tasks = first.records("tasks")
    assert tasks == singer.records("tasks")
    assert tasks
    (state,) = first.last_states()
    bookmark = state["stream"]["stream_state"]
    assert bookmark["replication_key"] == "updated"
    assert bookmark["replication_key_value"] == max(t["updated"] for t in tasks)
    assert bookmark == singer.of_type("STATE")[-1]["value"]["bookmarks"]["tasks"]

    second = source(
        "read", tmp_path, config=base_config, catalog=catalog, state=first.last_states()
    )

    assert second.code == 0
    assert second.records("tasks") == []  # nothing changed since, as on the Singer path
    singer_again = run_tap(
        base_config, state=singer.of_type("STATE")[-1]["value"], streams=("tasks",)
    )
    assert singer_again.records("tasks") == []
    assert second.last_states()[0]["stream"]["stream_state"] == bookmark
    assert second.statuses("tasks") == ["STARTED", "COMPLETE"]

    # A full refresh of the same stream ignores the bookmark and sends every task again.
    full = configured_catalog(tmp_path, base_config, {"tasks": "full_refresh"})
    third = source("read", tmp_path, config=base_config, catalog=full, state=first.last_states())
    assert third.code == 0
    assert sorted(t["id"] for t in third.records("tasks")) == sorted(t["id"] for t in tasks)


def test_read_failure_is_a_trace_error_with_a_non_zero_exit(
    tmp_path: Path, simulator: GongSimulator, faults: FaultPlan, config: dict[str, Any]
) -> None:
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})
    body = {"requestId": "9zq8x7w6v5", "errors": ["Malformed request body"]}
    first_id = config["crm_prospect_ids"][0]  # batch 1, whatever else is in flight
    fault = Fault.status(400, json.dumps(body), "application/json")
    faults.enqueue(fault, path=PROSPECTS_PATH, body_contains=first_id)

    result = source("read", tmp_path, config=config, catalog=catalog, subprocess_run=True)

    assert result.code == 1
    assert "Traceback" not in result.stderr
    (trace,) = result.traces("ERROR")
    error = trace["error"]
    assert error["failure_type"] == "system_error"
    assert error["message"].startswith("Sync failed: POST /v2/flows/prospects answered 400")
    assert "Gong says: Malformed request body" in error["message"]
    assert "requestId 9zq8x7w6v5" in error["message"]
    assert "[batch 1: prospect IDs #1-#100" in error["message"]
    assert "stack_trace" not in error  # a known failure: Gong's words are enough
    assert result.statuses("assigned_flows") == ["STARTED", "INCOMPLETE"]
    assert result.messages[-1]["type"] == "TRACE"


def test_bad_credentials_during_read_are_a_config_error(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    bad = {**config, "access_key_secret": "not-the-right-secret"}
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})

    result = source("read", tmp_path, config=bad, catalog=catalog)

    assert result.code == 1
    (trace,) = result.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
    assert "401" in trace["error"]["message"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"prospect_ids_per_request": "many"}, "prospect_ids_per_request: must be"),
        ({"crm_prospect_ids": None}, "crm_prospect_ids: no prospect IDs to ask about"),
    ],
)
def test_read_with_a_config_error(
    tmp_path: Path,
    simulator: GongSimulator,
    config: dict[str, Any],
    change: dict[str, Any],
    expected: str,
) -> None:
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})
    bad = {k: v for k, v in {**config, **change}.items() if v is not None}

    result = source("read", tmp_path, config=bad, catalog=catalog)

    assert result.code == 1
    (trace,) = result.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
    assert trace["error"]["message"].startswith("Sync failed: Config validation failed: ")
    assert expected in trace["error"]["message"]
    assert simulator.request_log == []
    assert not result.of_type("RECORD")


def test_an_unexpected_failure_is_a_system_error_with_its_stack_trace(
    tmp_path: Path, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = configured_catalog(tmp_path, config, {"prospects": "full_refresh"})

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr("tap_gong_flows.streams.prospects.unique_prospect_ids", broken)
    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 1
    (trace,) = result.traces("ERROR")
    assert trace["error"]["failure_type"] == "system_error"
    assert trace["error"]["message"] == "Sync failed: KeyError: 'surprise'"
    assert "Traceback" in trace["error"]["stack_trace"]


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


def test_incremental_on_a_stream_without_a_cursor_runs_as_a_full_refresh(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    singer = run_tap(config, streams=ALL_STREAMS)
    catalog = pyairbyte_catalog(tmp_path, config)

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0, result.messages[-3:]
    for name in ALL_STREAMS:
        assert result.records(name) == singer.records(name), name
        assert result.records(name), name
        assert result.statuses(name)[-1] == "COMPLETE", name
    full_refresh = [
        s["stream"]["name"] for s in catalog["streams"] if s["stream"]["name"] != "tasks"
    ]
    assert _logs(result) == [
        "tap_gong_flows.airbyte: Read as full refresh, the only mode they have (asked for "
        "incremental): " + ", ".join(full_refresh)
    ]
    (tasks_state,) = [
        s for s in result.last_states() if s["stream"]["stream_descriptor"]["name"] == "tasks"
    ]
    assert tasks_state["stream"]["stream_state"]["replication_key"] == "updated"
    assert not result.traces("ERROR")


@pytest.mark.parametrize("cursor", [["dueDate"], ["no_such_field"], ["account", "id"]])
def test_a_cursor_field_in_the_catalog_does_not_replace_the_streams_own(
    tmp_path: Path, base_config: dict[str, Any], cursor: list[str]
) -> None:
    singer = run_tap(base_config, streams=("tasks",))
    catalog = configured_catalog(tmp_path, base_config, {"tasks": "incremental"})
    catalog["streams"][0]["cursor_field"] = cursor

    result = source("read", tmp_path, config=base_config, catalog=catalog)

    assert result.code == 0
    assert result.records("tasks") == singer.records("tasks")
    (state,) = result.last_states()
    assert state["stream"]["stream_state"]["replication_key"] == "updated"
    assert _logs(result) == [
        f"tap_gong_flows.airbyte: tasks: the catalog's cursor field {'.'.join(cursor)!r} is "
        "not used; the source defines the cursor, 'updated'"
    ]


def test_the_streams_own_cursor_in_the_catalog_is_taken_without_a_word(
    tmp_path: Path, base_config: dict[str, Any]
) -> None:
    catalog = configured_catalog(tmp_path, base_config, {"tasks": "incremental"})
    catalog["streams"][0]["cursor_field"] = ["updated"]
    catalog["streams"][0]["primary_key"] = [["id"]]

    result = source("read", tmp_path, config=base_config, catalog=catalog)

    assert result.code == 0
    assert result.records("tasks")
    assert _logs(result) == []


def test_a_primary_key_in_the_catalog_leaves_the_records_alone(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    plain = source(
        "read",
        tmp_path,
        config=config,
        catalog=configured_catalog(tmp_path, config, {"users": "full_refresh"}),
    )
    catalog = configured_catalog(tmp_path, config, {"users": "full_refresh"})
    catalog["streams"][0]["primary_key"] = [["emailAddress"]]

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0
    assert result.records("users") == plain.records("users")
    assert result.records("users")
    assert _logs(result) == [
        "tap_gong_flows.airbyte: users: the catalog's primary key [['emailAddress']] is left "
        "to the destination; the records are the same (the source's key is [['id']])"
    ]


def test_a_stream_the_source_does_not_have_is_skipped_as_incomplete(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    catalog = configured_catalog(
        tmp_path, config, {"users": "full_refresh", "flows": "full_refresh"}
    )
    catalog["streams"][0]["stream"]["name"] = "calls"

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 0  # as the CDK does: the other streams are read
    assert result.statuses("calls") == ["INCOMPLETE"]
    assert result.records("flows")
    assert result.statuses("flows")[-1] == "COMPLETE"
    assert {r["stream"] for r in result.of_type("RECORD")} == {"flows"}
    assert not result.traces("ERROR")
    assert _logs(result) == [
        "tap_gong_flows.airbyte: Not streams of this source, skipped (run discover again): calls"
    ]
    (warning,) = [log for log in result.of_type("LOG") if log["level"] == "WARN"]
    assert "calls" in warning["message"]


def test_an_empty_catalog_reads_nothing_and_succeeds(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    result = source("read", tmp_path, config=config, catalog={"streams": []})

    assert result.code == 0
    assert not result.of_type("RECORD")
    assert not result.of_type("STATE")
    assert not result.traces("ERROR")
    assert simulator.request_log == []
    assert _logs(result) == [
        "tap_gong_flows.airbyte: The configured catalog has no stream of this source: "
        "nothing to read"
    ]
    # The settings are still checked, as the CDK checks them before any read.
    bad = {**config, "prospect_ids_per_request": 0}
    failed = source("read", tmp_path, config=bad, catalog={"streams": []})
    assert failed.code == 1
    (trace,) = failed.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"


# State across syncs


def test_the_open_list_is_carried_to_the_next_sync_and_the_position_is_not() -> None:
    plan = StreamPlan(
        "assigned_flows", incremental=False, sync_id=8, carried=frozenset({"open_instances"})
    )
    same_sync = {"prospects_done": 100, "open_instances": "AAEC", SYNC_ID_KEY: 8}
    assert plan.bookmark(same_sync) == {"prospects_done": 100, "open_instances": "AAEC"}
    other_sync = {**same_sync, SYNC_ID_KEY: 7}
    assert plan.bookmark(other_sync) == {"open_instances": "AAEC"}
    unknown_sync = StreamPlan(
        "assigned_flows", incremental=False, carried=frozenset({"open_instances"})
    )
    assert unknown_sync.bookmark({"prospects_done": 100, "open_instances": "AAEC"}) == {
        "open_instances": "AAEC"
    }
    assert unknown_sync.bookmark({"prospects_done": 100}) is None
    assert StreamPlan("users", incremental=False).bookmark({"x": 1}) is None


@pytest.mark.parametrize("sync_ids", [(None, None), (5, 6)], ids=["pyairbyte", "platform"])
def test_finished_flows_arrive_on_the_next_read_from_the_state_passed_back(
    tmp_path: Path,
    simulator: GongSimulator,
    dataset: GongDataset,
    config: dict[str, Any],
    sync_ids: tuple[int | None, int | None],
) -> None:
    tracking = {**config, "track_finished_flows": True}
    ids = tracking["crm_prospect_ids"]

    def catalog(sync_id: int | None) -> dict[str, Any]:
        configured = pyairbyte_catalog(tmp_path, tracking)
        configured["streams"] = [
            s for s in configured["streams"] if s["stream"]["name"] in ("assigned_flows", "tasks")
        ]
        if sync_id is not None:
            for entry in configured["streams"]:
                entry.update(sync_id=sync_id, generation_id=sync_id)
        return configured

    first = source("read", tmp_path, config=tracking, catalog=catalog(sync_ids[0]))
    assert first.code == 0
    open_before = dataset.expected_open_records(ids)
    assert first.records("assigned_flows") == open_before
    dataset.finish_instances(0.3)
    open_after = dataset.expected_open_records(ids)
    gone = {r["flowInstanceId"] for r in open_before} - {r["flowInstanceId"] for r in open_after}
    assert gone

    second = source(
        "read", tmp_path, config=tracking, catalog=catalog(sync_ids[1]), state=first.last_states()
    )

    assert second.code == 0
    records = second.records("assigned_flows")
    assert records[: len(open_after)] == open_after
    outcomes = records[len(open_after) :]
    assert outcomes == dataset.expected_instance_records(sorted(gone, key=int))
    assert all(r["flowInstanceStatus"] in FINISHED_STATUSES for r in outcomes)
    assert second.records("tasks") == []  # continued from the bookmark
    assert any(
        f"track_finished_flows: {len(gone)} instances finished since the last sync" in line
        for line in _logs(second, "tap-gong-flows")
    )


def test_a_full_refresh_resumes_only_within_the_same_sync(
    tmp_path: Path, simulator: GongSimulator, dataset: GongDataset, config: dict[str, Any]
) -> None:
    """Stopped by max_requests_per_sync after 2 of 3 batches: a retry of the same Airbyte
    sync continues after the prospects done; another sync starts over (overwrite)."""
    limited = {**config, "prospect_ids_per_request": 50, "max_requests_per_sync": 2}
    modes = {"assigned_flows": "full_refresh"}
    catalog = configured_catalog(tmp_path, config, modes, sync_id=41, generation_id=3)

    failed = source("read", tmp_path, config=limited, catalog=catalog)

    assert failed.code == 1
    (trace,) = failed.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
    assert "max_requests_per_sync" in trace["error"]["message"]
    (state,) = failed.last_states()
    assert state["stream"]["stream_state"] == {"prospects_done": 100, SYNC_ID_KEY: 41}

    unlimited = {**config, "prospect_ids_per_request": 50}
    retried = source("read", tmp_path, config=unlimited, catalog=catalog, state=[state])

    ids = config["crm_prospect_ids"]
    assert retried.code == 0
    records = failed.records("assigned_flows") + retried.records("assigned_flows")
    assert records == dataset.expected_open_records(ids)
    assert simulator.request_log[-1].body["crmProspectsIds"] == ids[100:]

    next_sync = configured_catalog(tmp_path, config, modes, sync_id=42, generation_id=4)
    again = source("read", tmp_path, config=unlimited, catalog=next_sync, state=[state])
    assert again.records("assigned_flows") == dataset.expected_open_records(ids)


def test_state_files_the_platform_and_meltano_write() -> None:
    plans = {
        "tasks": StreamPlan("tasks", incremental=True),
        "users": StreamPlan("users", incremental=False),
    }
    bookmark = {"replication_key": "updated", "replication_key_value": "2024-05-01T00:00:00Z"}
    per_stream = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "tasks"}, "stream_state": bookmark},
        },
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "users"}, "stream_state": {}}},
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "gone"}, "stream_state": {}}},
    ]
    assert singer_state(per_stream, plans) == {"bookmarks": {"tasks": bookmark}}
    global_state = {
        "type": "GLOBAL",
        "global": {
            "shared_state": {},
            "stream_states": [{"stream_descriptor": {"name": "tasks"}, "stream_state": bookmark}],
        },
    }
    assert singer_state([global_state], plans) == {"bookmarks": {"tasks": bookmark}}
    assert singer_state({"bookmarks": {"tasks": bookmark}}, plans) == {
        "bookmarks": {"tasks": bookmark}
    }
    meltano = {"singer_state": {"bookmarks": {"tasks": bookmark, "users": {}}}}
    assert singer_state(meltano, plans) == {"bookmarks": {"tasks": bookmark}}
    reset = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "tasks"}}}]
    assert airbyte_stream_states(reset) == {"tasks": None}
    assert singer_state(reset, plans) == {}
    assert singer_state(None, plans) == singer_state([], plans) == {}
    with pytest.raises(InputError, match="state item 1"):
        singer_state([{"stream": "tasks"}], plans)


# The console script and the image


def test_console_script_is_declared_and_installed() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["source-gong-flows"] == "tap_gong_flows.airbyte.__main__:main"
    assert any(
        dep.startswith("airbyte-protocol-models")
        for dep in project["optional-dependencies"]["airbyte"]
    )
    assert SOURCE.exists(), "pip install -e '.[dev]' installs the console script"


def test_without_the_airbyte_extra_the_script_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['airbyte_protocol'] = None\n"
        "from tap_gong_flows.airbyte.__main__ import main\n"
        "sys.argv = ['source-gong-flows', 'spec']; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "pip install 'tap-gong-flows[airbyte]'" in done.stderr


def test_dockerfile_builds_an_airbyte_source_image() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.splitlines()]
    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert "FROM python:3.11-slim" in lines
    assert re.search(r"^RUN pip install .*\.\[airbyte\]", dockerfile, re.MULTILINE)
    assert 'ENV AIRBYTE_ENTRYPOINT="source-gong-flows"' in lines
    assert 'ENTRYPOINT ["source-gong-flows"]' in lines
    assert "LABEL io.airbyte.name=tap-gong-flows/source-gong-flows" in lines
    assert f"LABEL io.airbyte.version={version}" in lines
    copied = [line.split()[1:-1] for line in lines if line.startswith("COPY ")]
    for sources in copied:
        for path in sources:
            assert (REPO_ROOT / path).exists(), f"COPY {path}: not in the repository"
    ignore = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ignore[0] == "*", ".dockerignore lets in only what the image needs"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert {p.rstrip("/") for sources in copied for p in sources} <= allowed
    # The spec the image answers with is a valid ConnectorSpecification.
    out = io.StringIO()
    assert run(["spec"], out) == 0
    spec = json.loads(out.getvalue())["spec"]
    (getattr(ConnectorSpecification, "model_validate", None) or ConnectorSpecification.parse_obj)(
        spec
    )


def test_the_validation_catches_what_the_models_let_through() -> None:
    good = '{"type": "LOG", "log": {"level": "INFO", "message": "hello"}}'
    assert validated(good) == [json.loads(good)]
    with pytest.raises(AssertionError, match="unknown to the protocol"):
        validated('{"type": "LOG", "log": {"level": "INFO", "message": "m", "levle": "x"}}')
    with pytest.raises(AssertionError):
        validated('{"type": "LOG", "log": {"level": "INFO", "message": "m"}, "record": null}')
    with pytest.raises(ValueError, match="emitted_at"):
        validated('{"type": "RECORD", "record": {"stream": "s", "data": {}, "emmited_at": 1}}')
    with pytest.raises(ValueError, match=r"(?i)expect(ing|ed) value"):
        validated("Starting sync...")  # a stray print on stdout
