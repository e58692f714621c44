"""The preflight (``--test``, Airbyte ``check``): every endpoint the selected streams need is
asked once, every missing scope is named at once, and the planned cost is what the sync
then spends. Also the 403 message during a sync, and the readable log."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.airbyte.source import run as airbyte_run
from tap_gong_flows.simulator import GongDataset, GongSimulator
from tap_gong_flows.tap import TapGongFlows

from .support import (
    ACCESS_KEY,
    ACCESS_KEY_SECRET,
    catalog_selecting,
    run_cli,
    run_tap,
    run_tap_capturing_failure,
)

FLOWS_ONLY = {"api:flows:read"}
ALL_STREAMS = (
    "users",
    "flows",
    "flow_folders",
    "flow_steps",
    "tasks",
    "prospects",
    "assigned_flows",
)
LACKING_WITH_FLOWS_ONLY = ["users", "flows", "flow_folders", "flow_steps", "tasks"]
# A log line's text after the SDK's console prefix (time | level | logger |).
_MESSAGE = re.compile(r"^[^|]+\|[^|]+\|[^|]+\| ?(.*)$")
_REQUEST_ID = re.compile(r"requestId \w+")


def _config(simulator: GongSimulator, dataset: GongDataset) -> dict[str, Any]:
    return {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "max_requests_per_second": 1000,
        "crm_prospect_ids": list(dataset.prospect_ids()),
    }


def _messages(stderr: str) -> list[str]:
    found = (_MESSAGE.match(line) for line in stderr.splitlines())
    return [match.group(1) for match in found if match]


def _table(lines: list[str]) -> list[tuple[str, str, str, str]]:
    """(stream, endpoint, scope, verdict) of each row of the preflight's table."""
    rows = []
    for line in lines:
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) == 4 and parts[0] in ALL_STREAMS:
            rows.append((parts[0], parts[1], parts[2], parts[3].split(":")[0]))
    return rows


@pytest.fixture
def gong() -> Iterator[tuple[GongSimulator, GongDataset]]:
    """Gong's own page size (100), so that one page holds every user and each user's flows."""
    dataset = GongDataset(prospect_count=250, seed=3, user_count=12)
    with GongSimulator(
        dataset,
        access_key=ACCESS_KEY,
        access_key_secret=ACCESS_KEY_SECRET,
        rate_limit_per_second=None,
        page_size=100,
    ) as simulator:
        yield simulator, dataset


