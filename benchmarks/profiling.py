"""``--profile``: the CPU figure's tap and baseline runs, once each under cProfile.

Not part of the table: the top functions by own time, and the tap's, SDK's and
benchmark's functions by cumulative time, printed after it.
"""

from __future__ import annotations

import io
import pstats

from benchmarks import cpu
from benchmarks.context import STREAM, Bench, progress
from benchmarks.harness import python_argv, run_child


def run(bench: Bench) -> str:
    tap_argv, baseline_argv = cpu.commands(bench, "profile")
    out = io.StringIO()
    runs = [(f"tap ({STREAM} only)", tap_argv), ("baseline", baseline_argv)]
    for number, (label, argv) in enumerate(runs):
        progress(f"profile: {label} under cProfile")
        stats_path = bench.scratch / f"profile-{number}.prof"
        # argv is [python, -m, module, args...]: run the same under cProfile.
        profiled = python_argv("-m", "cProfile", "-o", str(stats_path), *argv[1:])
        child = run_child(f"{label} under cProfile", profiled, timeout=300)
        if not child.ok or not stats_path.exists():
            out.write(child.problem() + "\n")
            continue
        out.write(f"\n## {label}: {child.records:,} {STREAM} records, {child.wall:.1f} s\n")
        stats = pstats.Stats(str(stats_path), stream=out)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(r"singer_sdk|tap_gong_flows|benchmarks", 20)
    return out.getvalue()
