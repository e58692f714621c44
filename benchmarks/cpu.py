"""Figure 3, CPU per record on the unthrottled path: the tap against a plain SDK tap.

The simulator has no rate limit and no latency; the tap may send 1000 requests/s and has
only ``assigned_flows`` selected (its parent ``prospects`` runs, unselected). The
baseline, :mod:`benchmarks.baseline_tap`, is a plain singer-sdk ``RESTStream`` POSTing the
same batches and emitting the same records. Each child is reaped with ``os.wait4``: its
own user + system CPU seconds, all its threads, start-up included. The variants run
interleaved and rotated over the reps; the ratio is taken within each rep, then the
median. The floor is the bare msgspec loop (:mod:`benchmarks.bare_serialize`) over the
same records: the CPU of encoding and writing them and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import simulated
from benchmarks.context import IDS_PER_REQUEST, STREAM, UNTHROTTLED_RATE, Bench, progress
from benchmarks.harness import python_argv, run_child
from benchmarks.report import fmt, median, median_and_spread
from benchmarks.simulated import SyncRun

SECTION = 3
TARGET = 0.5


@dataclass(frozen=True)
class Bare:
    records: int
    cpu_seconds: float  # the loop's own, loading excluded

    @property
    def per_record(self) -> float:
        return self.cpu_seconds / self.records


@dataclass
class Results:
    tap: list[SyncRun | None] = field(default_factory=list)
    baseline: list[SyncRun | None] = field(default_factory=list)
    bare: list[Bare | None] = field(default_factory=list)
    baseline_about_cpu: list[float] = field(default_factory=list)


def commands(bench: Bench, name: str) -> tuple[list[str], list[str]]:
    """The tap's and the baseline's command lines for the CPU runs (configs written)."""
    assert bench.catalogs is not None
    simulator = bench.unthrottled
    ids = bench.scratch / "cpu-ids.txt"
    if not ids.exists():
        simulated.write_ids(ids, simulated.known_ids(bench.dataset, bench.sizes.cpu_prospects))
    tap_config = simulated.tap_config(
        bench.scratch / f"{name}.json",
        simulator,
        ids,
        max_requests_per_second=UNTHROTTLED_RATE,
        prospect_ids_per_request=IDS_PER_REQUEST,
        # A healthy run never retries; a broken simulator must not stall the run for a
        # minute of backoff per request.
        max_retries=1,
    )
    baseline_config = simulated.baseline_config(
        bench.scratch / f"{name}-baseline.json", simulator, ids, IDS_PER_REQUEST
    )
    return (
        simulated.tap_argv(tap_config, "--catalog", str(bench.catalogs.cpu)),
        simulated.baseline_argv(baseline_config),
    )


def _per_record(run: SyncRun | None) -> float | None:
    if run is None or not run.child.records or run.child.cpu_seconds is None:
        return None
    return run.child.cpu_seconds / run.child.records


def _bare_loop(bench: Bench, captured: Path, repeat: int) -> Bare | None:
    result_path = bench.scratch / "bare.json"
    result_path.unlink(missing_ok=True)
    argv = python_argv(
        "-m",
        "benchmarks.bare_serialize",
        str(captured),
        "--result",
        str(result_path),
        "--repeat",
        str(repeat),
    )
    child = run_child("bare serialization loop", argv, timeout=120)
    if not child.ok or not result_path.exists():
        bench.report.problem(child.problem() or f"{child.label}: no result")
        return None
    result = json.loads(result_path.read_text())
    if child.records != result["records"]:
        bench.report.problem(f"{child.label}: wrote {result['records']}, {child.records} counted")
    return Bare(int(result["records"]), float(result["cpu_seconds"]))


def run(bench: Bench) -> Results:
    sizes = bench.sizes
    simulator = bench.unthrottled
    tap_argv, baseline_argv = commands(bench, "cpu")
    results = Results()
    for rep in range(sizes.startup_reps + 1):  # the first untimed, as for the tap's
        progress(f"cpu: baseline --about ({rep + 1}/{sizes.startup_reps + 1})")
        about = run_child(
            "baseline --about", python_argv("-m", "benchmarks.baseline_tap", "--about")
        )
        bench.report.problem(about.problem())
        if rep and about.ok and about.cpu_seconds is not None:
            results.baseline_about_cpu.append(about.cpu_seconds)
    # Untimed warm-up: fills the page cache, and its output feeds the bare loop.
    progress("cpu warm-up: one tap run, output captured for the bare loop")
    captured = bench.scratch / "cpu-tap-output.jsonl"
    warmup = simulated.measured_sync(
        simulator, "tap warm-up", tap_argv, timeout=180, copy_stdout_to=captured
    )
    bench.report.problem(warmup.problem())
    repeat = max(1, round(sizes.bare_records / max(warmup.child.records, 1)))

    def sync(label: str, argv: list[str]) -> Callable[[], SyncRun | None]:
        def go() -> SyncRun | None:
            done = simulated.measured_sync(simulator, label, argv, timeout=240)
            bench.report.problem(done.problem())
            return None if done.problem() else done

        return go

    variants: dict[str, Callable[[], SyncRun | Bare | None]] = {
        "tap": sync(f"tap ({STREAM} only)", tap_argv),
        "baseline": sync("baseline (plain singer-sdk RESTStream)", baseline_argv),
    }
    if not warmup.problem():
        variants["bare"] = lambda: _bare_loop(bench, captured, repeat)
    names = list(variants)
    for rep in range(sizes.cpu_reps):
        # Rotate the order each rep, so that no variant always runs first.
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            progress(f"cpu rep {rep + 1}/{sizes.cpu_reps}: {name}")
            result = variants[name]()
            getattr(results, name).append(result)
    bench.cpu_tap_runs = [r for r in results.tap if r is not None]
    return results


def rows(bench: Bench, results: Results) -> None:
    report = bench.report
    sizes = bench.sizes
    report.section(
        SECTION,
        f"CPU per record, unthrottled: {sizes.cpu_prospects:,} known prospects, "
        f"{IDS_PER_REQUEST} IDs/request, simulator without limits or latency, tap at "
        f"{UNTHROTTLED_RATE} requests/s; user + system CPU of the whole process (os.wait4), "
        f"median of {sizes.cpu_reps} interleaved rep(s) [min-max]",
    )
    about_cpu = {"tap": median(bench.about_cpu), "baseline": median(results.baseline_about_cpu)}
    labels = {
        "tap": f"tap, `--catalog` with only `{STREAM}` selected",
        "baseline": "baseline: plain singer-sdk RESTStream, SDK defaults",
    }
    for name, label in labels.items():
        runs: list[SyncRun | None] = getattr(results, name)
        done = [r for r in runs if r is not None]
        if not done:
            report.add(SECTION, f"{label}: CPU per record", "failed (see problems)")
            continue
        per_record = [_per_record(r) for r in done]
        cpu = [r.child.cpu_seconds for r in done]
        report.add(
            SECTION,
            f"{label}: CPU per record",
            f"{median_and_spread([v * 1e6 if v else None for v in per_record], '.1f', ' µs')} "
            f"({median_and_spread(cpu, '.2f', ' s')} CPU for {done[0].child.records:,} "
            f"records, {done[0].requests:,} requests; wall "
            f"{fmt(median([r.child.wall for r in done]), '.2f', ' s')}; peak RSS "
            f"{fmt(median([r.child.maxrss_mb for r in done]), '.1f', ' MB')}; `--about` "
            f"alone: {fmt(about_cpu[name], '.2f', ' s')} CPU)",
        )
    counts = {
        name: sorted({r.child.records for r in getattr(results, name) if r is not None})
        for name in labels
    }
    if len({n for c in counts.values() for n in c}) > 1:
        report.problem(f"the tap and the baseline emitted different record counts: {counts}")
    pairs = [(a, b) for a, b in zip(results.tap, results.baseline, strict=False) if a and b]
    ratios = [
        ta / tb
        for ta, tb in ((_per_record(a), _per_record(b)) for a, b in pairs)
        if ta is not None and tb
    ]
    ratio = median(ratios)
    report.add(
        SECTION,
        "CPU per record, tap ÷ baseline (within each rep)",
        f"{median_and_spread(ratios, '.2f')}x",
        f"≤ {TARGET}x",
        None if ratio is None else ratio <= TARGET,
    )
    tap_about, baseline_about = about_cpu["tap"], about_cpu["baseline"]
    if tap_about is not None and baseline_about is not None:
        net = [
            (a.child.cpu_seconds - tap_about) / (b.child.cpu_seconds - baseline_about)
            for a, b in pairs
            if a.child.cpu_seconds and b.child.cpu_seconds and b.child.cpu_seconds > baseline_about
        ]
        report.add(
            SECTION,
            "the same ratio with each one's `--about` CPU (interpreter and imports) taken off",
            f"{median_and_spread(net, '.2f')}x",
        )
    bare = [b for b in results.bare if b is not None]
    if bare:
        floor = median([b.per_record for b in bare])
        tap_per_record = median([_per_record(r) for r in results.tap])
        multiple = (
            f"; the tap uses {tap_per_record / floor:.1f}x that" if floor and tap_per_record else ""
        )
        report.add(
            SECTION,
            "floor: bare msgspec loop encoding the same RECORD lines to a pipe (loop CPU only)",
            f"{median_and_spread([b.per_record * 1e6 for b in bare], '.2f', ' µs')} per record "
            f"({bare[0].records:,} records){multiple}",
        )
