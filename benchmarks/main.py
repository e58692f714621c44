"""Every benchmark of tap-gong-flows in one run, printed as one Markdown table.

All figures come from the same run, side by side (the tap and its baseline interleaved,
rep by rep), so that whatever else loads the machine weighs on both alike. The tap always
runs as a real subprocess (``python -m tap_gong_flows``) against the project's simulator,
started in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from benchmarks.harness import ChildResult, python_argv, run_child, scratch_directory

REPO_ROOT = Path(__file__).resolve().parent.parent
STREAM = "assigned_flows"
PACING_RATE = 3.0  # Gong's limit, and the tap's default max_requests_per_second
THROUGHPUT_REQUESTS_PER_SECOND = 1000  # what the throughput runs allow the tap


@dataclass(frozen=True)
class Sizes:
    pacing_requests: int
    pacing_ids_per_request: int
    throughput_prospects: int
    throughput_reps: int
    startup_reps: int
    memory_ids: tuple[int, ...]
    memory_known: int
    bare_records: int  # about how many records the serialization loop writes


FULL = Sizes(31, 10, 100_000, 5, 3, (10_000, 100_000, 1_000_000), 10_000, 300_000)
QUICK = Sizes(7, 10, 4_000, 1, 1, (10_000, 50_000), 10_000, 50_000)


@dataclass
class Row:
    figure: str
    value: str
    target: str = "—"
    met: bool | None = None


@dataclass
class SyncRun:
    """One sync against the unlimited simulator, with what the simulator saw of it."""

    child: ChildResult
    requests: int
    statuses: Counter[int | None]
    first_arrival: float | None
    simulator_busy: float

    @property
    def startup(self) -> float | None:
        """Process start to the first request arriving at the simulator."""
        return None if self.first_arrival is None else self.first_arrival - self.child.started

    @property
    def sync_seconds(self) -> float | None:
        """First request arriving to the end of output: the run without its start-up."""
        return None if self.first_arrival is None else self.child.ended - self.first_arrival

    @property
    def rate(self) -> float:
        return self.child.records / self.child.wall

    @property
    def sync_rate(self) -> float | None:
        sync = self.sync_seconds
        return None if not sync else self.child.records / sync

    @property
    def simulator_share(self) -> float | None:
        sync = self.sync_seconds
        return None if not sync or not self.simulator_busy else self.simulator_busy / sync

    def problem(self) -> str:
        if not self.child.ok:
            return self.child.problem()
        bad = {s: n for s, n in self.statuses.items() if s != 200}
        if bad:
            return f"{self.child.label}: the simulator answered {bad} (status: count)"
        if not self.child.records:
            return f"{self.child.label}: no {STREAM} RECORD line on stdout"
        return ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: str, value: str, target: str = "—", met: bool | None = None) -> None:
        self.rows.append(Row(figure, value, target, met))

    def section(self, title: str) -> None:
        self.rows.append(Row(f"**{title}**", "", "", None))


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _spread(values: Sequence[float | None], spec: str) -> str:
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return ""
    return f" [{min(present):{spec}}-{max(present):{spec}}]"


class Benchmarks:
    def __init__(self, args: argparse.Namespace, scratch: Path) -> None:
        # Imported here so that a broken simulator is reported by main(), not at import.
        from benchmarks import simulated
        from tap_gong_flows.simulator import GongDataset

        self.sim = simulated
        self.args = args
        self.sizes = QUICK if args.quick else FULL
        self.scratch = scratch
        self.report = Report()
        self.dataset = GongDataset(max(self.sizes.throughput_prospects, self.sizes.memory_known))
        self.simulator = simulated.start_simulator(self.dataset, rate_limit_per_second=None)
        self.throughput_ids = simulated.write_ids(
            scratch / "throughput-ids.txt",
            simulated.known_ids(self.dataset, self.sizes.throughput_prospects),
        )
        self.tap_runs: list[SyncRun] = []  # default-catalog tap runs, for start-up figures
        self.about_rss: list[float] = []  # peak RSS of `--about`: imports only, the floor

    def close(self) -> None:
        self.simulator.stop()

    # -- helpers ------------------------------------------------------------------------

    def tap_argv(self, config: Path, *extra: str) -> list[str]:
        return python_argv("-m", "tap_gong_flows", "--config", str(config), *extra)

    def measured_sync(
        self, label: str, argv: list[str], timeout: float, copy_stdout_to: Path | None = None
    ) -> SyncRun:
        simulator = self.simulator
        simulator.reset()
        child = run_child(label, argv, timeout=timeout, copy_stdout_to=copy_stdout_to)
        log = simulator.request_log
        return SyncRun(
            child,
            len(log),
            Counter(entry.status for entry in log),
            min((entry.arrived for entry in log), default=None),
            simulator.busy_seconds,
        )

    def throughput_config(self, name: str, **settings: Any) -> Path:
        return self.sim.tap_config(
            self.scratch / name,
            self.simulator,
            self.throughput_ids,
            max_requests_per_second=THROUGHPUT_REQUESTS_PER_SECOND,
            prospect_ids_per_request=100,
            # A healthy run never retries; a broken simulator must not stall the run for a
            # minute of backoff per request.
            max_retries=1,
            **settings,
        )

    # -- preflight ----------------------------------------------------------------------

    def preflight(self) -> bool:
        """A small sync first: if it fails, nothing else is worth measuring."""
        _progress("preflight: a 300-prospect sync")
        ids = self.sim.write_ids(
            self.scratch / "preflight-ids.txt", self.sim.known_ids(self.dataset, 300)
        )
        config = self.sim.tap_config(
            self.scratch / "preflight.json",
            self.simulator,
            ids,
            max_requests_per_second=1000,
            max_retries=1,
        )
        run = self.measured_sync("preflight sync", self.tap_argv(config), timeout=60)
        if run.problem():
            self.report.problems.append("Preflight failed, nothing measured. " + run.problem())
            return False
        return True

    # -- 4. start-up ----------------------------------------------------------------------

    def startup_commands(self) -> tuple[list[float], list[float], Path | None]:
        """Wall times of ``--about`` and ``--discover``; also the discovered catalog."""
        config = self.throughput_config("discover.json")
        catalog_path = self.scratch / "catalog.json"
        about: list[float] = []
        discover: list[float] = []
        # One untimed round first: the first interpreter start pays for cold caches.
        for rep in range(self.sizes.startup_reps + 1):
            _progress(f"start-up: --about and --discover ({rep + 1}/{self.sizes.startup_reps + 1})")
            a = run_child("tap --about", self.tap_argv(config, "--about"), timeout=60)
            d = run_child(
                "tap --discover",
                self.tap_argv(config, "--discover"),
                timeout=60,
                copy_stdout_to=catalog_path,
            )
            for child in (a, d):
                if not child.ok:
                    self.report.problems.append(child.problem())
            if rep:
                about.append(a.wall)
                discover.append(d.wall)
                if a.ok and a.maxrss_mb is not None:
                    self.about_rss.append(a.maxrss_mb)
        return about, discover, catalog_path if catalog_path.exists() else None

    def only_stream_catalog(self, catalog_path: Path | None) -> Path | None:
        """The discovered catalog with only ``assigned_flows`` selected."""
        if catalog_path is None:
            return None
        try:
            catalog = json.loads(catalog_path.read_text())
            for entry in catalog["streams"]:
                chosen = entry.get("tap_stream_id", entry.get("stream")) == STREAM
                for item in entry.get("metadata", []):
                    if item.get("breadcrumb") == []:
                        item.setdefault("metadata", {})["selected"] = chosen
        except (ValueError, KeyError, TypeError) as exc:
            self.report.problems.append(f"--discover printed no usable catalog: {exc!r}")
            return None
        path = self.scratch / "catalog-assigned-flows-only.json"
        path.write_text(json.dumps(catalog))
        return path

    # -- 1. pacing ------------------------------------------------------------------------

    def pacing(self, only_catalog: Path | None) -> None:
        """Pacing of the assigned_flows requests (the catalog keeps N at the brief's 31).

        With the default catalog the tap also syncs its other streams, whose request
        count depends on the dataset; selecting only ``assigned_flows`` keeps N fixed.
        """
        from tap_gong_flows.simulator import GongDataset

        sizes = self.sizes
        n_ids = sizes.pacing_requests * sizes.pacing_ids_per_request
        expected = (sizes.pacing_requests - 1) / PACING_RATE
        _progress(f"pacing: {sizes.pacing_requests} req at {PACING_RATE:g}/s (~{expected:.0f} s)")
        dataset = GongDataset(n_ids)
        simulator = self.sim.start_simulator(dataset, rate_limit_per_second=PACING_RATE)
        try:
            ids = self.sim.write_ids(self.scratch / "pacing-ids.txt", dataset.prospect_ids())
            config = self.sim.tap_config(
                self.scratch / "pacing.json",
                simulator,
                ids,
                prospect_ids_per_request=sizes.pacing_ids_per_request,
            )  # max_requests_per_second left at its default
            extra = ["--catalog", str(only_catalog)] if only_catalog is not None else []
            child = run_child("pacing sync", self.tap_argv(config, *extra), timeout=180)
            log = simulator.request_log
        finally:
            simulator.stop()
        report = self.report
        what = f"only `{STREAM}` selected" if only_catalog is not None else "default catalog"
        report.section(
            f"1. Pacing at {PACING_RATE:g} requests/s, simulator enforcing Gong's limit ({what})"
        )
        if not child.ok:
            report.problems.append(child.problem())
        answered = [e for e in log if e.status == 200]
        limited = sum(1 for e in log if e.status == 429)
        others = Counter(e.status for e in log if e.status not in (200, 429))
        if len(answered) < 2:
            report.add("pacing efficiency", "n/a (fewer than 2 answered requests)", "≥ 0.97", False)
            return
        arrivals = [e.arrived for e in log]
        span = max(arrivals) - min(arrivals)
        ideal = (len(answered) - 1) / PACING_RATE
        efficiency = ideal / span
        report.add(
            "pacing efficiency: ideal span (N-1)/3 s ÷ measured first→last arrival",
            f"{efficiency:.3f} ({ideal:.2f} s ÷ {span:.2f} s, N = {len(answered)})",
            "≥ 0.97",
            efficiency >= 0.97,
        )
        report.add("429 answers (rate-limited)", str(limited), "0", limited == 0)
        if others:
            report.problems.append(f"pacing run: other statuses from the simulator: {others}")

    # -- 2. throughput ----------------------------------------------------------------------

    def throughput(self, only_catalog: Path | None) -> None:
        sizes = self.sizes
        tap_config = self.throughput_config("throughput.json")
        baseline_config = self.sim.baseline_config(
            self.scratch / "baseline.json", self.simulator, self.throughput_ids, 100
        )
        tap_argv = self.tap_argv(tap_config)
        # Untimed warm-up: fills the page cache, and its output feeds the bare loop.
        _progress("throughput warm-up: one tap run, output captured for the bare loop")
        captured = self.scratch / "tap-output.jsonl"
        warmup = self.measured_sync("tap warm-up", tap_argv, 180, copy_stdout_to=captured)
        if warmup.problem():
            self.report.problems.append(warmup.problem())
        variants: dict[str, Callable[[], SyncRun | float | None]] = {
            "tap": lambda: self.measured_sync("tap (default catalog)", tap_argv, 180),
            "baseline": lambda: self.measured_sync(
                "baseline (plain singer-sdk RESTStream)",
                python_argv("-m", "benchmarks.baseline_tap", "--config", str(baseline_config)),
                240,
            ),
        }
        if only_catalog is not None:
            variants["tap-only"] = lambda: self.measured_sync(
                f"tap ({STREAM} only)",
                self.tap_argv(tap_config, "--catalog", str(only_catalog)),
                180,
            )
        if not warmup.problem():
            records = warmup.child.records
            repeat = max(1, round(sizes.bare_records / max(records, 1)))
            variants["bare"] = lambda: self.bare_loop(captured, repeat, flush_each=False)
            variants["bare-flush"] = lambda: self.bare_loop(captured, repeat, flush_each=True)
        results: dict[str, list[Any]] = {name: [] for name in variants}
        names = list(variants)
        for rep in range(sizes.throughput_reps):
            # Rotate the order each rep so that no variant always runs first, or always
            # right after the same neighbour.
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                _progress(f"throughput rep {rep + 1}/{sizes.throughput_reps}: {name}")
                result = variants[name]()
                if isinstance(result, SyncRun) and result.problem():
                    self.report.problems.append(result.problem())
                    result = None
                results[name].append(result)
        self.tap_runs = [r for r in results["tap"] if r is not None]
        self._throughput_rows(results)

    def _pacing_ceiling(self, results: dict[str, list[Any]]) -> float | None:
        """Records per second if every request started exactly on the pacer's schedule."""
        done = [r for r in results.get("tap-only", []) if r is not None]
        if not done or not done[0].requests:
            return None
        per_request = done[0].child.records / done[0].requests
        return per_request * THROUGHPUT_REQUESTS_PER_SECOND / 1.01  # the pacer's 1% margin

    def bare_loop(self, captured: Path, repeat: int, *, flush_each: bool) -> float | None:
        """Records per second of the bare msgspec loop over the captured records."""
        name = "flush-each" if flush_each else "buffered"
        result_path = self.scratch / f"bare-{name}.json"
        result_path.unlink(missing_ok=True)
        child = run_child(
            f"bare serialization loop ({name})",
            python_argv(
                "-m",
                "benchmarks.bare_serialize",
                str(captured),
                "--result",
                str(result_path),
                "--repeat",
                str(repeat),
                *(["--flush-each"] if flush_each else []),
            ),
            timeout=120,
        )
        if not child.ok or not result_path.exists():
            self.report.problems.append(child.problem() or f"{child.label}: no result")
            return None
        result = json.loads(result_path.read_text())
        if child.records != result["records"]:
            self.report.problems.append(
                f"{child.label}: wrote {result['records']} records, {child.records} counted"
            )
        return float(result["records"]) / float(result["seconds"])

    def _throughput_rows(self, results: dict[str, list[Any]]) -> None:
        report = self.report
        prospects = self.sizes.throughput_prospects
        reps = self.sizes.throughput_reps
        report.section(
            f"2. Throughput: {prospects:,} known prospects, 100 IDs/request, no rate limit; "
            f"median of {reps} interleaved reps [min-max]"
        )
        labels = {
            "tap-only": f"tap, `--catalog` with only `{STREAM}` selected",
            "baseline": "baseline: plain singer-sdk RESTStream, SDK defaults",
            "tap": "tap, default catalog (every stream: more records and requests)",
        }
        sync_medians: dict[str, float | None] = {}
        for name, label in labels.items():
            if name not in results:
                continue
            done: list[SyncRun] = [r for r in results[name] if r is not None]
            if not done:
                report.add(f"{label}: {STREAM} records/s", "failed (see problems)")
                continue
            rates = [r.rate for r in done]
            sync_rates = [r.sync_rate for r in done]
            cpu = _median([(r.child.cpu_seconds or 0) / r.child.records * 1e6 for r in done])
            sync_medians[name] = _median(sync_rates)
            wall = _median([r.child.wall for r in done])
            report.add(
                f"{label}: {STREAM} records/s, process start → end",
                f"{_fmt(_median(rates), ',.0f')}{_spread(rates, ',.0f')} "
                f"({done[0].child.records:,} records, {done[0].requests:,} requests, "
                f"in {_fmt(wall, '.2f', ' s')})",
            )
            report.add(
                f"{label}: records/s excluding start-up (first request → end)",
                f"{_fmt(sync_medians[name], ',.0f')}{_spread(sync_rates, ',.0f')}; "
                f"child CPU incl. start-up {_fmt(cpu, '.0f', ' µs/record')}; simulator busy "
                f"{_fmt(_median([r.simulator_share for r in done]), '.0%')} of the sync",
            )
        counts = {
            name: sorted({r.child.records for r in results[name] if r is not None})
            for name in labels
            if name in results
        }
        if len({n for c in counts.values() for n in c}) > 1:
            report.problems.append(f"the variants emitted different record counts: {counts}")
        # The like-for-like ratio (same records, same requests) carries the target; the
        # default catalog also syncs the tap's other streams. Throughput is judged from
        # the first request to the end of output: start-up is figure 4, and it is a fixed
        # cost that a records-per-second figure should not spread over the records.
        for name, what, judged in (
            ("tap-only", f"only `{STREAM}` selected: same output as the baseline", True),
            ("tap", "default catalog: more streams, not like for like", False),
        ):
            # Ratios within a rep (neighbouring runs) cancel slow drifts in machine load.
            pairs = [
                (a, b)
                for a, b in zip(results.get(name, []), results["baseline"], strict=False)
                if a is not None and b is not None
            ]
            if not pairs:
                continue
            ratios = [a.rate / b.rate for a, b in pairs]
            sync_ratios = [
                a.sync_rate / b.sync_rate for a, b in pairs if a.sync_rate and b.sync_rate
            ]
            sync_ratio = _median(sync_ratios)
            report.add(
                f"throughput ratio tap ({what}) ÷ baseline, first request → end",
                f"{_fmt(sync_ratio, '.2f', 'x')}{_spread(sync_ratios, '.2f')}",
                "≥ 2.5x" if judged else "—",
                None if sync_ratio is None or not judged else sync_ratio >= 2.5,
            )
            report.add(
                "the same ratio from process start → end (start-up included)",
                f"{_fmt(_median(ratios), '.2f', 'x')}{_spread(ratios, '.2f')}",
            )
        ceiling = self._pacing_ceiling(results)
        if ceiling is not None:
            report.add(
                "ceiling set by the pacer: 1,000 requests/s times records per request",
                f"{ceiling:,.0f} records/s; the tap (only `{STREAM}`) reaches "
                f"{_fmt(sync_medians.get('tap-only'), ',.0f')} "
                f"({_fmt((sync_medians.get('tap-only') or 0) / ceiling, '.0%')})",
            )
        bare = [r for r in results.get("bare", []) if r is not None]
        flushed = [r for r in results.get("bare-flush", []) if r is not None]
        if not bare:
            return
        report.add(
            "bare loop: msgspec-encode the same RECORD lines to a pipe (physical limit)",
            f"{_fmt(_median(bare), ',.0f')}{_spread(bare, ',.0f')} records/s; flushing after "
            f"every line, as MsgSpecWriter does: {_fmt(_median(flushed), ',.0f')}",
        )
        for name, what in (("tap-only", f"only `{STREAM}`"), ("tap", "default catalog")):
            shares = [
                r.sync_rate / limit
                for r, limit in zip(results.get(name, []), results["bare"], strict=False)
                if r is not None and limit and r.sync_rate
            ]
            if shares:
                report.add(
                    f"tap ({what}) share of the bare loop, excluding start-up",
                    f"{_fmt(_median(shares), '.1%')}{_spread(shares, '.1%')}",
                )

    # -- 3. memory --------------------------------------------------------------------------

    def memory(self) -> None:
        sizes = self.sizes
        known = self.sim.known_ids(self.dataset, sizes.memory_known)
        report = self.report
        report.section(
            f"3. Memory: peak RSS of the tap process (first {sizes.memory_known:,} IDs known "
            f"to the simulator, the rest unknown; 100 IDs/request, no rate limit)"
        )
        peaks: dict[int, float] = {}
        if self.about_rss:
            report.add(
                "floor: peak RSS of `--about` (interpreter and imports, no sync)",
                _fmt(_median(self.about_rss), ".1f", " MB"),
            )
        for count in sizes.memory_ids:
            ids = self.sim.write_ids(
                self.scratch / f"memory-{count}.txt",
                known[:count],
                self.sim.unknown_ids(max(0, count - len(known))),
            )
            config = self.sim.tap_config(
                self.scratch / f"memory-{count}.json",
                self.simulator,
                ids,
                max_requests_per_second=100_000,
                prospect_ids_per_request=100,
                max_retries=1,
            )
            _progress(f"memory: {count:,} prospect IDs")
            run = self.measured_sync(
                f"memory run, {count:,} IDs",
                self.tap_argv(config),
                timeout=60 + count / 4_000,
            )
            if not run.child.ok:
                report.problems.append(run.child.problem())
                report.add(f"peak RSS, {count:,} prospect IDs", "failed (see problems)")
                continue
            if run.child.maxrss_mb is not None:
                peaks[count] = run.child.maxrss_mb
            share = run.simulator_share
            bound = " — simulator-bound" if share is not None and share > 0.5 else ""
            report.add(
                f"peak RSS, {count:,} prospect IDs",
                f"{_fmt(run.child.maxrss_mb, '.1f', ' MB')} ({run.child.wall:.1f} s, first "
                f"request after {_fmt(run.startup, '.2f', ' s')}, {run.requests:,} requests, "
                f"{run.child.records_any:,} RECORD lines; simulator busy "
                f"{_fmt(share, '.0%')} of the sync{bound})",
            )
        smallest, largest = min(sizes.memory_ids), max(sizes.memory_ids)
        if smallest in peaks and largest in peaks:
            delta = peaks[largest] - peaks[smallest]
            report.add(
                f"peak RSS growth, {largest:,} - {smallest:,} IDs",
                f"{delta:+.1f} MB",
                "≤ 25 MB" if largest >= 1_000_000 else "≤ 25 MB (at 1M; quick run)",
                delta <= 25,
            )
        if smallest in peaks:
            self.memory_with_sql(largest, peaks[smallest], smallest)

    def memory_with_sql(self, file_ids: int, floor_peak: float, floor_count: int) -> None:
        """The sync fed by a PostgreSQL table too, read through the tap's server-side cursor:
        a small run (a tenth of the smallest file, plus that file) and a big one (a tenth of the
        largest file, plus that file). Importing SQLAlchemy and psycopg costs the same in
        both, so the small run is the like-for-like floor. Skipped where PostgreSQL cannot
        start."""
        from tests.postgres import PostgresUnavailable, start_postgres

        report = self.report
        runs = ((floor_count // 10, floor_count), (file_ids // 10, file_ids))
        peaks: list[float] = []
        try:
            with start_postgres() as server:
                url = (
                    f"postgresql+psycopg://{server.user}:{server.password}@{server.host}:"
                    f"{server.port}/{server.database}"
                )
                for rows, count in runs:
                    table = f"crm_ids_{rows}"
                    server.psql(
                        f"CREATE TABLE {table} AS SELECT '003SQL' || lpad(g::text, 12, '0') "
                        f"AS id FROM generate_series(1, {rows}) AS g"
                    )
                    config = self.sim.tap_config(
                        self.scratch / f"memory-sql-{rows}.json",
                        self.simulator,
                        self.scratch / f"memory-{count}.txt",
                        crm_prospect_ids_sql_url=url,
                        crm_prospect_ids_sql_query=f"select id from {table} order by id",
                        max_requests_per_second=100_000,
                        prospect_ids_per_request=100,
                        max_retries=1,
                    )
                    label = f"peak RSS, {rows:,} IDs from PostgreSQL + {count:,} from a file"
                    _progress(f"memory: {rows:,} IDs from PostgreSQL + {count:,} from a file")
                    run = self.measured_sync(
                        label, self.tap_argv(config), timeout=60 + (rows + count) / 4_000
                    )
                    if not run.child.ok or run.child.maxrss_mb is None:
                        report.problems.append(run.child.problem())
                        report.add(label, "failed (see problems)")
                        return
                    peaks.append(run.child.maxrss_mb)
                    report.add(
                        label,
                        f"{_fmt(run.child.maxrss_mb, '.1f', ' MB')} ({run.child.wall:.1f} s, "
                        f"{run.requests:,} requests); "
                        f"{run.child.maxrss_mb - floor_peak:+.1f} MB over the "
                        f"{floor_count:,}-ID file-only sync (SQLAlchemy and psycopg loaded)",
                    )
        except PostgresUnavailable as exc:
            report.add("peak RSS with a PostgreSQL source", f"skipped: {exc}")
            return
        small, large = (rows + count for rows, count in runs)
        delta = peaks[1] - peaks[0]
        report.add(
            f"peak RSS growth with PostgreSQL, {large:,} - {small:,} IDs",
            f"{delta:+.1f} MB",
            "≤ 25 MB",
            delta <= 25,
        )

    # -- 4. start-up rows -------------------------------------------------------------------

    def startup_rows(self, about: list[float], discover: list[float]) -> None:
        report = self.report
        report.section("4. Start-up and time to first record")
        reps = self.sizes.startup_reps
        report.add(
            f"`--about` wall time (median of {reps})",
            f"{_fmt(_median(about), '.2f', ' s')}{_spread(about, '.2f')}",
        )
        report.add(
            f"`--discover` wall time (median of {reps})",
            f"{_fmt(_median(discover), '.2f', ' s')}{_spread(discover, '.2f')}",
        )
        runs = self.tap_runs
        if not runs:
            return
        n = len(runs)
        first_request = [r.startup for r in runs]
        report.add(
            f"process start → first request at the simulator (median of {n})",
            f"{_fmt(_median(first_request), '.2f', ' s')}{_spread(first_request, '.2f')}",
        )
        any_record = [_since_start(r.child, r.child.first_record_any) for r in runs]
        report.add(
            f"time to first RECORD line, any stream (median of {n})",
            f"{_fmt(_median(any_record), '.2f', ' s')}{_spread(any_record, '.2f')}",
        )
        first = [_since_start(r.child, r.child.first_record) for r in runs]
        report.add(
            f"time to first `{STREAM}` RECORD line (median of {n})",
            f"{_fmt(_median(first), '.2f', ' s')}{_spread(first, '.2f')}",
        )

    # -- optional profile ---------------------------------------------------------------

    def profile(self, only_catalog: Path | None) -> str:
        """Top functions of the tap and of the baseline, each run once under cProfile."""
        import io
        import pstats

        tap_config = self.throughput_config("profile.json")
        baseline_config = self.sim.baseline_config(
            self.scratch / "profile-baseline.json", self.simulator, self.throughput_ids, 100
        )
        out = io.StringIO()
        runs: list[tuple[str, str, list[str]]] = [
            ("tap (default catalog)", "tap_gong_flows", ["--config", str(tap_config)]),
            ("baseline", "benchmarks.baseline_tap", ["--config", str(baseline_config)]),
        ]
        if only_catalog is not None:
            only = ["--config", str(tap_config), "--catalog", str(only_catalog)]
            runs.insert(0, (f"tap ({STREAM} only)", "tap_gong_flows", only))
        for number, (label, module, args) in enumerate(runs):
            _progress(f"profile: {label} under cProfile")
            stats_path = self.scratch / f"profile-{number}.prof"
            argv = python_argv("-m", "cProfile", "-o", str(stats_path), "-m", module, *args)
            child = run_child(f"{label} under cProfile", argv, timeout=300)
            if not child.ok or not stats_path.exists():
                out.write(child.problem() + "\n")
                continue
            out.write(f"\n## {label}: {child.records:,} {STREAM} records, {child.wall:.1f} s\n")
            stats = pstats.Stats(str(stats_path), stream=out)
            stats.sort_stats("tottime").print_stats(20)
            stats.sort_stats("cumulative").print_stats(r"singer_sdk|tap_gong_flows|benchmarks", 20)
        return out.getvalue()


def _since_start(child: ChildResult, moment: float | None) -> float | None:
    return None if moment is None else moment - child.started


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_lines(load_before: str) -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- Machine: {os.cpu_count()} CPUs ({usable} usable), {_cpu_model()}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({sys.executable}); singer-sdk "
        f"{_package_version('singer-sdk')}, msgspec {_package_version('msgspec')}, "
        f"requests {_package_version('requests')}; tap-gong-flows "
        f"{_package_version('tap-gong-flows')} at git {_git_revision()}",
        f"- Load average (1/5/15 min) before → after the run: {load_before} → {_load()} "
        f"(other work on the machine shows here; the side-by-side ratios absorb most of it)",
    ]


def render(report: Report, command: str, seconds: float, load_before: str) -> str:
    lines = ["| figure | value | target | met? |", "| --- | --- | --- | --- |"]
    for row in report.rows:
        met = "—" if row.met is None else ("yes" if row.met else "**no**")
        if not row.value and not row.target:
            met = ""
        value = row.value.replace("|", "\\|")
        lines.append(f"| {row.figure} | {value} | {row.target} | {met} |")
    lines += [
        "",
        *machine_lines(load_before),
        f"- Command: `{command}`",
        f"- Total run time: {seconds:.0f} s",
    ]
    if report.notes:
        lines += ["", *report.notes]
    if report.problems:
        lines += ["", "Problems:", *(f"- {p}" for p in report.problems)]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark tap-gong-flows against its simulator; prints one Markdown table.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one rep: a smoke check")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the memory runs")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run the throughput sync under cProfile and print its top functions",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    started = time.monotonic()
    load_before = _load()
    try:
        import tap_gong_flows.simulator  # noqa: F401
    except Exception as exc:
        print(f"Cannot import the simulator (tap_gong_flows.simulator): {exc!r}", file=sys.stderr)
        return 2
    profile_text = ""
    with scratch_directory() as scratch:
        bench = Benchmarks(args, scratch)
        try:
            if bench.preflight():
                about, discover, catalog = bench.startup_commands()
                only_catalog = bench.only_stream_catalog(catalog)
                bench.pacing(only_catalog)
                bench.throughput(only_catalog)
                if not args.skip_memory:
                    bench.memory()
                bench.startup_rows(about, discover)
                if args.profile:
                    profile_text = bench.profile(only_catalog)
        finally:
            bench.close()
    report = bench.report
    print(render(report, command, time.monotonic() - started, load_before))
    if profile_text:
        print("\n# cProfile, one run each (not part of the figures above)")
        print(profile_text)
    return 1 if report.problems else 0
