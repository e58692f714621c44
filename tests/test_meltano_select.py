"""Meltano's select rules at stream level, as the preflight reads them under ``meltano invoke``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tap_gong_flows.meltano_select import meltano_select_rules, selected_streams
from tap_gong_flows.simulator import GongDataset, GongSimulator

from .support import ACCESS_KEY, ACCESS_KEY_SECRET, run_cli

STREAMS = ["users", "flows", "flow_folders", "flow_steps", "tasks", "prospects", "assigned_flows"]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (["*.*"], STREAMS),
        (["assigned_flows.*"], ["assigned_flows"]),
        (["flow*.*"], ["flows", "flow_folders", "flow_steps"]),
        (
            ["*.*", "!users.*", "!tasks.*"],
            ["flows", "flow_folders", "flow_steps", "prospects", "assigned_flows"],
        ),
        # Excluding one property keeps the stream.
        (["tasks.*", "!tasks.body"], ["tasks"]),
        (["tasks.id", "users.*"], ["users", "tasks"]),
        ([], []),
    ],
)
def test_streams_are_selected_as_meltano_selects_them(
    rules: list[str], expected: list[str]
) -> None:
    assert selected_streams(rules, STREAMS) == expected


def test_the_rules_come_from_meltanos_variable_only_when_they_are_a_list_of_strings() -> None:
    assert meltano_select_rules({}) is None
    assert meltano_select_rules({"MELTANO_EXTRACT__SELECT": '["a.*", "!b.*"]'}) == ["a.*", "!b.*"]
    assert meltano_select_rules({"MELTANO_EXTRACT__SELECT": "a.*"}) is None
    assert meltano_select_rules({"MELTANO_EXTRACT__SELECT": "[1]"}) is None


def test_after_the_suggested_excludes_the_preflight_passes_even_with_a_stale_catalog(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    """What ``meltano select tap-gong-flows --exclude STREAM '*'`` leaves in the select
    rules, handed over as Meltano does, with the catalog an earlier sync left behind."""
    simulator.scopes = {"api:flows:read"}
    config = {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "crm_prospect_ids": list(dataset.prospect_ids()),
    }
    excluded = ["users", "flows", "flow_folders", "flow_steps", "tasks"]
    rules = ["*.*", *(f"!{stream}.*" for stream in excluded)]
    result = run_cli(
        "--test",
        config=config,
        tmp_path=tmp_path,
        env={"MELTANO_EXTRACT__SELECT": json.dumps(rules)},
        streams=tuple(STREAMS),
    )

    assert result.returncode == 0, result.stderr
    assert "choose: prospects, assigned_flows" in result.stderr
    assert "Preflight passed: all 2 selected streams can run." in result.stderr
    assert {entry.path for entry in simulator.request_log} == {"/v2/flows/prospects"}
