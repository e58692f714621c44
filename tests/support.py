"""What the tests share besides fixtures: the simulator's credentials, ways to run the tap in
process, as a CLI and under Meltano, and ways to read what a run wrote.

Test modules import from here, never from ``conftest`` or from each other."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.simulator import TOKEN_PATH, GongSimulator
from tap_gong_flows.tap import TapGongFlows
from tools.throwaway_postgres import PostgresServer, PostgresUnavailable, start_postgres

REPO_ROOT = Path(__file__).resolve().parent.parent

ACCESS_KEY = "sim-access-key"
ACCESS_KEY_SECRET = "sim-access-key-secret-0123456789"
ACCESS_TOKEN = "sim-access-token-abcdefghijklmnop"
CLIENT_ID = "sim-oauth-app"
CLIENT_SECRET = "sim-oauth-app-secret-0123456789"


def oauth_config(
    simulator: GongSimulator, token_file: Path, refresh_token: str | None, **settings: Any
) -> dict[str, Any]:
    """A config with the OAuth refresh flow against ``simulator`` (whose issuer must know
    :data:`CLIENT_ID` and :data:`CLIENT_SECRET`), and no ``api_url``: the base URL comes
    from the token answers."""
    config: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "oauth_token_file": str(token_file),
        "oauth_token_url": simulator.url + TOKEN_PATH,
        "max_requests_per_second": 1000,
        **settings,
    }
    if refresh_token is not None:
        config["refresh_token"] = refresh_token
    return config


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


def asked_ids(simulator: GongSimulator, *, auth_scheme: str | None = None) -> list[list[str]]:
    """The crmProspectsIds of every answered request, in the order they arrived.

    With ``auth_scheme`` ("basic" or "bearer"), only requests sent with it: a run with the
    other kind of credentials can tell its requests from a late one of the run before.
    """
    return [
        entry.body["crmProspectsIds"]
        for entry in sorted(simulator.request_log, key=lambda entry: entry.arrived)
        if entry.status == 200
        and isinstance(entry.body, dict)
        and "crmProspectsIds" in entry.body
        and auth_scheme in (None, entry.auth_scheme)
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


MELTANO = str(Path(sys.executable).with_name("meltano"))


def meltano_environment(home: Path, *, without: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment for Meltano, with its own system database in ``home``,
    minus the tap's and loaders' settings (and variables starting with ``without``)."""
    dropped = ("TAP_GONG", "TARGET_", *without)
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env["MELTANO_DATABASE_URI"] = f"sqlite:///{home / 'meltano.db'}"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def meltano(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``meltano --environment=simulator ARGS`` in the repository; it must succeed."""
    result = subprocess.run(
        [MELTANO, "--environment=simulator", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"meltano {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result


@contextmanager
def postgres_or_skip(**options: Any) -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server (``tools/throwaway_postgres.py``). Where none can be
    started the test is skipped, or fails under ``E2E_REQUIRE_POSTGRES=1`` (CI sets it)."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(start_postgres(**options))
        except PostgresUnavailable as exc:
            if os.environ.get("E2E_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"E2E_REQUIRE_POSTGRES=1, but: {exc}")
            pytest.skip(f"no PostgreSQL server can be started here: {exc}")
        yield server


class FakeClock:
    """A clock that moves only when told to or slept on, for the simulator's ``clock`` and
    ``sleep`` (safe across its threads): durations become exact, and no test waits."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += seconds
