"""Shared fixtures: a running Gong simulator, and ways to run the tap in-process or as a CLI."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.simulator import FaultPlan, GongDataset, GongSimulator
from tap_gong_flows.tap import TapGongFlows

REPO_ROOT = Path(__file__).resolve().parent.parent

ACCESS_KEY = "sim-access-key"
ACCESS_KEY_SECRET = "sim-access-key-secret-0123456789"
ACCESS_TOKEN = "sim-access-token-abcdefghijklmnop"


@dataclass
class SyncOutput:
    """The Singer messages one sync wrote, split by type."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    def records(self, stream: str = "assigned_flows") -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def of_type(self, kind: str, stream: str | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages
            if m["type"] == kind and (stream is None or m.get("stream") == stream)
        ]

    @classmethod
    def parse(cls, text: str) -> SyncOutput:
        return cls([json.loads(line) for line in text.splitlines() if line.strip()])


@pytest.fixture
def dataset() -> GongDataset:
    return GongDataset(prospect_count=500, seed=7)


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def simulator(dataset: GongDataset, faults: FaultPlan) -> Iterator[GongSimulator]:
    """A simulator without its per-second limit, so that tests need not pace."""
    with GongSimulator(
        dataset,
        access_key=ACCESS_KEY,
        access_key_secret=ACCESS_KEY_SECRET,
        access_token=ACCESS_TOKEN,
        rate_limit_per_second=None,
        faults=faults,
    ) as running:
        yield running


@pytest.fixture
def base_config(simulator: GongSimulator) -> dict[str, Any]:
    return {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "max_requests_per_second": 1000,
    }


@pytest.fixture(autouse=True)
def _clean_shared_simulator(request: pytest.FixtureRequest) -> Iterator[None]:
    """Modules that share one simulator across their tests (a ``sim`` fixture) get it back
    without queued faults or logged requests after each test."""
    yield
    if "sim" in request.fixturenames:
        simulator: GongSimulator = request.getfixturevalue("sim")
        if simulator.faults is not None:
            simulator.faults.clear()
        simulator.reset_log()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exponential backoff steps of milliseconds; Retry-After waits stay exact."""
    monkeypatch.setattr(RequestEngine, "retry_base_seconds", 0.01)
    monkeypatch.setattr(RequestEngine, "retry_max_seconds", 0.05)


PROSPECT_STREAMS = ("prospects", "assigned_flows")
# For tests whose injected faults must meet the batches in order: one request at a time.
ONE_AT_A_TIME = {"max_requests_in_flight": 1}


def run_tap(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    streams: tuple[str, ...] = PROSPECT_STREAMS,
) -> SyncOutput:
    """Run a sync in this process and return what it wrote to stdout.

    Without a catalog, only ``streams`` are selected (by default the prospect streams).
    """
    if catalog is None:
        catalog = catalog_selecting(config, *streams)
    output, error = run_tap_capturing_failure(config, state, catalog)
    if error is not None:
        raise error
    return output


def run_tap_capturing_failure(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> tuple[SyncOutput, Exception | None]:
    """Run a sync; return what it wrote before it ended, and the error that ended it if any."""
    tap = TapGongFlows(config=config, state=state, catalog=catalog, validate_config=True)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    error: Exception | None = None
    with redirect_stdout(buffer):
        try:
            tap.sync_all()
        except Exception as exc:
            error = exc
        # What the process exit would write: records read after the last STATE.
        tap.message_writer.flush()
    buffer.flush()
    text = buffer.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    return SyncOutput.parse(text), error


def catalog_selecting(config: dict[str, Any], *streams: str) -> dict[str, Any]:
    """The tap's discovered catalog with only ``streams`` selected."""
    catalog = TapGongFlows(config=config, validate_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def run_cli(
    *args: str,
    config: dict[str, Any] | None = None,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    streams: tuple[str, ...] | None = PROSPECT_STREAMS,
) -> subprocess.CompletedProcess[str]:
    """Run ``tap-gong-flows`` as a separate process, the way Meltano does.

    A sync selects only ``streams`` (through a catalog file); ``None`` selects them all.
    """
    argv = [sys.executable, "-m", "tap_gong_flows", *args]
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        argv += ["--config", str(path)]
    syncing = not {"--about", "--discover", "--version", "--help"} & set(args)
    if streams is not None and syncing:
        catalog_path = tmp_path / "catalog.json"
        catalog_path.write_text(json.dumps(catalog_selecting(config or {}, *streams)))
        argv += ["--catalog", str(catalog_path)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_GONG_FLOWS_")}
    full_env.update(env or {})
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=tmp_path,
        check=False,
    )


def asked_ids(simulator: GongSimulator) -> list[list[str]]:
    """The crmProspectsIds of every answered request, in the order they arrived."""
    return [
        entry.body["crmProspectsIds"]
        for entry in sorted(simulator.request_log, key=lambda entry: entry.arrived)
        if entry.status == 200 and isinstance(entry.body, dict) and "crmProspectsIds" in entry.body
    ]


@contextmanager
def simulator_cli(*args: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m tap_gong_flows.simulator`` with ``args``, once it has announced itself:
    the process and its first stdout line. It is killed afterwards if still running."""
    command = [sys.executable, "-m", "tap_gong_flows.simulator", *args]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "the simulator did not announce itself within 10 s"
        yield process, process.stdout.readline()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
