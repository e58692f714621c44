"""Deterministic, stateless dataset of prospects and their flow instances.

Nothing is stored per prospect: every record is derived on demand from a hash of
``(seed, prospect index, slot)``, so a dataset of millions of prospects costs no memory
and any ID handed out can be resolved back to its records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from .catalog import FLOWS, OWNERS, Flow
from .ids import (
    MAX_INSTANCE_PROSPECT_INDEX,
    flow_instance_id,
    parse_flow_instance_id,
    parse_prospect_index,
    prospect_id,
)

__all__ = [
    "FINISHED_STATUSES",
    "OPEN_STATUSES",
    "GongDataset",
    "parse_prospect_index",
    "prospect_id",
]

Record = dict[str, Any]

OPEN_STATUSES: tuple[str, ...] = ("Pending", "Running", "Paused")
FINISHED_STATUSES: tuple[str, ...] = ("FinishedNoReply", "FinishedResponse", "Finished")

# Cumulative probabilities of a prospect having 0, 1 and 2 flow instances (else 3).
_INSTANCE_COUNT_CUTOFFS = (0.30, 0.75, 0.95)
# Cumulative probabilities of each status; about 60 % of instances are open.
_STATUS_CUTOFFS: tuple[tuple[float, str], ...] = (
    (0.38, "Running"),
    (0.50, "Pending"),
    (0.60, "Paused"),
    (0.80, "FinishedNoReply"),
    (0.92, "FinishedResponse"),
    (1.00, "Finished"),
)
# Stepping through the catalog by a stride coprime with its size visits distinct flows.
_FLOW_STRIDES = (1, 5, 7, 11)
# Creation instants span January 2025 to June 2026: fixed (not relative to today) so the
# data is reproducible, and in the past so no instance looks created in the future. The
# hour margins keep the local date inside that span whatever UTC offset is rendered.
_CREATED_FROM = datetime(2025, 1, 1, 14, tzinfo=UTC)
_CREATED_UNTIL = datetime(2026, 6, 30, 10, tzinfo=UTC)
_CREATED_SPAN_SECONDS = int((_CREATED_UNTIL - _CREATED_FROM).total_seconds())
_UTC_OFFSETS = (
    timedelta(hours=-8),
    timedelta(hours=-5),
    timedelta(hours=-3),
    timedelta(0),
    timedelta(hours=1),
    timedelta(hours=5, minutes=30),
    timedelta(hours=9),
)


def _digest(*parts: object) -> bytes:
    text = ":".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode("ascii"), digest_size=32).digest()


def _unit(digest: bytes, offset: int) -> float:
    """A number in [0, 1) read from four bytes of ``digest``."""
    return int.from_bytes(digest[offset : offset + 4], "big") / 2**32


def _format_create_date(digest: bytes) -> str:
    """Render an instant in one of the ISO-8601 shapes Gong is documented to use."""
    instant = _CREATED_FROM + timedelta(
        seconds=int(_unit(digest, 8) * _CREATED_SPAN_SECONDS),
        microseconds=int.from_bytes(digest[12:15], "big") % 1_000_000,
    )
    shape = digest[15] % 3
    if shape == 2:
        return instant.isoformat(timespec="microseconds").replace("+00:00", "Z")
    local = instant.astimezone(timezone(_UTC_OFFSETS[digest[16] % len(_UTC_OFFSETS)]))
    return local.isoformat(timespec="seconds" if shape == 0 else "milliseconds")


def _pick_status(digest: bytes) -> str:
    draw = _unit(digest, 0)
    return next(status for cutoff, status in _STATUS_CUTOFFS if draw < cutoff)


def _enforce_exclusivity(records: list[Record], finished_status: str) -> None:
    """Leave an open instance of an exclusive flow as the prospect's only open one."""
    open_records = [r for r in records if r["flowInstanceStatus"] in OPEN_STATUSES]
    keeper = next((r for r in open_records if r["exclusive"]), None)
    if keeper is None:
        return
    for record in open_records:
        if record is not keeper:
            record["flowInstanceStatus"] = finished_status


