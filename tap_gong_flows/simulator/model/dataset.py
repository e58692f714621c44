"""Deterministic, stateless dataset of a Gong account: prospects, flow instances and more.

Nothing is stored per prospect: every record is derived on demand from a hash of
``(seed, prospect index, slot)``, so a dataset of millions of prospects costs no memory
and any ID handed out can be resolved back to its records. The company's users, flow
folders, flows and steps (:mod:`.flow_visibility`) and the users' tasks (:mod:`.engage_tasks`) are
derived from the same dataset and agree with the flow instances.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from tap_gong_flows.simulator.model.catalog import FINISHED_STATUSES, FLOWS, OPEN_STATUSES, Flow
from tap_gong_flows.simulator.model.engage_tasks import TaskFilter, TaskGenerator
from tap_gong_flows.simulator.model.flow_steps import step_record
from tap_gong_flows.simulator.model.flow_visibility import (
    EngageFlow,
    FlowVisibility,
    flow_record,
    flow_with_steps_record,
    folder_record,
    select_flows,
    select_folders,
)
from tap_gong_flows.simulator.model.hashing import digest, unit
from tap_gong_flows.simulator.model.ids import (
    MAX_INSTANCE_PROSPECT_INDEX,
    flow_instance_id,
    parse_flow_instance_id,
    parse_prospect_index,
    prospect_id,
)
from tap_gong_flows.simulator.model.people import DEFAULT_USER_COUNT, User, user_record
from tap_gong_flows.simulator.model.record import Record
from tap_gong_flows.simulator.model.timestamps import DATA_AS_OF, render_instant

__all__ = [
    "FINISHED_STATUSES",
    "OPEN_STATUSES",
    "GongDataset",
    "parse_prospect_index",
    "prospect_id",
]


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
# Creation instants span January 2025 to the data's "today". The hour margins keep the
# local date inside that span whatever UTC offset is rendered.
_CREATED_FROM = datetime(2025, 1, 1, 14, tzinfo=UTC)
_CREATED_UNTIL = DATA_AS_OF
_CREATED_SPAN_SECONDS = int((_CREATED_UNTIL - _CREATED_FROM).total_seconds())


def _format_create_date(source: bytes) -> str:
    instant = _CREATED_FROM + timedelta(
        seconds=int(unit(source, 8) * _CREATED_SPAN_SECONDS),
        microseconds=int.from_bytes(source[12:15], "big") % 1_000_000,
    )
    return render_instant(instant, source[15], source[16])


def _pick_status(source: bytes) -> str:
    draw = unit(source, 0)
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


_INSTANCE_CACHE_SIZE = 100_000  # prospects; a few hundred bytes each


class GongDataset:
    """A simulated Gong account: prospects and their flow instances, users, flow folders,
    flows, flow steps and tasks, all consistent with one another.

    ``user_count`` sizes the company (see :mod:`.people`); its first six users own the
    flow instances, so any ``user_count >= 6`` leaves the prospect data unchanged.

    Time can be made to pass with :meth:`finish_instances`: instances it finishes leave
    the answers to crmProspectsIds queries and show a finished status when fetched by
    ``flowInstanceIds``; their open tasks get closed. Nothing else changes.
    """

    def __init__(
        self, prospect_count: int, seed: int = 0, user_count: int = DEFAULT_USER_COUNT
    ) -> None:
        if not 0 <= prospect_count <= MAX_INSTANCE_PROSPECT_INDEX + 1:
            raise ValueError(f"prospect_count out of range: {prospect_count}")
        self._prospect_count = prospect_count
        self._seed = seed
        self._directory = FlowVisibility(user_count)
        # Hashing out a prospect's instances is most of an answer's cost; benchmarks ask
        # for the same prospects again and again. Bounded, so a million-ID run stays small.
        self._initial_instances = lru_cache(maxsize=_INSTANCE_CACHE_SIZE)(
            self._initial_instances_uncached
        )
        self._tasks = TaskGenerator(seed, prospect_count, self._directory, self.instances_at)
        # Replaced, never mutated, so that server threads always read a consistent value.
        self._finished_share = 0.0
        self._finished_ids: frozenset[str] = frozenset()

    @property
    def prospect_count(self) -> int:
        return self._prospect_count

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def user_count(self) -> int:
        return len(self._directory.users)

    @property
    def directory(self) -> FlowVisibility:
        """The company's users, folders and flows as objects (the helpers below render
        them as the API does)."""
        return self._directory

    def __repr__(self) -> str:
        return (
            f"GongDataset(prospect_count={self._prospect_count}, seed={self._seed}, "
            f"user_count={self.user_count})"
        )

    # -- time ------------------------------------------------------------------------

    def finish_instances(self, which: float | Iterable[str]) -> None:
        """Let time pass: finish some of the flow instances that are still open.

        ``which`` is either a fraction in [0, 1], finishing about that share of the
        instances open right now (each instance draws once, from its ID, whether and
        how it finishes, so the result is deterministic and repeated calls compound),
        or flow instance IDs to finish (unknown or already finished IDs are ignored).
        A finished instance gets one of :data:`FINISHED_STATUSES` and never reopens.
        """
        if isinstance(which, str):
            raise TypeError("pass a list of flow instance IDs, not a single string")
        if isinstance(which, int | float) and not isinstance(which, bool):
            if not 0.0 <= which <= 1.0:
                raise ValueError(f"fraction must be within [0, 1]: {which}")
            self._finished_share = 1.0 - (1.0 - self._finished_share) * (1.0 - which)
            return
        if isinstance(which, bool):
            raise TypeError("pass a fraction or flow instance IDs, not a boolean")
        ids = list(which)
        strays = [item for item in ids if not isinstance(item, str)]
        if strays:
            raise TypeError(f"flow instance IDs must be strings, got {strays[:3]}")
        self._finished_ids = self._finished_ids | frozenset(ids)

    @property
    def finished_share(self) -> float:
        """The share of all instances finished by fractions passed to finish_instances."""
        return self._finished_share

    def _apply_elapsed_time(self, index: int, records: list[Record]) -> None:
        share, finished_ids = self._finished_share, self._finished_ids
        if share == 0.0 and not finished_ids:
            return
        for slot, record in enumerate(records):
            if record["flowInstanceStatus"] not in OPEN_STATUSES:
                continue
            source = digest("finish", self._seed, index, slot)
            if unit(source, 0) < share or record["flowInstanceId"] in finished_ids:
                record["flowInstanceStatus"] = FINISHED_STATUSES[source[4] % len(FINISHED_STATUSES)]

    # -- prospects and flow instances ------------------------------------------------

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
        records = [dict(record) for record in self._initial_instances(index)]
        self._apply_elapsed_time(index, records)
        return records

    def _initial_instances_uncached(self, index: int) -> tuple[Record, ...]:
        source = digest("prospect", self._seed, index)
        draw = unit(source, 0)
        count = sum(1 for cutoff in _INSTANCE_COUNT_CUTOFFS if draw >= cutoff)
        first_flow = source[4] % len(FLOWS)
        stride = _FLOW_STRIDES[source[5] % len(_FLOW_STRIDES)]
        records = [
            self._instance_record(index, slot, FLOWS[(first_flow + slot * stride) % len(FLOWS)])
            for slot in range(count)
        ]
        _enforce_exclusivity(records, FINISHED_STATUSES[source[6] % len(FINISHED_STATUSES)])
        return tuple(records)

    def _instance_record(self, index: int, slot: int, flow: Flow) -> Record:
        source = digest("instance", self._seed, index, slot)
        owners = self._directory.instance_owners
        owner = owners[source[4] % len(owners)]
        return {
            "flowId": flow.flow_id,
            "flowName": flow.name,
            "crmProspectId": prospect_id(index),
            "flowInstanceId": flow_instance_id(index, slot),
            "flowInstanceOwnerEmail": owner.email,
            "flowInstanceOwnerFullName": owner.full_name,
            "flowInstanceCreateDate": _format_create_date(source),
            "flowInstanceStatus": _pick_status(source),
            "workspaceId": flow.workspace_id,
            "exclusive": flow.exclusive,
        }

    # -- users, folders, flows and steps ---------------------------------------------

    def users(self) -> list[Record]:
        """Every user, as ``GET /v2/users`` pages through them (in this order)."""
        return [user_record(user) for user in self._directory.users]

    def user(self, email_or_id: str) -> Record | None:
        """One user by ID, email address or alias (any case), or ``None``."""
        found = self._find_user(email_or_id)
        return None if found is None else user_record(found)

    def flows_visible_to(
        self, email: str, *, workspace_id: str | None = None, folder_id: str | None = None
    ) -> list[Record]:
        """What ``GET /v2/flows?flowOwnerEmail=email`` pages through: company flows, flows
        shared with the user and the user's personal flows, in that order.

        Raises LookupError for an email no user has.
        """
        flows = self._directory.flows_visible_to(self._require_user(email))
        return [flow_record(flow) for flow in select_flows(flows, workspace_id, folder_id)]

    def all_flows(self) -> list[Record]:
        """Every flow of the company once: the union of all users' /v2/flows answers."""
        return [flow_record(flow) for flow in self._directory.flows]

    def folders_visible_to(
        self, email: str, *, workspace_id: str | None = None, parent_id: str | None = None
    ) -> list[Record]:
        """What ``GET /v2/flows/folders?flowFolderOwnerEmail=email`` pages through.

        Raises LookupError for an email no user has.
        """
        folders = self._directory.folders_visible_to(self._require_user(email))
        return [folder_record(f) for f in select_folders(folders, workspace_id, parent_id)]

    def all_folders(self) -> list[Record]:
        """Every folder of the company once: the union of all users' folders answers."""
        return [folder_record(folder) for folder in self._directory.folders]

    def flow_with_steps(self, flow_id: str) -> Record | None:
        """The flow as ``POST /v2/flows/steps`` describes it, or ``None`` if unknown."""
        flow = self._directory.flow(flow_id)
        return None if flow is None else flow_with_steps_record(flow)

    def steps_of(self, flow_id: str) -> list[Record]:
        """The steps of one flow, in order. Raises LookupError for an unknown flow."""
        return [step_record(step) for step in self._require_flow(flow_id).steps]

    def expected_flow_steps(self, flow_ids: Iterable[str]) -> list[Record]:
        """Exactly the ``flows`` list ``POST /v2/flows/steps`` answers for known IDs
        (each flow once, in first-requested order)."""
        unique = dict.fromkeys(flow_ids)
        return [flow_with_steps_record(self._require_flow(flow_id)) for flow_id in unique]

    # -- tasks -----------------------------------------------------------------------

    def tasks_of(
        self,
        user: str,
        *,
        statuses: Iterable[str] | None = None,
        types: Iterable[str] | None = None,
        workspace_id: str | None = None,
    ) -> list[Record]:
        """Exactly the ``tasks`` list ``POST /v2/tasks`` answers for a user (by ID or
        email) and filter; ``None`` filters admit every status or type.

        Raises LookupError for an unknown user.
        """
        everything = TaskFilter()
        task_filter = TaskFilter(
            statuses=everything.statuses if statuses is None else frozenset(statuses),
            types=everything.types if types is None else frozenset(types),
            workspace_id=workspace_id,
        )
        return self._tasks.tasks_of(self._require_user(user), task_filter)

    def task_prospect_ids(self) -> list[str]:
        """Every CRM ID the users' tasks name (as contact or additional contact), each
        once, in a stable order: flow tasks by prospect, then manual tasks by user."""
        return self._tasks.task_prospect_ids()

    @property
    def tasks(self) -> TaskGenerator:
        return self._tasks

    def _find_user(self, email_or_id: str) -> User | None:
        if "@" in email_or_id:
            return self._directory.user_by_email(email_or_id)
        return self._directory.user_by_id(email_or_id)

    def _require_user(self, email_or_id: str) -> User:
        found = self._find_user(email_or_id)
        if found is None:
            raise LookupError(f"no user with email or ID {email_or_id!r}")
        return found

    def _require_flow(self, flow_id: str) -> EngageFlow:
        flow = self._directory.flow(flow_id)
        if flow is None:
            raise LookupError(f"no flow with ID {flow_id!r}")
        return flow
