"""End to end with real Meltano: the project's meltano.yml, the tap's own plugin venv,
target-jsonl, and the Gong simulator (with Gong's 3-per-second limit) standing in for Gong."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tap_gong_flows.simulator import GongDataset, GongSimulator

from .support import meltano, meltano_environment

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def meltano_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for Meltano with its own system database, and the plugins installed."""
    home = tmp_path_factory.mktemp("meltano")
    env = meltano_environment(home)
    meltano("install", "extractor", "tap-gong-flows", env=env)
    meltano("install", "loader", "target-jsonl", env=env)
    return env


def _sync_env(
    meltano_env: dict[str, str], simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> tuple[list[str], Path, dict[str, str]]:
    """The dataset's IDs in a file, an output folder, and the environment pointing at both."""
    ids = list(dataset.prospect_ids())
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    env = {
        **meltano_env,
        "TAP_GONG_FLOWS_API_URL": simulator.url,
        "TAP_GONG_FLOWS_CRM_PROSPECT_IDS_FILE": str(ids_file),
        "TARGET_JSONL_DESTINATION_PATH": str(out),
    }
    return ids, out, env


@pytest.fixture(scope="module")
def gong() -> Iterator[tuple[GongSimulator, GongDataset]]:
    dataset = GongDataset(prospect_count=300, seed=5)
    with GongSimulator(dataset, rate_limit_per_second=3.0) as simulator:
        yield simulator, dataset


def test_meltano_run_lands_exactly_the_expected_records(
    meltano_env: dict[str, str], gong: tuple[GongSimulator, GongDataset], tmp_path: Path
) -> None:
    simulator, dataset = gong
    simulator.reset_log()
    ids, out, env = _sync_env(meltano_env, simulator, dataset, tmp_path)
    env["TAP_GONG_FLOWS__SELECT"] = json.dumps(["assigned_flows.*"])
    meltano("run", "--state-id-suffix", "e2e", "tap-gong-flows", "target-jsonl", env=env)

    lines = (out / "assigned_flows.jsonl").read_text().splitlines()
    landed = [json.loads(line) for line in lines]
    assert landed == dataset.expected_open_records(ids)
    assert [entry.status for entry in simulator.request_log] == [200, 200, 200]

    state_id = "simulator:tap-gong-flows-to-target-jsonl:e2e"
    state = meltano("state", "get", state_id, env=env)
    assert "assigned_flows" in json.loads(state.stdout)["singer_state"]["bookmarks"]


def test_meltano_invoke_about_and_select_list(meltano_env: dict[str, str]) -> None:
    about = meltano("invoke", "tap-gong-flows", "--about", "--format=json", env=meltano_env)
    assert "crm_prospect_ids_file" in json.loads(about.stdout)["settings"]["properties"]
    listing = meltano("select", "tap-gong-flows", "--list", "--all", env=meltano_env)
    assert "assigned_flows.flowInstanceId" in listing.stdout
    assert "assigned_flows.flowInstanceStatus" in listing.stdout


def test_meltano_run_with_every_stream_lands_consistent_tables(
    meltano_env: dict[str, str], tmp_path: Path
) -> None:
    dataset = GongDataset(prospect_count=400, seed=9)
    with GongSimulator(dataset, rate_limit_per_second=None) as simulator:
        ids, out, env = _sync_env(meltano_env, simulator, dataset, tmp_path)
        env["TAP_GONG_FLOWS_MAX_REQUESTS_PER_SECOND"] = "200"
        meltano("run", "--state-id-suffix", "all", "tap-gong-flows", "target-jsonl", env=env)
        requests_made = len(simulator.request_log)

    def table(name: str) -> list[dict[str, object]]:
        return [json.loads(line) for line in (out / f"{name}.jsonl").read_text().splitlines()]

    flows, folders = table("flows"), table("flow_folders")
    flow_ids = [f["id"] for f in flows]
    assert len(flow_ids) == len(set(flow_ids)), "no flow twice, though many users see it"
    assert len({f["id"] for f in folders}) == len(folders)
    assert {r["flowId"] for r in table("assigned_flows")} <= set(flow_ids)
    assert {s["flowId"] for s in table("flow_steps")} <= set(flow_ids)
    assert table("users") == dataset.users()  # every page
    assert table("assigned_flows") == dataset.expected_open_records(ids)
    tasks = table("tasks")
    assert len(tasks) == sum(len(dataset.tasks_of(u["id"])) for u in dataset.users())
    assert requests_made == expected_requests(dataset, len(ids), len(flow_ids))


def expected_requests(dataset: GongDataset, prospects: int, flows: int) -> int:
    """The README's request cost, with the simulator's page size of 3."""

    def pages(count: int) -> int:
        return max(1, math.ceil(count / 3))

    emails = [u["emailAddress"] for u in dataset.users() if u["active"]]
    return (
        pages(len(dataset.users()))
        + sum(pages(len(dataset.flows_visible_to(e))) for e in emails)
        + sum(pages(len(dataset.folders_visible_to(e))) for e in emails)
        + math.ceil(flows / 20)
        + len(dataset.users())
        + math.ceil(prospects / 100)
    )
