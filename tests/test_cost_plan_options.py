"""The planned cost with the settings that add requests the preflight cannot count in
advance: crm_prospect_ids_from_tasks (the prospects Gong's tasks mention) and
track_finished_flows (the instances that left the open list). The counted part is exact,
the rest is named, bounded where it can be, and the sync spends nothing beyond it."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.cost_plan import CostPlan
from tap_gong_flows.simulator import GongDataset, GongSimulator
from tap_gong_flows.tap import TapGongFlows

from .support import ACCESS_KEY, ACCESS_KEY_SECRET, catalog_selecting, run_cli, run_tap

LOOKUP = "POST /v2/flows/prospects by flowInstanceIds"


@pytest.fixture
def gong() -> Iterator[tuple[GongSimulator, GongDataset]]:
    """Gong's page size (100): one page holds every user, and each user's flows."""
    dataset = GongDataset(prospect_count=250, seed=4, user_count=12)
    with GongSimulator(
        dataset,
        access_key=ACCESS_KEY,
        access_key_secret=ACCESS_KEY_SECRET,
        rate_limit_per_second=None,
        page_size=100,
    ) as simulator:
        yield simulator, dataset


def _config(simulator: GongSimulator, ids: list[str], **settings: Any) -> dict[str, Any]:
    return {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "max_requests_per_second": 1000,
        "crm_prospect_ids": ids,
        **settings,
    }


def _plan(config: dict[str, Any], streams: tuple[str, ...], state: Any = None) -> CostPlan:
    tap = TapGongFlows(config=config, catalog=catalog_selecting(config, *streams), state=state)
    report = tap.preflight_report()
    assert report.ok
    assert report.plan is not None
    return report.plan


def _asked(simulator: GongSimulator) -> Counter[str]:
    """Requests by ``METHOD path``, the instance lookups apart."""
    asked: Counter[str] = Counter()
    for entry in simulator.request_log:
        lookup = isinstance(entry.body, dict) and "flowInstanceIds" in entry.body
        path = entry.path.split("?")[0]
        asked[LOOKUP if lookup else f"{entry.method} {path}"] += 1
    return asked


def _planned(plan: CostPlan) -> Counter[str]:
    planned: Counter[str] = Counter()
    for line in plan.lines:
        what = line.how.split(":")[0]
        planned[what] += line.requests or 0
    return planned


def test_from_tasks_counts_users_and_tasks_exactly_and_names_the_prospects_it_cannot(
    gong: tuple[GongSimulator, GongDataset],
) -> None:
    simulator, dataset = gong
    configured = list(dataset.prospect_ids())[:120]
    config = _config(simulator, configured, crm_prospect_ids_from_tasks=True)
    streams = ("tasks", "prospects", "assigned_flows")
    plan = _plan(config, streams)

    assert not plan.complete
    assert plan.at_most is None
    assert plan.summary().startswith(f"Planned cost: at least {plan.total} requests, ")
    assert any("that Gong's tasks mention" in text for text in plan.open_ended)
    planned = _planned(plan)
    assert planned["POST /v2/tasks"] == 2 * dataset.user_count  # tasks, then the ID source
    assert planned["POST /v2/flows/prospects"] == 2  # the 120 configured IDs
    simulator.reset_log()

    output = run_tap(config, streams=streams)

    asked = _asked(simulator)
    prospects = len(output.records("prospects"))
    assert prospects > len(configured), "the tasks should mention more prospects"
    # Everything the plan counted, exactly; beyond it, only the prospects the tasks added.
    assert {k: v for k, v in asked.items() if k != "POST /v2/flows/prospects"} == {
        k: v for k, v in planned.items() if k != "POST /v2/flows/prospects"
    }
    assert asked["POST /v2/flows/prospects"] == math.ceil(prospects / 100)
    assert sum(asked.values()) >= plan.total


def test_from_tasks_with_prospects_alone_is_counted_exactly(
    gong: tuple[GongSimulator, GongDataset],
) -> None:
    simulator, dataset = gong
    config = _config(simulator, [], crm_prospect_ids_from_tasks=True)
    plan = _plan(config, ("prospects",))
    assert plan.complete
    assert plan.total == 1 + dataset.user_count
    simulator.reset_log()

    run_tap(config, streams=("prospects",))

    assert _asked(simulator) == _planned(plan)


def test_track_finished_flows_is_exact_on_the_first_sync_and_bounded_after(
    gong: tuple[GongSimulator, GongDataset], tmp_path: Path
) -> None:
    simulator, dataset = gong
    ids = list(dataset.prospect_ids())
    config = _config(simulator, ids, track_finished_flows=True)
    streams = ("users", "assigned_flows")
    first_plan = _plan(config, streams)
    assert first_plan.complete
    (lookups,) = [line for line in first_plan.lines if line.label == "finished_flows"]
    assert lookups.requests == 0
    assert "no instances tracked yet" in lookups.how
    simulator.reset_log()

    first = run_tap(config, streams=streams)
    assert sum(_asked(simulator).values()) == first_plan.total == 1 + 3

    state = first.of_type("STATE")[-1]["value"]
    tracked = len(dataset.expected_open_records(ids))
    dataset.finish_instances(0.5)
    gone = tracked - len(dataset.expected_open_records(ids))
    plan = _plan(config, streams, state=state)
    assert not plan.complete
    assert plan.at_most == plan.total + math.ceil(tracked / 100)
    assert plan.total == first_plan.total
    assert any(
        text.startswith(f"up to {math.ceil(tracked / 100)} {LOOKUP}") for text in plan.open_ended
    )
    simulator.reset_log()

    run_tap(config, streams=streams, state=state)

    asked = _asked(simulator)
    assert asked[LOOKUP] == math.ceil(gone / 100)
    assert plan.total <= sum(asked.values()) <= plan.at_most
    assert sum(asked.values()) - asked[LOOKUP] == plan.total

    # --test reads the state too (Meltano passes it), and says the range.
    (tmp_path / "state.json").write_text(json.dumps(state))
    result = run_cli(
        "--test", "--state", "state.json", config=config, tmp_path=tmp_path, streams=streams
    )
    assert result.returncode == 0, result.stderr
    assert f"Planned cost: {plan.total} to {plan.at_most} requests, up to " in result.stderr
    assert f"  plus up to {math.ceil(tracked / 100)} {LOOKUP} (track_finished_flows)" in (
        result.stderr
    )