def test_a_flows_only_key_names_every_stream_it_cannot_serve_and_fails(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    simulator.scopes = FLOWS_ONLY
    result = run_cli("--test", config=_config(simulator, dataset), tmp_path=tmp_path, streams=None)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = _messages(result.stderr)
    assert f"Preflight against {simulator.url} with an access key (Basic auth), " in "\n".join(
        lines
    )
    rows = _table(lines)
    missing = {
        (stream, scope) for stream, _endpoint, scope, verdict in rows if verdict == "missing"
    }
    assert missing == {(s, "api:users:read") for s in LACKING_WITH_FLOWS_ONLY} | {
        ("tasks", "api:tasks:read")
    }
    assert {s for s, *_ in rows if s not in {m for m, _ in missing}} == {
        "prospects",
        "assigned_flows",
    }
    refused = [line for line in lines if "missing: 403 Forbidden" in line]
    assert refused
    assert all("Insufficient scope" in line for line in refused)
    assert all(_REQUEST_ID.search(line) for line in refused)
    assert (
        "Preflight failed: 5 of 7 selected streams cannot run: "
        "users, flows, flow_folders, flow_steps, tasks." in lines
    )
    assert "Missing scopes: api:tasks:read, api:users:read." in "\n".join(lines)
    for stream in LACKING_WITH_FLOWS_ONLY:
        assert f"  meltano select tap-gong-flows --exclude {stream} '*'" in lines
    # One request per distinct endpoint, and no sync: nothing on stdout.
    paths = [entry.path.split("?")[0] for entry in simulator.request_log]
    assert sorted(paths) == sorted(set(paths))
    assert len(paths) == 6
    assert result.stdout == ""


def test_a_flows_only_key_passes_with_only_assigned_flows_selected_and_the_sync_succeeds(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    simulator.scopes = FLOWS_ONLY
    config = _config(simulator, dataset)
    result = run_cli("--test", config=config, tmp_path=tmp_path, streams=("assigned_flows",))

    assert result.returncode == 0, result.stderr
    lines = _messages(result.stderr)
    assert "Preflight passed: all 1 selected streams can run." in lines
    assert _table(lines) == [("assigned_flows", "POST /v2/flows/prospects", "api:flows:read", "ok")]
    assert "Planned cost: 5 requests, 0.1% of Gong's 10,000 a day" in "\n".join(lines)

    output = run_tap(config, streams=("assigned_flows",))
    assert len(output.records()) == len(dataset.expected_open_records(dataset.prospect_ids()))


@pytest.mark.parametrize(
    "streams",
    [
        ("assigned_flows",),
        ("prospects",),
        ("users", "tasks"),
        ("flows", "flow_folders"),
        ("users", "flows", "flow_folders", "tasks", "prospects", "assigned_flows"),
    ],
)
def test_the_planned_cost_is_what_the_sync_then_spends(
    gong: tuple[GongSimulator, GongDataset], streams: tuple[str, ...]
) -> None:
    simulator, dataset = gong
    config = _config(simulator, dataset)
    tap = TapGongFlows(config=config, catalog=catalog_selecting(config, *streams))
    plan = tap.preflight_report().plan
    assert plan is not None
    assert plan.complete
    assert not plan.estimated
    simulator.reset_log()

    run_tap(config, streams=streams)

    assert plan.total == len(simulator.request_log)
    asked = [entry.path.split("?")[0] for entry in simulator.request_log]
    by_path = {line.how.split(":")[0]: line.requests for line in plan.lines}
    for what, requests in by_path.items():
        _method, path = what.split(" ")
        assert asked.count(path) == requests, what


def test_the_flow_steps_estimate_is_marked_and_close(
    gong: tuple[GongSimulator, GongDataset],
) -> None:
    simulator, dataset = gong
    config = _config(simulator, dataset)
    tap = TapGongFlows(config=config)
    plan = tap.preflight_report().plan
    assert plan is not None
    assert plan.estimated
    (steps,) = [line for line in plan.lines if line.label == "flow_steps"]
    assert steps.estimated
    assert "~" in "\n".join(plan.report_lines())
    assert plan.summary().startswith("Planned cost: about ")
    simulator.reset_log()

    run_tap(config, streams=ALL_STREAMS)

    asked = [entry.path.split("?")[0] for entry in simulator.request_log]
    assert steps.requests is not None
    assert abs(asked.count("/v2/flows/steps") - steps.requests) <= 1
    assert abs(plan.total - len(asked)) <= 1


def test_the_plan_states_the_share_of_the_daily_quota_and_the_time_at_the_pace(
    gong: tuple[GongSimulator, GongDataset],
) -> None:
    simulator, dataset = gong
    config = {**_config(simulator, dataset), "max_requests_per_second": 2}
    tap = TapGongFlows(config=config, catalog=catalog_selecting(config, "assigned_flows"))
    plan = tap.preflight_report().plan
    assert plan is not None
    assert plan.total == 3  # 250 IDs, 100 a request
    assert plan.summary() == (
        "Planned cost: 3 requests, 0.0% of Gong's 10,000 a day (shared with every other "
        "integration of the company); about 2 s at 2 requests a second"
    )


def test_a_403_during_a_sync_names_the_streams_the_scope_and_both_fixes(
    simulator: GongSimulator, dataset: GongDataset
) -> None:
    simulator.scopes = FLOWS_ONLY
    config = _config(simulator, dataset)
    _output, error = run_tap_capturing_failure(config, catalog=catalog_selecting(config, "tasks"))

    assert error is not None
    message = str(error)
    assert message.startswith(
        "GET /v2/users answered 403 Forbidden (Gong says: Insufficient scope: api:users:read, "
    )
    assert _REQUEST_ID.search(message)
    assert "GET /v2/users needs the scope api:users:read" in message
    assert "it serves the streams users, flows, flow_folders, flow_steps, tasks" in message
    assert "grant api:users:read to the credentials" in message
    for stream in LACKING_WITH_FLOWS_ONLY:
        assert f"meltano select tap-gong-flows --exclude {stream} '*'" in message
    assert "--exclude assigned_flows" not in message


def test_metric_lines_are_off_by_default_and_on_with_metrics_log(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    config = _config(simulator, dataset)
    quiet = run_cli(config=config, tmp_path=tmp_path, streams=("users", "assigned_flows"))
    loud = run_cli(
        config={**config, "metrics_log": True},
        tmp_path=tmp_path,
        streams=("users", "assigned_flows"),
    )

    assert quiet.returncode == loud.returncode == 0
    assert "METRIC" not in quiet.stderr
    assert "METRIC" in loud.stderr
    for result in (quiet, loud):
        lines = _messages(result.stderr)
        assert "Beginning sync of 'users' in full_table mode" in lines
        assert any(re.fullmatch(r"Finished 'users': 8 records in [\d.]+ s", x) for x in lines)
        assert any(line.startswith("Progress: 500 prospects") for line in lines)
        assert any(line.startswith("Finished 'prospects': ") for line in lines)
    records = [json.loads(line) for line in quiet.stdout.splitlines()]
    assert any(message["type"] == "RECORD" for message in records)


def test_airbyte_check_reports_the_same_table_and_fails(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    simulator.scopes = FLOWS_ONLY
    config = _config(simulator, dataset)
    cli = run_cli("--test", config=config, tmp_path=tmp_path, streams=None)
    path = tmp_path / "airbyte_config.json"
    path.write_text(json.dumps(config))
    out = io.StringIO()

    assert airbyte_run(["check", "--config", str(path)], out) == 0

    messages = [json.loads(line) for line in out.getvalue().splitlines()]
    logged = [
        m["log"]["message"].removeprefix("tap_gong_flows.airbyte: ")
        for m in messages
        if m["type"] == "LOG"
    ]
    assert _table(logged) == _table(_messages(cli.stderr))
    (status,) = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "FAILED"
    assert status["message"].startswith("GET /v2/users answered 403 Forbidden")
    assert (
        "needed by users, flows, flow_folders, flow_steps, tasks (api:users:read)"
        in (status["message"])
    )
    assert "POST /v2/tasks answered 403 Forbidden" in status["message"]
    assert "users, flows, flow_folders, flow_steps, tasks." in status["message"]


def test_airbyte_check_passes_with_every_scope_and_states_the_cost(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    path = tmp_path / "airbyte_config.json"
    path.write_text(json.dumps(_config(simulator, dataset)))
    out = io.StringIO()

    assert airbyte_run(["check", "--config", str(path)], out) == 0

    messages = [json.loads(line) for line in out.getvalue().splitlines()]
    (status,) = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "SUCCEEDED"
    assert status["message"].startswith("Preflight passed: every stream can run. Planned cost:")
