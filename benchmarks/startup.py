"""Figure 5, start-up: ``--about`` and ``--discover``, and how soon a sync gets going.

The commands run first (``--discover`` also gives the catalog every other figure uses);
the time to the first request and to the first ``assigned_flows`` RECORD come from the
CPU figure's tap runs (unthrottled simulator, 0 latency), so they are added last.
"""

from __future__ import annotations

from benchmarks import simulated, tap_io
from benchmarks.context import IDS_PER_REQUEST, STREAM, UNTHROTTLED_RATE, Bench, Catalogs, progress
from benchmarks.harness import ChildResult, run_child
from benchmarks.report import median_and_spread

SECTION = 5


def preflight(bench: Bench) -> bool:
    """A small sync first: if it fails, nothing else is worth measuring."""
    progress("preflight: a 300-prospect sync")
    simulator = bench.unthrottled
    ids = simulated.write_ids(
        bench.scratch / "preflight-ids.txt", simulated.known_ids(bench.dataset, 300)
    )
    config = simulated.tap_config(
        bench.scratch / "preflight.json",
        simulator,
        ids,
        max_requests_per_second=UNTHROTTLED_RATE,
        max_retries=1,
    )
    run = simulated.measured_sync(
        simulator, "preflight sync", simulated.tap_argv(config), timeout=60
    )
    if run.problem():
        bench.report.problem("Preflight failed, nothing measured. " + run.problem())
        return False
    return True


def commands(bench: Bench) -> bool:
    """Time ``--about`` and ``--discover``; build the catalogs. False if that failed."""
    config = simulated.tap_config(
        bench.scratch / "discover.json",
        bench.unthrottled,
        bench.scratch / "preflight-ids.txt",
        prospect_ids_per_request=IDS_PER_REQUEST,
    )
    discovered = bench.scratch / "catalog.json"
    reps = bench.sizes.startup_reps
    # One untimed round first: the first interpreter start pays for cold caches.
    for rep in range(reps + 1):
        progress(f"start-up: --about and --discover ({rep + 1}/{reps + 1})")
        about = run_child("tap --about", simulated.tap_argv(config, "--about"), timeout=60)
        discover = run_child(
            "tap --discover",
            simulated.tap_argv(config, "--discover"),
            timeout=60,
            copy_stdout_to=discovered,
        )
        for child in (about, discover):
            bench.report.problem(child.problem())
        if rep and about.ok and discover.ok:
            bench.about_walls.append(about.wall)
            bench.discover_walls.append(discover.wall)
            if about.cpu_seconds is not None:
                bench.about_cpu.append(about.cpu_seconds)
            if about.maxrss_mb is not None:
                bench.about_rss.append(about.maxrss_mb)
    scratch = bench.scratch
    try:
        bench.catalogs = Catalogs(
            pacing=tap_io.select_streams(
                discovered, {"prospects", STREAM}, scratch / "catalog-pacing.json"
            ),
            cpu=tap_io.select_streams(discovered, {STREAM}, scratch / "catalog-cpu.json"),
            every_stream=tap_io.select_streams(
                discovered, tap_io.ALL_STREAMS, scratch / "catalog-all.json"
            ),
        )
    except ValueError as exc:
        bench.report.problem(str(exc))
        return False
    return True


def _since_start(child: ChildResult, moment: float | None) -> float | None:
    return None if moment is None else moment - child.started


def rows(bench: Bench) -> None:
    report = bench.report
    report.section(SECTION, "Start-up and time to first record")
    reps = len(bench.about_walls)
    report.add(
        SECTION,
        f"`--about` wall time (median of {reps})",
        f"{median_and_spread(bench.about_walls, '.2f', ' s')}; CPU "
        f"{median_and_spread(bench.about_cpu, '.2f', ' s')}",
    )
    report.add(
        SECTION,
        f"`--discover` wall time (median of {reps})",
        median_and_spread(bench.discover_walls, ".2f", " s"),
    )
    runs = bench.cpu_tap_runs
    if not runs:
        return
    n = len(runs)
    where = "CPU figure's tap runs: unthrottled simulator, 0 latency"
    report.add(
        SECTION,
        f"process start → first request at the simulator (median of {n}; {where})",
        median_and_spread([r.startup for r in runs], ".2f", " s"),
    )
    report.add(
        SECTION,
        f"process start → first `{STREAM}` RECORD line (median of {n})",
        median_and_spread([_since_start(r.child, r.child.first_record) for r in runs], ".2f", " s"),
    )
