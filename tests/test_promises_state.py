"""The README's promises about the state of ``assigned_flows`` with ``track_finished_flows``:
the mid-sync position is saved at most every 30 seconds, the open list is replaced only at
the end of a complete sync, and a resumed sync delivers each finished outcome exactly once.

The position's clock is a fake one (``AssignedFlowsStream.clock``): each batch written moves
it on by a fixed step, so the test decides how much time the batches take."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tap_gong_flows.instance_set import decode_instance_ids
from tap_gong_flows.simulator import FINISHED_STATUSES, Fault, FaultPlan, GongDataset, GongSimulator
from tap_gong_flows.streams.assigned_flows import (
    OPEN_INSTANCES_KEY,
    RESUME_KEY,
    AssignedFlowsStream,
)

from .support import SyncOutput, asked_ids, run_tap, run_tap_capturing_failure

PATH = "/v2/flows/prospects"
BATCH = 20
SECONDS_PER_BATCH = 12.0  # the fake time each written batch takes


class StepClock:
    """Moves on by ``step`` seconds each time it is read (once per batch written)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def batch_clock(monkeypatch: pytest.MonkeyPatch) -> StepClock:
    clock = StepClock(SECONDS_PER_BATCH)
    monkeypatch.setattr(AssignedFlowsStream, "clock", staticmethod(clock))
    return clock


def _bookmark(message: dict[str, Any]) -> dict[str, Any]:
    bookmark: dict[str, Any] = message["value"]["bookmarks"].get("assigned_flows", {})
    return bookmark


def _saved_positions(output: SyncOutput) -> list[int]:
    """The resume positions the STATE messages carried, each change once, in order."""
    positions: list[int] = []
    for message in output.of_type("STATE"):
        position = _bookmark(message).get(RESUME_KEY)
        if position is not None and (not positions or positions[-1] != position):
            positions.append(position)
    return positions


def _last_state(output: SyncOutput) -> dict[str, Any]:
    state: dict[str, Any] = output.of_type("STATE")[-1]["value"]
    return state


def _open_list(output: SyncOutput) -> str:
    return str(_bookmark(output.of_type("STATE")[-1])[OPEN_INSTANCES_KEY])


def _lookups(simulator: GongSimulator) -> list[Any]:
    return [e for e in simulator.request_log if "flowInstanceIds" in (e.body or {})]


@pytest.mark.usefixtures("batch_clock")
@pytest.mark.parametrize(
    ("tracking", "expected"),
    [
        # Batches at 12, 24, 36 ... s: saved at 12, then at the first batch 30 s later (48),
        # and so on: every third batch.
        (True, [20, 80, 140, 200, 260]),
        # Without tracking the state is small: every batch's position is saved.
        (False, list(range(BATCH, 301, BATCH))),
    ],
    ids=["tracking", "not-tracking"],
)
def test_mid_sync_position_saved_at_most_every_30_seconds_with_tracking(
    tracking: bool, expected: list[int], dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:300]
    config = {
        **base_config,
        "crm_prospect_ids": ids,
        "prospect_ids_per_request": BATCH,
        "track_finished_flows": tracking,
    }
    output = run_tap(config)
    assert _saved_positions(output) == expected
    assert RESUME_KEY not in _bookmark(output.of_type("STATE")[-1])  # complete: starts over


def _tracked_first_sync(dataset: GongDataset, config: dict[str, Any]) -> SyncOutput:
    """A complete sync with tracking on, then some of its open instances finish."""
    first = run_tap(config)
    assert _open_list(first), "the first sync should leave an open list"
    dataset.finish_instances(0.3)
    return first


@pytest.mark.usefixtures("batch_clock")
@pytest.mark.parametrize("failing", ["a prospect batch", "the finished-flow lookup"])
def test_a_failed_sync_leaves_the_open_list_unchanged(
    failing: str,
    faults: FaultPlan,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
) -> None:
    ids = list(dataset.prospect_ids())[:300]
    config = {
        **base_config,
        "crm_prospect_ids": ids,
        "prospect_ids_per_request": BATCH,
        "track_finished_flows": True,
        "max_retries": 0,
    }
    first = _tracked_first_sync(dataset, config)

    needle = ids[160] if failing == "a prospect batch" else "flowInstanceIds"
    faults.enqueue(Fault.status(500), path=PATH, body_contains=needle)
    simulator.reset_log()
    failed, error = run_tap_capturing_failure(config, state=_last_state(first))
    assert error is not None
    if failing == "a prospect batch":
        assert "batch 9" in str(error)
        assert _lookups(simulator) == []  # nothing is looked up before the sync is complete
    else:
        assert _lookups(simulator), "the lookup should have been asked (and failed)"
    states = failed.of_type("STATE")
    assert states
    assert {_bookmark(m)[OPEN_INSTANCES_KEY] for m in states} == {_open_list(first)}


@pytest.mark.usefixtures("batch_clock")
def test_resume_with_tracking_delivers_each_finished_outcome_exactly_once(
    faults: FaultPlan, simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:300]
    config = {
        **base_config,
        "crm_prospect_ids": ids,
        "prospect_ids_per_request": BATCH,
        "track_finished_flows": True,
        "max_retries": 0,
    }
    first = _tracked_first_sync(dataset, config)
    open_before = {r["flowInstanceId"] for r in first.records()}
    open_now = dataset.expected_open_records(ids)
    gone = open_before - {r["flowInstanceId"] for r in open_now}
    assert gone, "the simulator should have finished some instances"

    # Batch 9 fails: batches 1-8 are written, but the position was last saved after batch 7
    # (140 prospects), so the resumed sync repeats batch 8.
    faults.enqueue(Fault.status(500), path=PATH, body_contains=ids[160])
    interrupted, error = run_tap_capturing_failure(config, state=_last_state(first))
    assert error is not None
    assert _bookmark(interrupted.of_type("STATE")[-1])[RESUME_KEY] == 140

    simulator.reset_log()
    resumed = run_tap(config, state=_last_state(interrupted))
    # As sets: a request the interrupted run still had in flight may arrive after the reset.
    asked = {tuple(batch) for batch in asked_ids(simulator)}
    assert asked == {tuple(ids[i : i + BATCH]) for i in range(140, 300, BATCH)}

    delivered = interrupted.records() + resumed.records()
    outcomes = Counter(
        r["flowInstanceId"] for r in delivered if r["flowInstanceStatus"] in FINISHED_STATUSES
    )
    assert outcomes == Counter(gone)  # every finished instance, each exactly once
    assert {r["flowInstanceId"] for r in open_now} <= {r["flowInstanceId"] for r in delivered}
    assert set(decode_instance_ids(_open_list(resumed))) == {r["flowInstanceId"] for r in open_now}
    assert RESUME_KEY not in _bookmark(resumed.of_type("STATE")[-1])
