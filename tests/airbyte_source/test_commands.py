"""spec, check and discover; the console script, the image, and the protocol validation
itself."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from airbyte_protocol.models import (
    ConnectorSpecification,
)
from jsonschema import Draft7Validator

from tap_gong_flows.airbyte.source import run
from tap_gong_flows.settings import SECRET_SETTINGS, SETTINGS_SCHEMA
from tap_gong_flows.simulator import (
    Fault,
    FaultPlan,
    GongSimulator,
)
from tap_gong_flows.tap import TapGongFlows

from ..support import REPO_ROOT
from .protocol import SOURCE, SourceRun, _files, source, validated

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


def test_check_succeeds_with_one_cheap_request_per_endpoint(
    tmp_path: Path, simulator: GongSimulator, config: dict[str, Any]
) -> None:
    result = source("check", tmp_path, config=config, subprocess_run=True)

    assert result.code == 0
    (status,) = result.of_type("CONNECTION_STATUS")
    assert status["status"] == "SUCCEEDED"
    # The preflight: one first page or one small request per endpoint, through the tap's client.
    paths = [e.path.split("?")[0] for e in simulator.request_log]
    assert paths == [
        "/v2/users",
        "/v2/flows",
        "/v2/flows/folders",
        "/v2/flows/steps",
        "/v2/tasks",
        "/v2/flows/prospects",
    ]
    assert all(e.status == 200 for e in simulator.request_log)
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