class GongDataset:
    """The prospects of a simulated Gong account and the flows assigned to them."""

    def __init__(self, prospect_count: int, seed: int = 0) -> None:
        if not 0 <= prospect_count <= MAX_INSTANCE_PROSPECT_INDEX + 1:
            raise ValueError(f"prospect_count out of range: {prospect_count}")
        self._prospect_count = prospect_count
        self._seed = seed

    @property
    def prospect_count(self) -> int:
        return self._prospect_count

    @property
    def seed(self) -> int:
        return self._seed

    def __repr__(self) -> str:
        return f"GongDataset(prospect_count={self._prospect_count}, seed={self._seed})"

    def prospect_ids(self) -> Iterator[str]:
        """The CRM IDs of all known prospects, in index order."""
        return (prospect_id(index) for index in range(self._prospect_count))

    def prospect_index(self, crm_id: str) -> int | None:
        """Index of a known prospect, ``None`` for IDs outside this dataset."""
        index = parse_prospect_index(crm_id)
        if index is None or index >= self._prospect_count:
            return None
        return index

    def assigned_flows(self, crm_id: str) -> list[Record]:
        """Every flow instance of a prospect, finished ones included."""
        index = self.prospect_index(crm_id)
        return [] if index is None else self.instances_at(index)

    def open_assigned_flows(self, crm_id: str) -> list[Record]:
        """What a crmProspectsIds query answers for one prospect: its open instances."""
        return [
            record
            for record in self.assigned_flows(crm_id)
            if record["flowInstanceStatus"] in OPEN_STATUSES
        ]

    def instance(self, flow_instance_id: str) -> Record | None:
        """The flow instance with this ID, whatever its status, or ``None``."""
        decoded = parse_flow_instance_id(flow_instance_id)
        if decoded is None:
            return None
        index, slot = decoded
        if index >= self._prospect_count:
            return None
        records = self.instances_at(index)
        return records[slot] if slot < len(records) else None

    def expected_open_records(self, crm_ids: Iterable[str]) -> list[Record]:
        """Exactly the ``prospectsAssigned`` list the API returns for these CRM IDs."""
        return [record for crm_id in crm_ids for record in self.open_assigned_flows(crm_id)]

    def expected_instance_records(self, flow_instance_ids: Iterable[str]) -> list[Record]:
        """Exactly the ``prospectsAssigned`` list the API returns for these instance IDs."""
        found = (self.instance(instance_id) for instance_id in flow_instance_ids)
        return [record for record in found if record is not None]

    def instances_at(self, index: int) -> list[Record]:
        """Flow instances of the prospect at ``index``, finished ones included.

        Works for any index, even past ``prospect_count``; the simulator uses that to
        fabricate prospects the account does not know about.
        """
        digest = _digest("prospect", self._seed, index)
        draw = _unit(digest, 0)
        count = sum(1 for cutoff in _INSTANCE_COUNT_CUTOFFS if draw >= cutoff)
        first_flow = digest[4] % len(FLOWS)
        stride = _FLOW_STRIDES[digest[5] % len(_FLOW_STRIDES)]
        records = [
            self._instance_record(index, slot, FLOWS[(first_flow + slot * stride) % len(FLOWS)])
            for slot in range(count)
        ]
        _enforce_exclusivity(records, FINISHED_STATUSES[digest[6] % len(FINISHED_STATUSES)])
        return records

    def _instance_record(self, index: int, slot: int, flow: Flow) -> Record:
        digest = _digest("instance", self._seed, index, slot)
        owner = OWNERS[digest[4] % len(OWNERS)]
        return {
            "flowId": flow.flow_id,
            "flowName": flow.name,
            "crmProspectId": prospect_id(index),
            "flowInstanceId": flow_instance_id(index, slot),
            "flowInstanceOwnerEmail": owner.email,
            "flowInstanceOwnerFullName": owner.full_name,
            "flowInstanceCreateDate": _format_create_date(digest),
            "flowInstanceStatus": _pick_status(digest),
            "workspaceId": flow.workspace_id,
            "exclusive": flow.exclusive,
        }
