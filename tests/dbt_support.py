"""Helpers of tests/test_dbt_e2e.py: what the dbt models held after each sync, and what the
simulator's data says they should hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from tap_gong_flows.simulator import FINISHED_STATUSES, OPEN_STATUSES, GongDataset

from .support import REPO_ROOT

DAY_SECONDS = 86400


@dataclass(frozen=True)
class Window:
    """The wall-clock span of one ``meltano run``: every record of it was read inside."""

    start: datetime
    end: datetime


def instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"{value} has no time zone: not a timestamptz"
    return parsed.astimezone(UTC)


def days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / DAY_SECONDS


@dataclass
class Runs:
    """What the models held after each sync, and what the simulator knew."""

    dataset: GongDataset
    first_statuses: dict[str, str]  # the instances open at the first sync: all the tap saw
    windows: list[Window]
    instances: list[list[dict[str, Any]]]
    performance: list[list[dict[str, Any]]]
    current_flows: list[list[dict[str, Any]]]
    logs: list[str]
    raw: list[list[dict[str, Any]]]  # gong_engage.assigned_flows, as the loader left it
    snapshot: list[dict[str, Any]]


# The simulator's truth.


def gong_flows(dataset: GongDataset) -> dict[str, dict[str, Any]]:
    """The flows the tap can see: those visible to an active user, by ID."""
    active = [user["emailAddress"] for user in dataset.users() if user["active"]]
    return {flow["id"]: flow for email in active for flow in dataset.flows_visible_to(email)}


def status_after(runs: Runs, sync: int, instance_id: str) -> str:
    """The status Gong had for the instance when sync ``sync`` (0, 1, 2) ran."""
    if sync == 0:
        return runs.first_statuses[instance_id]
    record = runs.dataset.instance(instance_id)
    assert record is not None
    return str(record["flowInstanceStatus"])


def expected_instance(runs: Runs, sync: int, instance_id: str) -> dict[str, Any]:
    """A row of gong_engage__flow_instances as the simulator's data has it, less the times."""
    record = runs.dataset.instance(instance_id)
    assert record is not None
    flow = gong_flows(runs.dataset)[record["flowId"]]
    owner = runs.dataset.user(record["flowInstanceOwnerEmail"])
    assert owner is not None
    status = status_after(runs, sync, instance_id)
    return {
        "flow_instance_id": instance_id,
        "flow_id": record["flowId"],
        "flow_name": flow["name"],
        "folder_name": flow["folderName"],
        "crm_prospect_id": record["crmProspectId"],
        "owner_email": record["flowInstanceOwnerEmail"],
        "owner_user_id": owner["id"],
        "created_at": instant(record["flowInstanceCreateDate"]),
        "status": status,
        "is_open": status in OPEN_STATUSES,
        "finished_status": status if status in FINISHED_STATUSES else None,
    }


TIMES = ("first_seen_at", "last_seen_open_at", "days_in_flow")


def without_times(row: dict[str, Any]) -> dict[str, Any]:
    kept = {name: value for name, value in row.items() if name not in TIMES}
    kept["created_at"] = instant(kept["created_at"])
    return kept


def inside(window: Window, value: str) -> bool:
    return window.start <= instant(value) <= window.end


def days_bounds(created: datetime, window: Window) -> tuple[float, float]:
    return days(created, window.start), days(created, window.end)


def expected_performance(runs: Runs, sync: int) -> dict[str, dict[str, Any]]:
    """gong_engage__flow_performance from the simulator's data, less the median."""
    flows = gong_flows(runs.dataset)
    statuses: dict[str, list[str]] = {flow_id: [] for flow_id in flows}
    prospects: dict[str, set[str]] = {flow_id: set() for flow_id in flows}
    for fid in runs.first_statuses:
        record = runs.dataset.instance(fid)
        assert record is not None
        statuses[record["flowId"]].append(status_after(runs, sync, fid))
        prospects[record["flowId"]].add(record["crmProspectId"])
    expected = {}
    for flow_id, flow in flows.items():
        counts = {status: statuses[flow_id].count(status) for status in set(statuses[flow_id])}
        finished = sum(counts.get(status, 0) for status in FINISHED_STATUSES)
        expected[flow_id] = {
            "flow_id": flow_id,
            "flow_name": flow["name"],
            "folder_name": flow["folderName"],
            "visibility": flow["visibility"],
            "steps_count": len(runs.dataset.steps_of(flow_id)),
            "prospects_enrolled": len(prospects[flow_id]),
            "open_instances": sum(counts.get(status, 0) for status in OPEN_STATUSES),
            "running": counts.get("Running", 0),
            "paused": counts.get("Paused", 0),
            "pending": counts.get("Pending", 0),
            "finished_no_reply": counts.get("FinishedNoReply", 0),
            "finished_response": counts.get("FinishedResponse", 0),
            "finished_other": counts.get("Finished", 0),
            "reply_rate": (
                Fraction(counts.get("FinishedResponse", 0), finished) if finished else None
            ),
        }
    return expected


def snapshot_time(value: str) -> datetime:
    """dbt's snapshot times are "timestamp without time zone"; meltano.yml pins them to UTC."""
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is None
    return parsed.replace(tzinfo=UTC)


def readme_query(comment: str) -> str:
    """The README's ```sql block that starts with ``comment``: the tests run what it shows."""
    text = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.DOTALL)
    return str(next(block for block in blocks if block.startswith(comment)))
