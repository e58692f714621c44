"""The README's promise that ``assigned_flows``' ACTIVATE_VERSION comes once, at the end of a
complete sync: after its last record, the outcomes of ``track_finished_flows`` included."""

from __future__ import annotations

from typing import Any

from tap_gong_flows.simulator import FINISHED_STATUSES, GongDataset

from .support import run_tap


def test_activate_version_follows_the_finished_flow_outcomes(
    dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    config = {
        **base_config,
        "crm_prospect_ids": list(dataset.prospect_ids())[:200],
        "track_finished_flows": True,
        "emit_activate_version_messages": True,
    }
    first = run_tap(config)
    dataset.finish_instances(0.3)
    second = run_tap(config, state=first.of_type("STATE")[-1]["value"])

    messages = second.messages
    records = [
        i
        for i, m in enumerate(messages)
        if m["type"] == "RECORD" and m["stream"] == "assigned_flows"
    ]
    outcomes = [
        i for i in records if messages[i]["record"]["flowInstanceStatus"] in FINISHED_STATUSES
    ]
    assert outcomes, "the second sync should bring outcomes"
    (activation,) = [
        i
        for i, m in enumerate(messages)
        if m["type"] == "ACTIVATE_VERSION" and m["stream"] == "assigned_flows"
    ]
    assert activation > records[-1] >= outcomes[-1]
