"""The simulator side of the benchmarks: servers, ID files, tap configs, measured syncs."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import ChildResult, python_argv, run_child
from tap_gong_flows.simulator import AnswerDelay, GongDataset, GongSimulator, RequestLogEntry

ACCESS_KEY = "bench-access-key"
ACCESS_KEY_SECRET = "bench-access-key-secret"
# The simulator's own default seed for answer times: every run draws the same delays.
LATENCY_SEED = 0


class TimedSimulator(GongSimulator):
    """The project's simulator, adding up how long it spends deciding its answers.

    ``busy_seconds`` is the time inside :meth:`respond` (building the records, encoding
    the JSON body, and any simulated latency), summed over the server's threads.
    """

    busy_seconds = 0.0

    def respond(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().respond(*args, **kwargs)
        finally:
            self.busy_seconds += time.perf_counter() - started

    def reset(self) -> None:
        """Forget the request log, the quotas and the busy time before a new measurement."""
        self.reset_log()
        self.reset_limits()
        self.busy_seconds = 0.0


def start_simulator(
    dataset: GongDataset,
    rate_limit_per_second: float | None,
    *,
    latency: float = 0.0,
    page_size: int | None = None,
) -> TimedSimulator:
    """A running simulator; without a per-second limit, the daily limit is lifted too.

    ``latency`` is the median answer time in seconds (0: answers as fast as it can).
    """
    kwargs: dict[str, Any] = {
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "rate_limit_per_second": rate_limit_per_second,
    }
    if rate_limit_per_second is None:
        kwargs["daily_limit"] = None  # the memory runs alone send 11,000 requests
    if latency > 0:
        kwargs["latency"] = AnswerDelay(latency, seed=LATENCY_SEED)
    if page_size is not None:
        kwargs["page_size"] = page_size
    simulator = TimedSimulator(dataset, **kwargs)
    simulator.start()
    return simulator


def known_ids(dataset: GongDataset, count: int) -> list[str]:
    """The first ``count`` prospect IDs the dataset knows."""
    ids: list[str] = []
    for prospect_id in dataset.prospect_ids():
        if len(ids) == count:
            break
        ids.append(prospect_id)
    if len(ids) < count:
        raise ValueError(f"the dataset knows {len(ids)} prospects, not {count}")
    return ids


def unknown_ids(count: int) -> Iterable[str]:
    """IDs shaped like Salesforce lead IDs ('00Q'), which the simulator does not know."""
    return (f"00Q5g{k:013d}" for k in range(count))


def write_ids(path: Path, *parts: Iterable[str]) -> Path:
    with path.open("w", encoding="ascii", newline="\n", buffering=1 << 20) as handle:
        for part in parts:
            for prospect_id in part:
                handle.write(prospect_id)
                handle.write("\n")
    return path


def tap_config(path: Path, simulator: GongSimulator, ids_file: Path, **settings: Any) -> Path:
    """Write a config for the real tap pointed at ``simulator``; returns its path."""
    config = {
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "api_url": simulator.url,
        "crm_prospect_ids_file": str(ids_file),
        **settings,
    }
    path.write_text(json.dumps(config, indent=2))
    return path


def baseline_config(path: Path, simulator: GongSimulator, ids_file: Path, batch_size: int) -> Path:
    """Write a config for :mod:`benchmarks.baseline_tap`; returns its path."""
    config = {
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "api_url": simulator.url,
        "ids_file": str(ids_file),
        "batch_size": batch_size,
    }
    path.write_text(json.dumps(config, indent=2))
    return path


def tap_argv(config: Path, *extra: str) -> list[str]:
    """The real tap as a subprocess: ``python -m tap_gong_flows --config CONFIG ...``."""
    return python_argv("-m", "tap_gong_flows", "--config", str(config), *extra)


def baseline_argv(config: Path, *extra: str) -> list[str]:
    return python_argv("-m", "benchmarks.baseline_tap", "--config", str(config), *extra)


@dataclass
class SyncRun:
    """One child run against a simulator, with what the simulator saw of it."""

    child: ChildResult
    log: list[RequestLogEntry]
    most_in_flight: int
    simulator_busy: float

    @property
    def requests(self) -> int:
        return len(self.log)

    @property
    def statuses(self) -> Counter[int | None]:
        return Counter(entry.status for entry in self.log)

    @property
    def first_arrival(self) -> float | None:
        return min((entry.arrived for entry in self.log), default=None)

    @property
    def startup(self) -> float | None:
        """Process start to the first request arriving at the simulator."""
        first = self.first_arrival
        return None if first is None else first - self.child.started

    @property
    def simulator_share(self) -> float | None:
        """The simulator's busy time over the sync (first request to end of output)."""
        first = self.first_arrival
        if first is None or self.child.ended <= first:
            return None
        return self.simulator_busy / (self.child.ended - first)

    def problem(self, stream: str | None = "assigned_flows") -> str:
        """Why this run cannot be measured (empty when it can)."""
        if not self.child.ok:
            return self.child.problem()
        bad = {status: n for status, n in self.statuses.items() if status not in (200, 429)}
        if bad:
            return f"{self.child.label}: the simulator answered {bad} (status: count)"
        if stream is not None and not self.child.records:
            return f"{self.child.label}: no {stream} RECORD line on stdout"
        return ""


def measured_sync(
    simulator: TimedSimulator,
    label: str,
    argv: list[str],
    *,
    timeout: float,
    copy_stdout_to: Path | None = None,
) -> SyncRun:
    """Run ``argv`` against ``simulator`` (its log and quotas reset first) and measure it."""
    simulator.reset()
    child = run_child(label, argv, timeout=timeout, copy_stdout_to=copy_stdout_to)
    return SyncRun(child, simulator.request_log, simulator.most_in_flight(), simulator.busy_seconds)
