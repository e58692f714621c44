"""Figure 2, whole-sync efficiency: every stream selected, Gong's pace, realistic answers.

The tap syncs all seven streams against a simulator with ``whole_users`` users, a median
answer time of ``whole_latency`` s and Gong's 3 requests/s. Efficiency is the pacing
figure's over every request of the sync: (N - 1) / rate ÷ first→last arrival.

Not every request can go out on the pace: some must wait for an answer. ``/v2/users`` is
a cursor chain (each page needs the previous page's cursor) and nothing else can be
asked before the users are known; each owner's ``/v2/flows`` and ``/v2/flows/folders``
pages are a chain too. :func:`chain_floor` prices the longest such chain from the
simulator's log and gives the best efficiency it leaves (see ``benchmarks/README.md``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import parse_qs, urlsplit

from benchmarks import simulated
from benchmarks.context import GONG_RATE, Bench, Job, progress
from benchmarks.simulated import SyncRun
from tap_gong_flows.simulator import FLOWS_PATH, FOLDERS_PATH, USERS_PATH, GongDataset
from tap_gong_flows.simulator import RequestLogEntry as Entry

SECTION = 2
TARGET = 0.93
PACER_MARGIN = 1.01  # the tap's pacer spaces starts 1% wider than 1 / rate
_OWNER_PARAMS = ("flowOwnerEmail", "flowFolderOwnerEmail")


def _endpoint(entry: Entry) -> str:
    return entry.path.split("?", 1)[0]


def _owner(entry: Entry) -> str:
    query = parse_qs(urlsplit(entry.path).query)
    return next((query[name][0] for name in _OWNER_PARAMS if name in query), "?")


def measure(job: Job) -> SyncRun:
    """The whole sync on its own simulator (``job.catalog``: every stream selected)."""
    sizes = job.sizes
    progress(
        f"whole sync: every stream, {sizes.whole_users} users, {sizes.whole_prospects:,} "
        f"prospects, {sizes.whole_latency:g} s answers, {GONG_RATE:g}/s"
    )
    dataset = GongDataset(sizes.whole_prospects, user_count=sizes.whole_users)
    ids = simulated.write_ids(job.scratch / "whole-ids.txt", dataset.prospect_ids())
    simulator = simulated.start_simulator(
        dataset, GONG_RATE, latency=sizes.whole_latency, page_size=sizes.whole_page_size
    )
    try:
        config = simulated.tap_config(job.scratch / "whole.json", simulator, ids)
        argv = simulated.tap_argv(config, "--catalog", str(job.catalog))
        return simulated.measured_sync(simulator, "whole sync", argv, timeout=240)
    finally:
        simulator.stop()


@dataclass(frozen=True)
class Floor:
    """The longest chain of requests that must wait for one another, and what it leaves."""

    chain: str
    requests: int  # in the chain
    chain_seconds: float  # from the chain's first arrival to the earliest the rest can follow
    best_span: float  # the shortest first→last span the chain allows
    ideal_span: float  # (N - 1) / rate

    @property
    def efficiency(self) -> float:
        return self.ideal_span / max(self.ideal_span, self.best_span)


def chain_floor(log: Sequence[Entry], rate: float) -> Floor:
    """The best efficiency the sequential page chains leave, from the simulator's log.

    A page of a chain cannot arrive before the previous page's answer, nor sooner than
    1 / rate after it: page i costs max(answer_i, 1 / rate). The users chain comes before
    every other request: its pages cost C = sum of max(answer_i, 1 / rate) over all k
    users pages, after which the other N - k requests need (N - k - 1) / rate at best.
    An owner's flows (or folders) chain starts after the users chain; its last page
    arrives no sooner than C plus its other pages' costs. The floor is the largest of
    these bounds (and never below (N - 1) / rate).
    """
    ok = sorted((e for e in log if e.status == 200), key=lambda e: e.arrived)
    step = 1.0 / rate
    ideal = (len(ok) - 1) * step

    def cost(entries: Sequence[Entry]) -> float:
        return sum(max(e.answered - e.arrived, step) for e in entries)

    users = [e for e in ok if _endpoint(e) == USERS_PATH]
    users_cost = cost(users)
    best = Floor("no chain", 0, 0.0, ideal, ideal)
    if users:
        rest = (len(ok) - len(users) - 1) * step
        best = Floor(
            f"{len(users)} `{USERS_PATH}` page(s), before anything else can start",
            len(users),
            users_cost,
            users_cost + rest,
            ideal,
        )
    chains: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in ok:
        if _endpoint(entry) in (FLOWS_PATH, FOLDERS_PATH):
            chains[(_endpoint(entry), _owner(entry))].append(entry)
    for (endpoint, owner), pages in chains.items():
        bound = users_cost + cost(pages[:-1])
        if bound > best.best_span:
            best = Floor(
                f"the users pages, then {len(pages)} `{endpoint}` page(s) of {owner}",
                len(users) + len(pages),
                bound,
                bound,
                ideal,
            )
    return best


def _gaps(ok: Sequence[Entry], rate: float) -> tuple[float, list[str]]:
    """Arrival gaps beyond the pacer's spacing: their total, and the three largest."""
    spacing = PACER_MARGIN / rate
    gaps = [(b.arrived - a.arrived, a, b) for a, b in pairwise(ok)]
    excess = sum(max(0.0, gap - spacing) for gap, _a, _b in gaps)
    largest = sorted(gaps, key=lambda item: item[0], reverse=True)[:3]
    said = [
        f"{gap:.2f} s from `{_endpoint(a)}` to `{_endpoint(b)}`"
        for gap, a, b in largest
        if gap > spacing * 1.5
    ]
    return excess, said


