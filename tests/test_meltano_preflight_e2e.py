"""``meltano invoke tap-gong-flows --test`` runs the preflight, with the project's
meltano.yml and the tap's own plugin venv, against a simulator whose key lacks scopes, on
the streams that Meltano's select rules choose."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tap_gong_flows.simulator import GongDataset, GongSimulator

from .support import MELTANO, REPO_ROOT, meltano, meltano_environment

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def meltano_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Meltano with its own system database, and the extractor installed."""
    home = tmp_path_factory.mktemp("meltano")
    env = meltano_environment(home)
    meltano("install", "extractor", "tap-gong-flows", env=env)
    return env


@pytest.fixture
def flows_only(
    meltano_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[GongSimulator, dict[str, str]]]:
    """A simulator that grants api:flows:read only, and Meltano's environment for it."""
    dataset = GongDataset(prospect_count=150, seed=6)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(dataset.prospect_ids()) + "\n")
    with GongSimulator(dataset, rate_limit_per_second=None, scopes={"api:flows:read"}) as sim:
        env = {
            **meltano_env,
            "TAP_GONG_FLOWS_API_URL": sim.url,
            "TAP_GONG_FLOWS_CRM_PROSPECT_IDS_FILE": str(ids_file),
        }
        yield sim, env


def test_meltano_invoke_test_names_every_stream_the_key_cannot_serve(
    flows_only: tuple[GongSimulator, dict[str, str]],
) -> None:
    simulator, env = flows_only
    result = subprocess.run(
        [MELTANO, "--environment=simulator", "invoke", "tap-gong-flows", "--test"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode != 0
    assert f"Preflight against {simulator.url} with an access key (Basic auth)" in result.stderr
    assert (
        "Preflight failed: 5 of 7 selected streams cannot run: "
        "users, flows, flow_folders, flow_steps, tasks." in result.stderr
    )
    assert "Missing scopes: api:tasks:read, api:users:read." in result.stderr
    assert "meltano select tap-gong-flows --exclude flow_steps '*'" in result.stderr
    assert "sim-access-key-secret" not in result.stderr
    assert '"type": "RECORD"' not in result.stdout  # a preflight, not a sync


def test_meltano_invoke_test_passes_with_only_assigned_flows_selected(
    flows_only: tuple[GongSimulator, dict[str, str]],
) -> None:
    simulator, env = flows_only
    env = {**env, "TAP_GONG_FLOWS__SELECT": json.dumps(["assigned_flows.*"])}
    simulator.reset_log()

    result = meltano("invoke", "tap-gong-flows", "--test", env=env)

    # Meltano hands the tap no catalog here, but its select rules.
    assert """Meltano's select rules ['assigned_flows.*'] choose: assigned_flows""" in result.stderr
    assert "Preflight passed: all 1 selected streams can run." in result.stderr
    assert "Planned cost: 2 requests, 0.0% of Gong's 10,000 a day" in result.stderr
    assert "METRIC" not in result.stderr
    assert [entry.path for entry in simulator.request_log] == ["/v2/flows/prospects"]
