"""The simulator side of the benchmarks: servers, ID files and tap configs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tap_gong_flows.simulator import GongDataset, GongSimulator

ACCESS_KEY = "bench-access-key"
ACCESS_KEY_SECRET = "bench-access-key-secret"


class TimedSimulator(GongSimulator):
    """The project's simulator, adding up how long it spends deciding its answers.

    ``busy_seconds`` is the time inside :meth:`respond` (building the records and
    encoding the JSON body), i.e. the part of a synchronous client's wait that is the
    simulator's own work. It stays 0 if the server stops calling ``respond``.
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


def start_simulator(dataset: GongDataset, rate_limit_per_second: float | None) -> TimedSimulator:
    """A running simulator; without a per-second limit, the daily limit is lifted too."""
    kwargs: dict[str, Any] = {
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "rate_limit_per_second": rate_limit_per_second,
    }
    if rate_limit_per_second is None:
        kwargs["daily_limit"] = None  # the memory runs alone send 11,000 requests
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
