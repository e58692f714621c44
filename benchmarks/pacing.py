"""Figure 1, pacing: how close the ``assigned_flows`` requests come to the allowed pace.

For each median answer time the tap syncs ``prospects`` and ``assigned_flows`` (only those
two selected) against a simulator of its own that enforces Gong's 3 requests per second
and answers after a seeded lognormal delay. The tap runs at its default 3 requests/s.

Efficiency = ideal span ÷ measured span, where the ideal span is (N - 1) / rate for N
answered requests and the measured span runs from the first request's arrival at the
simulator to the last one's. The pacer keeps a 1% safety margin between starts, so 0.990
is the most it can show. Every run's records are checked against the 0-latency run's:
answer times must change when records come out, never which records or their order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks import simulated, tap_io
from benchmarks.context import GONG_RATE, IDS_PER_REQUEST, STREAM, Bench, Job, progress
from benchmarks.report import fmt
from benchmarks.simulated import SyncRun
from benchmarks.tap_io import RecordDigest
from tap_gong_flows.simulator import PROSPECTS_PATH, GongDataset, RequestLogEntry

SECTION = 1
TARGET = 0.97


@dataclass
class PacingRun:
    latency: float
    run: SyncRun
    digest: RecordDigest | None

    def requests(self) -> list[RequestLogEntry]:
        """The simulator's log of the assigned_flows requests, in arrival order."""
        mine = [e for e in self.run.log if e.path.split("?", 1)[0] == PROSPECTS_PATH]
        return sorted(mine, key=lambda entry: entry.arrived)


def tightest_window(log: list[RequestLogEntry], count: int) -> float | None:
    """The shortest time spanned by ``count`` consecutive arrivals (None if too few).

    Gong (and the simulator) allow ``count - 1`` requests in any 1 s window, so a value
    under 1 s means a 429; how far above 1 s it stays is the pacing's slack.
    """
    arrivals = [entry.arrived for entry in log]
    spans = [b - a for a, b in zip(arrivals, arrivals[count - 1 :], strict=False)]
    return min(spans, default=None)


def _label(latency: float) -> str:
    return f"{latency:g} s"


def measure(job: Job, latency: float) -> PacingRun:
    """One paced sync at ``latency`` seconds median answer time, on its own simulator
    (``job.catalog``: prospects and assigned_flows selected)."""
    prospects = job.sizes.pacing_prospects
    requests = math.ceil(prospects / IDS_PER_REQUEST)
    expected = (requests - 1) / GONG_RATE
    progress(f"pacing: {requests} requests at {GONG_RATE:g}/s, {_label(latency)} answers")
    dataset = GongDataset(prospects)
    name = f"pacing-{latency:g}"
    scratch = job.scratch
    ids = simulated.write_ids(scratch / f"{name}-ids.txt", dataset.prospect_ids())
    captured = scratch / f"{name}-output.jsonl"
    simulator = simulated.start_simulator(dataset, GONG_RATE, latency=latency)
    try:
        config = simulated.tap_config(
            scratch / f"{name}.json",
            simulator,
            ids,
            prospect_ids_per_request=IDS_PER_REQUEST,
        )  # max_requests_per_second and max_requests_in_flight left at their defaults
        argv = simulated.tap_argv(config, "--catalog", str(job.catalog))
        run = simulated.measured_sync(
            simulator,
            f"pacing sync, {_label(latency)} answers",
            argv,
            timeout=expected + 60 + 10 * latency,
            copy_stdout_to=captured,
        )
    finally:
        simulator.stop()
    digest = tap_io.record_digest(captured) if run.child.ok else None
    captured.unlink(missing_ok=True)
    return PacingRun(latency, run, digest)


def rows(bench: Bench, runs: list[PacingRun]) -> None:
    report = bench.report
    prospects = bench.sizes.pacing_prospects
    report.section(
        SECTION,
        f"Pacing of `{STREAM}`: {prospects:,} prospects at {IDS_PER_REQUEST} IDs a request "
        f"(streams prospects + {STREAM}); tap at its default {GONG_RATE:g} requests/s, "
        f"simulator enforcing Gong's {GONG_RATE:g}/s; efficiency = (N-1)/{GONG_RATE:g} s ÷ "
        f"first→last arrival",
    )
    reference = next((r.digest for r in runs if r.latency == 0 and r.digest), None)
    for paced in sorted(runs, key=lambda r: r.latency):
        label = f"pacing efficiency at {_label(paced.latency)} median answer time"
        target = f"≥ {TARGET}; no 429; records identical"
        problem = paced.run.problem()
        if problem:
            report.problem(problem)
            report.add(SECTION, label, "failed (see problems)", target, False)
            continue
        log = paced.requests()
        answered = [e for e in log if e.status == 200]
        limited = sum(1 for e in log if e.status == 429)
        if len(answered) < 2:
            report.add(SECTION, label, "n/a (fewer than 2 answered requests)", target, False)
            continue
        span = log[-1].arrived - log[0].arrived
        ideal = (len(answered) - 1) / GONG_RATE
        efficiency = ideal / span
        slowest = max(e.answered - e.arrived for e in answered)
        closest = tightest_window(log, int(GONG_RATE) + 1)
        digest = paced.digest
        if digest is None or reference is None:
            same, said = False, "not compared (no 0 s run)"
        elif paced.latency == 0:
            same, said = True, f"the reference: {digest.describe()}"
        else:
            same = digest == reference
            said = "identical to the 0 s run" if same else f"**differ**: {digest.describe()}"
        report.add(
            SECTION,
            label,
            f"{efficiency:.3f} ({ideal:.2f} s ÷ {span:.2f} s, N = {len(answered)}); "
            f"429: {limited}; most in flight {paced.run.most_in_flight} (rate x median "
            f"answer = {GONG_RATE * paced.latency:.1f}); slowest answer {slowest:.2f} s; "
            f"tightest {int(GONG_RATE) + 1} arrivals in a row span {fmt(closest, '.3f', ' s')} "
            f"(under 1 s draws a 429); "
            f"records {said}",
            target,
            efficiency >= TARGET and limited == 0 and same,
        )
