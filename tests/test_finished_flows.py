"""track_finished_flows: instances that left the open list come back with their outcome."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tap_gong_flows.instance_set import decode_instance_ids, encode_instance_ids
from tap_gong_flows.simulator import GongDataset, GongSimulator
from tap_gong_flows.streams.assigned_flows import OPEN_INSTANCES_KEY

from .support import SyncOutput, run_tap

FINISHED = {"FinishedNoReply", "FinishedResponse", "Finished"}


def _open_in_state(output: SyncOutput) -> set[str]:
    state = output.of_type("STATE")[-1]["value"]
    return set(decode_instance_ids(state["bookmarks"]["assigned_flows"][OPEN_INSTANCES_KEY]))


def test_outcomes_of_finished_instances_arrive_on_the_next_sync(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())
    config = {**base_config, "crm_prospect_ids": ids, "track_finished_flows": True}

    first = run_tap(config)
    open_before = dataset.expected_open_records(ids)
    assert first.records() == open_before  # the first sync has nothing to look up
    assert _open_in_state(first) == {r["flowInstanceId"] for r in open_before}

    dataset.finish_instances(0.3)
    open_after = dataset.expected_open_records(ids)
    gone = {r["flowInstanceId"] for r in open_before} - {r["flowInstanceId"] for r in open_after}
    assert gone, "the simulator should have finished some instances"

    simulator.reset_log()
    second = run_tap(config, state=first.of_type("STATE")[-1]["value"])
    records = second.records()
    assert records[: len(open_after)] == open_after
    outcomes = records[len(open_after) :]
    assert {r["flowInstanceId"] for r in outcomes} == gone  # each finished instance once
    assert all(r["flowInstanceStatus"] in FINISHED for r in outcomes)
    assert outcomes == dataset.expected_instance_records(sorted(gone, key=int))
    lookups = [e.body for e in simulator.request_log if "flowInstanceIds" in (e.body or {})]
    assert len(lookups) == math.ceil(len(gone) / 100)
    assert _open_in_state(second) == {r["flowInstanceId"] for r in open_after}

    simulator.reset_log()
    third = run_tap(config, state=second.of_type("STATE")[-1]["value"])
    assert third.records() == open_after
    assert not [e for e in simulator.request_log if "flowInstanceIds" in (e.body or {})]


def test_state_stays_small(dataset: GongDataset, base_config: dict[str, Any]) -> None:
    ids = list(dataset.prospect_ids())
    output = run_tap({**base_config, "crm_prospect_ids": ids, "track_finished_flows": True})
    instances = len(dataset.expected_open_records(ids))
    blob = output.of_type("STATE")[-1]["value"]["bookmarks"]["assigned_flows"][OPEN_INSTANCES_KEY]
    assert len(blob) < 12 * instances  # bytes per open instance, base64 included


@given(st.sets(st.integers(min_value=0, max_value=2**64).map(str), max_size=300))
def test_numeric_instance_ids_round_trip(ids: set[str]) -> None:
    assert list(decode_instance_ids(encode_instance_ids(ids))) == sorted(ids, key=int)


@given(st.sets(st.text(alphabet="ab01-", min_size=1, max_size=8), max_size=50))
def test_other_instance_ids_round_trip(ids: set[str]) -> None:
    assert set(decode_instance_ids(encode_instance_ids(ids))) == ids


def test_outcomes_carry_only_schema_fields(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    from tap_gong_flows.simulator import Fault

    ids = list(dataset.prospect_ids())[:100]
    config = {**base_config, "crm_prospect_ids": ids, "track_finished_flows": True}
    first = run_tap(config)
    dataset.finish_instances(0.5)
    assert simulator.faults is not None
    simulator.faults.enqueue(Fault.slow(0), path="/v2/flows/prospects")  # the batch itself
    simulator.faults.enqueue(Fault.extra_fields(), path="/v2/flows/prospects")  # the lookup
    second = run_tap(config, state=first.of_type("STATE")[-1]["value"])
    (schema,) = second.of_type("SCHEMA", "assigned_flows")
    known = set(schema["schema"]["properties"])
    assert len(second.records()) > len(dataset.expected_open_records(ids))  # outcomes came
    assert all(set(record) <= known for record in second.records())