def rows(bench: Bench, run: SyncRun) -> None:
    report = bench.report
    sizes = bench.sizes
    report.section(
        SECTION,
        f"Whole sync: every stream, {sizes.whole_users} users, {sizes.whole_prospects:,} "
        f"prospects, {sizes.whole_latency:g} s median answers, simulator at Gong's "
        f"{GONG_RATE:g}/s and page size {sizes.whole_page_size}, tap at its defaults",
    )
    label = "whole-sync efficiency: (N-1)/3 s ÷ first→last arrival, every request"
    target = f"≥ {TARGET}; no 429"
    problem = run.problem(stream=None)
    if problem:
        report.problem(problem)
        report.add(SECTION, label, "failed (see problems)", target, False)
        return
    ok = sorted((e for e in run.log if e.status == 200), key=lambda e: e.arrived)
    limited = run.statuses.get(429, 0)
    if len(ok) < 2:
        report.add(SECTION, label, "n/a (fewer than 2 answered requests)", target, False)
        return
    arrivals = sorted(e.arrived for e in run.log)
    span = arrivals[-1] - arrivals[0]
    ideal = (len(ok) - 1) / GONG_RATE
    efficiency = ideal / span
    per_endpoint = Counter(_endpoint(e).removeprefix("/v2/") for e in ok)
    endpoints = ", ".join(f"{n} {name}" for name, n in per_endpoint.most_common())
    report.add(
        SECTION,
        label,
        f"{efficiency:.3f} ({ideal:.2f} s ÷ {span:.2f} s, N = {len(ok)}: {endpoints}); "
        f"429: {limited}; most in flight {run.most_in_flight}; "
        f"{run.child.records_any:,} RECORD lines in {run.child.wall:.1f} s",
        target,
        efficiency >= TARGET and limited == 0,
    )
    floor = chain_floor(run.log, GONG_RATE)
    lost = max(0.0, floor.best_span - floor.ideal_span)
    report.add(
        SECTION,
        "floor left by the sequential page chains: (N-1)/3 ÷ max((N-1)/3, chain + rest)",
        f"{floor.efficiency:.3f}; longest chain: {floor.chain}, {floor.chain_seconds:.2f} s "
        f"({floor.requests} request(s)), which puts the best span {lost:.2f} s over the ideal "
        f"{floor.ideal_span:.2f} s; the tap reaches "
        f"{efficiency / floor.efficiency:.1%} of it (the pacer's 1% margin alone caps it "
        f"at {1 / PACER_MARGIN:.1%})",
    )
    excess, largest = _gaps(ok, GONG_RATE)
    report.add(
        SECTION,
        f"time between arrivals beyond the pacer's {PACER_MARGIN / GONG_RATE:.3f} s spacing",
        f"{excess:.2f} s in all" + (f"; largest gaps: {', '.join(largest)}" if largest else ""),
    )
