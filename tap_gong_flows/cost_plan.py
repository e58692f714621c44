"""What a sync will cost in Gong requests, planned before it spends one.

The arithmetic is the README's "Request cost" table; the numbers in it come from the
preflight's probes: the first page of users (how many, how many active, the page size),
one user's flows and folders (how many pages each active user's list takes), and the
prospect IDs counted from the configured sources. Where a probe cannot know a number
(the flows only other users see, the prospects Gong's tasks mention), the plan says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tap_gong_flows.streams.flows import FLOW_IDS_PER_STEPS_REQUEST

GONG_DAILY_LIMIT = 10_000
FINISHED_LOOKUP_IDS_PER_REQUEST = 100


@dataclass(frozen=True)
class FirstPage:
    """What the first page of a cursor-paged list said about the whole list."""

    total: int  # Gong's records.totalRecords (the items on the page when it is absent)
    items: int  # items on this page
    more_pages: bool  # a cursor came back

    @property
    def pages(self) -> int:
        if not self.more_pages or self.items == 0:
            return 1
        return math.ceil(self.total / self.items)


@dataclass(frozen=True)
class ProbeFindings:
    """What the probes learned that the plan needs; None where a probe was not answered."""

    users: FirstPage | None = None
    active_on_first_page: int = 0  # active users with an email, on the first page
    flows: FirstPage | None = None  # of one active user
    personal_flows_seen: int = 0  # flows of that user that only they see
    folders: FirstPage | None = None  # of one active user
    prospect_ids: int = 0  # distinct IDs of the configured sources (tasks aside)


@dataclass(frozen=True)
class PlanLine:
    """Requests one stream (or a list it needs) will send."""

    label: str
    requests: int | None  # None: not known before the sync
    how: str
    estimated: bool = False


@dataclass(frozen=True)
class CostPlan:
    lines: tuple[PlanLine, ...]
    open_ended: tuple[str, ...]  # costs the plan cannot count, said in words
    max_requests_per_second: float
    # The most the open-ended costs can add, when every one of them is bounded.
    open_ended_at_most: int | None = None

    @property
    def total(self) -> int:
        return sum(line.requests or 0 for line in self.lines)

    @property
    def estimated(self) -> bool:
        return any(line.estimated for line in self.lines)

    @property
    def complete(self) -> bool:
        return not self.open_ended and all(line.requests is not None for line in self.lines)

    @property
    def at_most(self) -> int | None:
        """The most the sync can spend (without retries); None when it cannot be bounded."""
        if self.complete:
            return self.total
        if self.open_ended_at_most is None or any(line.requests is None for line in self.lines):
            return None
        return self.total + self.open_ended_at_most

    def summary(self) -> str:
        count, share = f"{self.total:,}", ""
        most = self.at_most
        if self.complete:
            count = ("about " if self.estimated else "") + count
        elif most is not None:
            count, share = f"{self.total:,} to {most:,}", "up to "
        else:
            count = f"at least {count}"
        spent = self.total if most is None else most
        seconds = spent / self.max_requests_per_second
        return (
            f"Planned cost: {count} requests, {share}"
            f"{spent / GONG_DAILY_LIMIT:.1%} of Gong's {GONG_DAILY_LIMIT:,} a day "
            f"(shared with every other integration of the company); {share or 'about '}"
            f"{_duration(seconds)} at {self.max_requests_per_second:g} requests a second"
        )

    def report_lines(self) -> list[str]:
        width = max([len(line.label) for line in self.lines] + [6])
        rows = [f"  {'stream':<{width}}  {'requests':>8}  how"]
        for line in self.lines:
            count = (
                "?"
                if line.requests is None
                else f"{'~' if line.estimated else ''}{line.requests:,}"
            )
            rows.append(f"  {line.label:<{width}}  {count:>8}  {line.how}")
        rows += [f"  plus {text}" for text in self.open_ended]
        return [*rows, self.summary()]


def _duration(seconds: float) -> str:
    whole = math.ceil(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _label(name: str, selected: Sequence[str], users_of: Sequence[str]) -> str:
    if name in selected:
        return name
    return f"{name} list (for {', '.join(users_of)})"


@dataclass(frozen=True)
class PlanInputs:
    """The selection and the settings the plan depends on."""

    streams: Sequence[str]  # the selected streams that can run
    prospect_ids_per_request: int
    from_tasks: bool
    track_finished_flows: bool
    max_requests_per_second: float
    tracked_instances: int = 0  # open at the end of the last sync, from the state


def plan_cost(inputs: PlanInputs, found: ProbeFindings) -> CostPlan:
    """The requests a sync of ``inputs.streams`` will send, without retries."""
    streams = list(inputs.streams)
    feeds_ids = "assigned_flows" in streams
    needs_from_tasks = inputs.from_tasks and (feeds_ids or "prospects" in streams)
    per_user_streams: tuple[str, ...] = ("flows", "flow_folders", "flow_steps", "tasks")
    by_user = [s for s in per_user_streams if s in streams]
    if needs_from_tasks:
        by_user.append("crm_prospect_ids_from_tasks")
    lines: list[PlanLine] = []
    open_ended: list[str] = []
    lookup_bound = 0
    users = found.users
    active = _active_users(found)
    if by_user or "users" in streams:
        lines.append(
            PlanLine(
                _label("users", streams, by_user),
                None if users is None else users.pages,
                "GET /v2/users: "
                + ("not answered" if users is None else _pages_text(users, "users")),
            )
        )
    if "flows" in streams or "flow_steps" in streams:
        lines.append(_per_user_line(_label("flows", streams, ["flow_steps"]), found.flows, active))
    if "flow_folders" in streams:
        lines.append(_per_user_line("flow_folders", found.folders, active))
    if "flow_steps" in streams:
        lines.append(_steps_line(found, active))
    if "tasks" in streams:
        lines.append(_tasks_line("tasks", users))
    if needs_from_tasks:
        lines.append(_tasks_line("crm_prospect_ids_from_tasks", users))
    if needs_from_tasks and feeds_ids:
        open_ended.append(
            f"one POST /v2/flows/prospects per {inputs.prospect_ids_per_request} prospects "
            "that Gong's tasks mention (known only once the tasks are read)"
        )
    if feeds_ids:
        per = inputs.prospect_ids_per_request
        count = found.prospect_ids
        lines.append(
            PlanLine(
                "assigned_flows",
                math.ceil(count / per),
                f"POST /v2/flows/prospects: {count:,} prospect IDs, {per} a request",
            )
        )
        if inputs.track_finished_flows:
            lookups = _finished_lookups(inputs.tracked_instances)
            if isinstance(lookups, PlanLine):
                lines.append(lookups)
            else:
                open_ended.append(lookups)
                lookup_bound = math.ceil(inputs.tracked_instances / FINISHED_LOOKUP_IDS_PER_REQUEST)
    bound = None if needs_from_tasks and feeds_ids else lookup_bound
    return CostPlan(tuple(lines), tuple(open_ended), inputs.max_requests_per_second, bound)


def _finished_lookups(tracked: int) -> PlanLine | str:
    """track_finished_flows: a line when nothing is tracked yet, else what it may cost."""
    what = "POST /v2/flows/prospects by flowInstanceIds"
    if tracked == 0:
        return PlanLine(
            "finished_flows", 0, f"{what}: none, no instances tracked yet (the first sync)"
        )
    most = math.ceil(tracked / FINISHED_LOOKUP_IDS_PER_REQUEST)
    return (
        f"up to {most:,} {what} (track_finished_flows): one per "
        f"{FINISHED_LOOKUP_IDS_PER_REQUEST} of the {tracked:,} instances open at the last "
        "sync that have left the open list since"
    )


def _pages_text(page: FirstPage, what: str) -> str:
    if page.pages == 1:
        return f"{page.total:,} {what}, one page"
    return f"{page.total:,} {what}, {page.items} a page"


def _active_users(found: ProbeFindings) -> tuple[int, bool] | None:
    """Active users with an email (the owners flows and folders are asked for), and
    whether that is extrapolated from the first page."""
    users = found.users
    if users is None:
        return None
    if not users.more_pages or users.items == 0:
        return found.active_on_first_page, False
    return round(users.total * found.active_on_first_page / users.items), True


def _per_user_line(label: str, page: FirstPage | None, active: tuple[int, bool] | None) -> PlanLine:
    path = "GET /v2/flows/folders" if label == "flow_folders" else "GET /v2/flows"
    if page is None or active is None:
        return PlanLine(label, None, f"{path}: not answered")
    count, extrapolated = active
    each = page.pages
    how = f"{path}: {count:,} active users x {each} page{'s' if each > 1 else ''}"
    how += " (as many as the user asked in the preflight)"
    return PlanLine(label, count * each, how, estimated=extrapolated or page.more_pages)


def _steps_line(found: ProbeFindings, active: tuple[int, bool] | None) -> PlanLine:
    flows = found.flows
    if flows is None or active is None:
        return PlanLine("flow_steps", None, "POST /v2/flows/steps: not answered")
    count, _ = active
    shared = flows.total - found.personal_flows_seen
    distinct = shared + found.personal_flows_seen * max(count, 1)
    requests = math.ceil(distinct / FLOW_IDS_PER_STEPS_REQUEST)
    how = (
        f"POST /v2/flows/steps: about {distinct:,} distinct flows "
        f"({shared} seen by everyone, {found.personal_flows_seen} personal per user), "
        f"{FLOW_IDS_PER_STEPS_REQUEST} a request"
    )
    return PlanLine("flow_steps", requests, how, estimated=True)


def _tasks_line(label: str, users: FirstPage | None) -> PlanLine:
    if users is None:
        return PlanLine(label, None, "POST /v2/tasks: not answered")
    return PlanLine(label, users.total, f"POST /v2/tasks: one per user ({users.total:,})")
