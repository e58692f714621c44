"""Every benchmark of tap-gong-flows in one run, printed as one Markdown table.

The tap always runs as a real subprocess (``python -m tap_gong_flows``) against the
project's simulator. The runs whose figures are set by the clock (pacing at 3
requests/s, the whole sync) run two at a time, each in a process of its own with a
simulator of its own (``--serial``: one after another, in this process); the runs whose
figures are CPU or memory run one at a time after them, on a quiet machine, against a
simulator in this process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shlex
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.harness import scratch_directory
from benchmarks.report import Report, load_average, render


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark tap-gong-flows against its simulator; prints one Markdown table.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one rep: a smoke check (~30 s)"
    )
    parser.add_argument(
        "--serial",
        action="store_true",
        help="run the pacing and whole-sync runs one after another, not two at a time "
        "(about 80 s longer)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="leave out the memory runs")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run the CPU figure's tap and baseline under cProfile; print top functions",
    )
    return parser.parse_args(argv)


# How many of the clock-bound runs go at once. Each run has a simulator of its own, so
# they share no rate limit; but every extra run adds a little scheduling noise to the
# others' arrival times, and the pacer's slack is only a few milliseconds (see the
# README). Two lanes keep the whole benchmark under 5 minutes.
LANES = 2
# The second lane starts this long after the first, so that the two taps' start-ups
# (about 0.6 s of imports, a burst on one core each) do not coincide.
STAGGER_SECONDS = 2.0


def _later(delay: float, run: Callable[..., Any], *args: Any) -> Any:
    time.sleep(delay)
    return run(*args)


# A job: a module-level function (a worker process imports it by name) and its arguments.
Jobs = list[tuple[Callable[..., Any], tuple[Any, ...]]]


def run_side_by_side(jobs: Jobs, lanes: int) -> list[Any]:
    """``run(*args)`` for each job, in order, up to ``lanes`` at once (1: in this process).

    Each job gets a process of its own: a simulator stamps arrivals on a Python thread,
    and several simulators in one process would take turns at one interpreter lock and
    stamp late.
    """
    if lanes <= 1:
        return [run(*args) for run, args in jobs]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=lanes, mp_context=spawn) as pool:
        futures = [
            pool.submit(_later, number * STAGGER_SECONDS if number < lanes else 0.0, run, *args)
            for number, (run, args) in enumerate(jobs)
        ]
        return [future.result() for future in futures]


def measure(args: argparse.Namespace, scratch: Path) -> tuple[Report, str]:
    # Imported here so that a broken simulator is reported by main(), not at import.
    from benchmarks import cpu, memory, pacing, profiling, startup, whole_sync
    from benchmarks.context import FULL, QUICK, Bench, Job

    bench = Bench(QUICK if args.quick else FULL, scratch)
    profile_text = ""
    try:
        if not (startup.preflight(bench) and startup.commands(bench)):
            return bench.report, ""
        catalogs = bench.catalogs
        assert catalogs is not None
        every_stream = Job(bench.sizes, scratch, catalogs.every_stream)
        paced_streams = Job(bench.sizes, scratch, catalogs.pacing)
        # The whole sync first: it is the longest of these runs.
        jobs: Jobs = [(whole_sync.measure, (every_stream,))]
        jobs += [(pacing.measure, (paced_streams, lat)) for lat in bench.sizes.pacing_latencies]
        whole, *paced = run_side_by_side(jobs, 1 if args.serial else LANES)
        pacing.rows(bench, paced)
        whole_sync.rows(bench, whole)
        cpu.rows(bench, cpu.run(bench))
        if not args.skip_memory:
            memory.run(bench)
        startup.rows(bench)
        if args.profile:
            profile_text = profiling.run(bench)
    finally:
        bench.close()
    return bench.report, profile_text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    started = time.monotonic()
    load_before = load_average()
    try:
        import tap_gong_flows.simulator  # noqa: F401
    except Exception as exc:
        print(f"Cannot import the simulator (tap_gong_flows.simulator): {exc!r}", file=sys.stderr)
        return 2
    with scratch_directory() as scratch:
        report, profile_text = measure(args, scratch)
    print(render(report, command, time.monotonic() - started, load_before))
    if profile_text:
        print("\n# cProfile, one run each (not part of the figures above)")
        print(profile_text)
    return 1 if report.problems else 0
