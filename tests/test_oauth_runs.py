"""OAuth refresh across threads, runs and processes: two runs started at once against one
token file both succeed, every thread of a run shares one refresh, and a crash right after
a refresh leaves a file the next run works from. Secrets appear nowhere in the output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.oauth_refresh import RefreshingAuth
from tap_gong_flows.simulator import (
    TOKEN_PATH,
    Fault,
    FaultPlan,
    GongDataset,
    GongSimulator,
    OAuthIssuer,
)
from tap_gong_flows.token_file import TokenFile

from .support import (
    CLIENT_ID,
    CLIENT_SECRET,
    SyncOutput,
    catalog_selecting,
    oauth_config,
    run_cli,
)

CRASH_DRIVER = Path(__file__).with_name("oauth_crash_driver.py")
CRASH_EXIT_CODE = 70  # the driver's


@pytest.fixture
def issuer() -> OAuthIssuer:
    return OAuthIssuer(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=None,
        access_token_seconds=0.5,
    )


@pytest.fixture
def gong(issuer: OAuthIssuer, faults: FaultPlan) -> Iterator[GongSimulator]:
    with GongSimulator(
        GongDataset(prospect_count=200, seed=13),
        rate_limit_per_second=None,
        oauth=issuer,
        faults=faults,
    ) as running:
        yield running


def sync_config(gong: GongSimulator, token_file: Path, refresh_token: str | None) -> Any:
    """40 requests at 25 a second: a sync of 1.6 s, three token lives."""
    return oauth_config(
        gong,
        token_file,
        refresh_token,
        crm_prospect_ids=list(gong.dataset.prospect_ids()),
        prospect_ids_per_request=5,
        max_requests_per_second=25,
        max_requests_in_flight=4,
    )


def expected(gong: GongSimulator) -> list[dict[str, Any]]:
    return gong.dataset.expected_open_records(list(gong.dataset.prospect_ids()))


def assert_one_unbroken_chain(issuer: OAuthIssuer, first: str) -> None:
    """Every refresh spent the token the one before it got: none lost, none spent twice."""
    exchanges = issuer.exchanges
    assert [e.error for e in exchanges] == [None] * len(exchanges)
    assert [e.spent for e in exchanges] == [first] + [e.issued for e in exchanges[:-1]]


def test_threads_and_runs_sharing_a_token_file_spend_each_token_once(
    gong: GongSimulator, issuer: OAuthIssuer, faults: FaultPlan, tmp_path: Path
) -> None:
    # A slow token endpoint: every thread asks for a token while a refresh is under way.
    faults.enqueue(Fault.slow(0.1), path=TOKEN_PATH, times=50)
    first = issuer.new_refresh_token()
    config = sync_config(gong, tmp_path / "t.json", first)
    runs = [RefreshingAuth.from_config(config) for _ in range(2)]  # as two processes would
    start = threading.Barrier(16)
    headers: list[str] = []
    lock = threading.Lock()

    def ask(auth: RefreshingAuth) -> None:
        start.wait()
        for _round in range(3):
            value = auth.authorization()
            with lock:
                headers.append(value)
            issuer.expire_access_tokens()

    threads = [threading.Thread(target=ask, args=(runs[n % 2],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(headers) == 48
    assert_one_unbroken_chain(issuer, first)


def start_cli(config: dict[str, Any], folder: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    catalog = catalog_selecting(config, "prospects", "assigned_flows")
    (folder / "catalog.json").write_text(json.dumps(catalog))
    argv = [sys.executable, "-m", "tap_gong_flows", "--config", "config.json"]
    return subprocess.Popen(
        [*argv, "--catalog", "catalog.json"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_GONG_FLOWS_")}
    return {**env, **extra}


def test_two_runs_started_at_once_against_one_token_file_both_succeed(
    gong: GongSimulator, issuer: OAuthIssuer, faults: FaultPlan, tmp_path: Path
) -> None:
    # A slow token endpoint: the other run wants a token while a refresh is under way.
    faults.enqueue(Fault.slow(0.2), path=TOKEN_PATH, times=100)
    first = issuer.new_refresh_token()
    config = sync_config(gong, tmp_path / "gong-oauth.json", first)
    env = clean_env(LOGLEVEL="DEBUG")
    runs = [start_cli(config, tmp_path / name, env) for name in ("one", "two")]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr[-3000:]
        assert SyncOutput.parse(stdout).records() == expected(gong)
    assert len(issuer.exchanges) >= 4, "both runs outlived a token"
    assert_one_unbroken_chain(issuer, first)
    printed = "".join(stdout + stderr for stdout, stderr in outputs)
    assert "DEBUG" in printed
    assert [s for s in issuer.issued_secrets() if s in printed] == []


def test_a_crash_right_after_a_refresh_leaves_a_file_the_next_run_works_from(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    first = issuer.new_refresh_token()
    token_file = tmp_path / "gong-oauth.json"
    config = sync_config(gong, token_file, first)
    folder = tmp_path / "crashed"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "catalog.json").write_text(
        json.dumps(catalog_selecting(config, "prospects", "assigned_flows"))
    )
    crashed = subprocess.run(
        [sys.executable, str(CRASH_DRIVER), "--config", "config.json", "--catalog", "catalog.json"],
        cwd=folder,
        env=clean_env(PYTHONPATH=str(CRASH_DRIVER.parent.parent)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr[-3000:]
    assert len(issuer.exchanges) == 1
    assert [e.path for e in gong.request_log if not e.path.startswith(TOKEN_PATH)] == []
    assert TokenFile(token_file).read() is not None

    result = run_cli(config=config, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert SyncOutput.parse(result.stdout).records() == expected(gong)
    assert_one_unbroken_chain(issuer, first)


def test_a_reused_token_fails_the_cli_at_once_saying_what_to_do(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    token = issuer.new_refresh_token()
    token_file = tmp_path / "gong-oauth.json"
    config = sync_config(gong, token_file, token)
    assert run_cli(config=config, tmp_path=tmp_path).returncode == 0
    token_file.unlink()  # the rotated token is gone: the configured one is spent
    (tmp_path / "again").mkdir()
    result = run_cli(config=config, tmp_path=tmp_path / "again", env={"LOGLEVEL": "DEBUG"})
    assert result.returncode == 1
    assert "invalid_grant" in result.stderr
    assert "A person must re-authorize the app in Gong" in result.stderr
    assert str(token_file) in result.stderr
    assert "Traceback" not in result.stderr
    printed = result.stdout + result.stderr
    assert [s for s in issuer.issued_secrets() if s in printed] == []
    assert issuer.exchanges[-1].error == "invalid_grant"
