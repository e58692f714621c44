"""What every figure module shares: the sizes of this run, scratch space, the report,
the catalogs, and the unthrottled simulator of the CPU and memory runs."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import simulated
from benchmarks.report import Report
from benchmarks.simulated import SyncRun, TimedSimulator
from tap_gong_flows.simulator import GongDataset

STREAM = "assigned_flows"
GONG_RATE = 3.0  # Gong's default company limit, and the tap's default max_requests_per_second
UNTHROTTLED_RATE = 1000  # max_requests_per_second of the CPU runs
IDS_PER_REQUEST = 100  # the tap's default prospect_ids_per_request


@dataclass(frozen=True)
class Sizes:
    pacing_prospects: int  # at 100 IDs a request: pacing_prospects / 100 requests
    pacing_latencies: tuple[float, ...]  # median answer times, seconds
    whole_prospects: int
    whole_users: int
    whole_latency: float
    whole_page_size: int  # items per page of /v2/users, /v2/flows, /v2/flows/folders
    cpu_prospects: int
    cpu_reps: int
    startup_reps: int
    memory_ids: tuple[int, ...]
    memory_known: int
    bare_records: int  # about how many records the bare serialization loop writes


FULL = Sizes(
    pacing_prospects=6_100,
    pacing_latencies=(0.0, 0.3, 0.6, 1.5, 3.0),
    whole_prospects=1_000,
    whole_users=50,
    whole_latency=0.6,
    whole_page_size=100,
    cpu_prospects=100_000,
    cpu_reps=5,
    startup_reps=3,
    memory_ids=(10_000, 100_000, 1_000_000),
    memory_known=10_000,
    bare_records=300_000,
)
QUICK = Sizes(
    pacing_prospects=1_000,
    pacing_latencies=(0.0, 0.6),
    whole_prospects=300,
    whole_users=8,
    whole_latency=0.6,
    whole_page_size=100,
    cpu_prospects=4_000,
    cpu_reps=1,
    startup_reps=1,
    memory_ids=(10_000, 50_000),
    memory_known=10_000,
    bare_records=50_000,
)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Catalogs:
    """The discovered catalog, narrowed to the selections the figures use."""

    pacing: Path  # prospects and assigned_flows
    cpu: Path  # assigned_flows only (prospects still runs, as its parent)
    every_stream: Path


@dataclass(frozen=True)
class Job:
    """What a run needs that may go to another process (picklable, unlike :class:`Bench`)."""

    sizes: Sizes
    scratch: Path
    catalog: Path


@dataclass
class Bench:
    sizes: Sizes
    scratch: Path
    report: Report = field(default_factory=Report)
    catalogs: Catalogs | None = None
    # Filled by the start-up commands and the CPU runs, read by the start-up rows.
    about_walls: list[float] = field(default_factory=list)
    discover_walls: list[float] = field(default_factory=list)
    about_cpu: list[float] = field(default_factory=list)
    about_rss: list[float] = field(default_factory=list)
    cpu_tap_runs: list[SyncRun] = field(default_factory=list)
    _unthrottled: TimedSimulator | None = None
    _dataset: GongDataset | None = None

    @property
    def dataset(self) -> GongDataset:
        """The dataset of the unthrottled simulator (CPU, memory and preflight runs)."""
        if self._dataset is None:
            sizes = self.sizes
            self._dataset = GongDataset(max(sizes.cpu_prospects, sizes.memory_known))
        return self._dataset

    @property
    def unthrottled(self) -> TimedSimulator:
        """A simulator without rate limits or latency, started on first use."""
        if self._unthrottled is None:
            self._unthrottled = simulated.start_simulator(self.dataset, None)
        return self._unthrottled

    def close(self) -> None:
        if self._unthrottled is not None:
            self._unthrottled.stop()
            self._unthrottled = None
