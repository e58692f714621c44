"""End to end through the dbt models: real Meltano runs
``tap-gong-flows target-postgres dbt-postgres:build`` against the Gong simulator into a throwaway
PostgreSQL server, with ``track_finished_flows`` on; instances finish between the syncs, and
every figure of the models is compared with what the simulator's own data says."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tap_gong_flows.simulator import FINISHED_STATUSES, OPEN_STATUSES, GongDataset, GongSimulator
from tools.throwaway_postgres import PostgresServer

from .dbt_support import (
    Runs,
    Window,
    days,
    days_bounds,
    expected_instance,
    expected_performance,
    gong_flows,
    inside,
    instant,
    readme_query,
    snapshot_time,
    status_after,
    without_times,
)
from .support import meltano, meltano_environment, postgres_or_skip

# The first test also installs dbt (a fresh clone downloads it) and runs three syncs.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MODELS = "analytics"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    # Not UTC, so that a timestamp read as the session's local time shows up.
    with postgres_or_skip(timezone="America/New_York") as server:
        yield server


@dataclass
class Pipeline:
    """``meltano run tap-gong-flows target-postgres dbt-postgres:build`` against one simulator."""

    env: dict[str, str]
    postgres: PostgresServer
    simulator: GongSimulator

    def run(self, *blocks: str, **extra_env: str) -> tuple[Window, str]:
        start = datetime.now(UTC)
        env = {**self.env, **extra_env}
        result = meltano("run", "--state-id-suffix", "dbt", *blocks, env=env, timeout=600)
        return Window(start, datetime.now(UTC)), result.stderr

    def load_then_build(self, loader: str, dbt_vars: str, env: dict[str, str]) -> str:
        """A sync into ``loader`` (a state of its own), then ``dbt build --vars``: dbt's log."""
        suffix = re.sub(r"\W+", "-", dbt_vars).strip("-")
        meltano("run", "--state-id-suffix", suffix, "tap-gong-flows", loader, env=env)
        build = meltano("invoke", "dbt-postgres", "build", "--vars", dbt_vars, env=env)
        return build.stdout + build.stderr

    def sync(self, **extra_env: str) -> tuple[Window, str]:
        return self.run("tap-gong-flows", "target-postgres", "dbt-postgres:build", **extra_env)

    def rows(self, model: str, schema: str = MODELS) -> list[dict[str, Any]]:
        return self.postgres.query(f"SELECT * FROM {schema}.{model}")


@pytest.fixture(scope="module")
def pipeline(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    home = tmp_path_factory.mktemp("meltano-dbt")
    env = meltano_environment(home, without=("PG", "MELTANO_", "DBT_"))
    env.update(postgres.target_env())
    dbt = (postgres.host, str(postgres.port), postgres.user, postgres.password, postgres.database)
    names = ("HOST", "PORT", "USER", "PASSWORD", "DBNAME")
    env.update({f"DBT_POSTGRES_{name}": value for name, value in zip(names, dbt, strict=True)})
    env["DBT_POSTGRES_SCHEMA"] = MODELS
    plugins = ("tap-gong-flows", "target-postgres", "target-postgres-append", "dbt-postgres")
    meltano("install", *plugins, env=env, timeout=900)
    dataset = GongDataset(prospect_count=300, seed=16)
    with GongSimulator(dataset, rate_limit_per_second=None) as simulator:
        ids_file = home / "ids.txt"
        ids_file.write_text("\n".join(dataset.prospect_ids()) + "\n")
        env.update(
            {
                "TAP_GONG_FLOWS_API_URL": simulator.url,
                "TAP_GONG_FLOWS_CRM_PROSPECT_IDS_FILE": str(ids_file),
                "TAP_GONG_FLOWS_TRACK_FINISHED_FLOWS": "true",
                "TAP_GONG_FLOWS_MAX_REQUESTS_PER_SECOND": "200",
            }
        )
        yield Pipeline(env, postgres, simulator)


@pytest.fixture(scope="module")
def runs(pipeline: Pipeline) -> Runs:
    """Three syncs, each followed by dbt build: a third of the open instances finish after the
    first; the third sync hard-deletes the raw rows of the finished ones."""
    dataset = pipeline.simulator.dataset
    captured = Runs(dataset, {}, [], [], [], [], [], [], [])

    def sync_and_capture(**extra_env: str) -> None:
        window, log = pipeline.sync(**extra_env)
        captured.windows.append(window)
        captured.logs.append(log)
        captured.instances.append(pipeline.rows("gong_engage__flow_instances"))
        captured.performance.append(pipeline.rows("gong_engage__flow_performance"))
        captured.current_flows.append(pipeline.rows("gong_engage__prospect_current_flows"))
        captured.raw.append(pipeline.postgres.query("SELECT * FROM gong_engage.assigned_flows"))

    sync_and_capture()
    open_now = dataset.expected_open_records(dataset.prospect_ids())
    captured.first_statuses = {r["flowInstanceId"]: r["flowInstanceStatus"] for r in open_now}
    dataset.finish_instances([r["flowInstanceId"] for r in open_now[::3]])
    sync_and_capture()
    sync_and_capture(TARGET_POSTGRES_HARD_DELETE="true")
    captured.snapshot = pipeline.rows("snp_gong_engage__assigned_flows")
    return captured


SYNCS = pytest.mark.parametrize("sync", [0, 1, 2], ids=["first", "after-finishes", "hard-delete"])
EPSILON = 1e-6


@SYNCS
def test_flow_instances_are_every_instance_ever_seen_with_its_latest_status(
    runs: Runs, sync: int
) -> None:
    rows = runs.instances[sync]
    expected = {fid: expected_instance(runs, sync, fid) for fid in runs.first_statuses}
    assert len(rows) == len(expected)
    assert {row["flow_instance_id"]: without_times(row) for row in rows} == expected
    if sync > 0:
        # The finishes cover every finished status, so each column below is exercised.
        assert {row["finished_status"] for row in rows} == {None, *FINISHED_STATUSES}


@SYNCS
def test_flow_instances_say_when_each_was_seen(runs: Runs, sync: int) -> None:
    windows = runs.windows
    for row in runs.instances[sync]:
        created = instant(row["created_at"])
        assert inside(windows[0], row["first_seen_at"]), row
        if row["is_open"]:
            assert inside(windows[sync], row["last_seen_open_at"]), row
            end = instant(row["last_seen_open_at"])
            assert abs(row["days_in_flow"] - days(created, end)) < EPSILON, row
        else:
            assert inside(windows[0], row["last_seen_open_at"]), row
            low, high = days_bounds(created, windows[1])  # first seen finished: the 2nd sync
            assert low - EPSILON <= row["days_in_flow"] <= high + EPSILON, row


@SYNCS
def test_flow_performance_counts_each_flow_as_the_simulator_does(runs: Runs, sync: int) -> None:
    rows = runs.performance[sync]
    expected = expected_performance(runs, sync)
    assert len(rows) == len(expected)
    got = {}
    for row in rows:
        figures = {name: value for name, value in row.items() if name != "median_days_to_finish"}
        rate = figures["reply_rate"]
        if rate is not None:
            wanted = expected.get(row["flow_id"], {}).get("reply_rate")
            assert wanted is not None, row
            assert abs(rate - float(wanted)) < 1e-12, row
            figures["reply_rate"] = wanted
        got[row["flow_id"]] = figures
    assert got == expected
    if sync > 0:
        assert any(row["reply_rate"] not in (None, 0) for row in rows)


@SYNCS
def test_flow_performance_median_days_to_finish(runs: Runs, sync: int) -> None:
    by_flow: dict[str, list[tuple[float, float]]] = {}
    for row in runs.instances[sync]:
        if row["finished_status"] is not None:
            bounds = days_bounds(instant(row["created_at"]), runs.windows[1])
            by_flow.setdefault(row["flow_id"], []).append(bounds)
    for row in runs.performance[sync]:
        bounds = by_flow.get(row["flow_id"])
        if not bounds:
            assert row["median_days_to_finish"] is None, row
            continue
        low = statistics.median(b[0] for b in bounds)
        high = statistics.median(b[1] for b in bounds)
        assert low - EPSILON <= row["median_days_to_finish"] <= high + EPSILON, row
    assert (sync > 0) == bool(by_flow)


@SYNCS
def test_prospect_current_flows_lists_the_open_flows_of_each_prospect(
    runs: Runs, sync: int
) -> None:
    open_flows: dict[str, set[tuple[str, str]]] = {}
    flows = gong_flows(runs.dataset)
    for fid in runs.first_statuses:
        record = runs.dataset.instance(fid)
        assert record is not None
        if status_after(runs, sync, fid) in OPEN_STATUSES:
            flow = (record["flowId"], flows[record["flowId"]]["name"])
            open_flows.setdefault(record["crmProspectId"], set()).add(flow)
    expected = {
        prospect: {
            "crm_prospect_id": prospect,
            "open_flow_count": len(pairs),
            "open_flow_names": sorted({name for _, name in pairs}),
        }
        for prospect, pairs in open_flows.items()
    }
    rows = runs.current_flows[sync]
    assert len(rows) == len(expected)
    assert {row["crm_prospect_id"]: row for row in rows} == expected


def test_the_raw_table_loses_the_finished_rows_that_the_models_keep(runs: Runs) -> None:
    """The premise of the models: the 2nd sync brings the outcomes, the 3rd (hard delete)
    removes their raw rows, yet the models after it hold them (the tests above)."""
    finished = {
        fid for fid in runs.first_statuses if status_after(runs, 1, fid) in FINISHED_STATUSES
    }
    raw_ids = [{row["flowInstanceId"] for row in rows} for rows in runs.raw]
    assert finished
    assert raw_ids[0] == raw_ids[1] == set(runs.first_statuses)
    assert raw_ids[2] == set(runs.first_statuses) - finished


def test_dbt_build_passes_its_own_tests_every_time(runs: Runs) -> None:
    for log in runs.logs:
        assert "Completed successfully" in log
        assert re.search(r"Done\. PASS=\d+ WARN=0 ERROR=0 ", log), log[-3000:]


def test_the_snapshot_keeps_each_status_an_instance_had(runs: Runs) -> None:
    versions: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(runs.snapshot, key=lambda row: snapshot_time(row["dbt_valid_from"])):
        versions.setdefault(row["flow_instance_id"], []).append(row)
    assert versions.keys() == runs.first_statuses.keys()
    for fid, first in runs.first_statuses.items():
        statuses = [first]
        if status_after(runs, 1, fid) != first:
            statuses.append(status_after(runs, 1, fid))
        assert [row["status"] for row in versions[fid]] == statuses
        valid_from = [snapshot_time(row["dbt_valid_from"]) for row in versions[fid]]
        # Each version starts with the dbt build after the sync that saw the status.
        for since, window in zip(valid_from, runs.windows, strict=False):
            assert window.start <= since <= window.end
        assert versions[fid][-1]["dbt_valid_to"] is None
        closed = [snapshot_time(row["dbt_valid_to"]) for row in versions[fid][:-1]]
        assert closed == valid_from[1:]


def test_the_readmes_queries_answer_each_question(runs: Runs, pipeline: Pipeline) -> None:
    postgres, performance = pipeline.postgres, runs.performance[2]
    replies = postgres.query(readme_query("-- which flows get replies"))
    assert sorted((r["flow_name"], r["finished_response"]) for r in replies) == sorted(
        (r["flow_name"], r["finished_response"]) for r in performance if r["reply_rate"] is not None
    )
    stays = postgres.query(readme_query("-- how long prospects stay in a flow"))
    assert len(stays) == sum(1 for row in performance if row["prospects_enrolled"])
    assert all(row["average_days_open_so_far"] > 0 for row in stays)
    owners = postgres.query(readme_query("-- who owns which prospects"))
    expected_owners: dict[str, set[str]] = {}
    for row in runs.instances[2]:
        owned = expected_owners.setdefault(row["owner_email"], set())
        owned |= {row["crm_prospect_id"]} if row["is_open"] else set()
    assert {r["owner_email"]: set(r["prospect_ids"] or ()) for r in owners} == expected_owners
    # A CRM tap's contacts: five prospects in a flow now, and one that Gong does not know.
    in_a_flow = sorted(row["crm_prospect_id"] for row in runs.current_flows[2])[:5]
    values = ", ".join(f"('{pid}', 'Contact {pid}')" for pid in [*in_a_flow, "003-not-in-gong"])
    postgres.psql(
        "CREATE SCHEMA salesforce; CREATE TABLE salesforce.contact (id text, name text); "
        f"INSERT INTO salesforce.contact VALUES {values}"
    )
    contacts = postgres.query(readme_query("-- which CRM contacts are in a flow right now"))
    assert sorted(row["id"] for row in contacts) == in_a_flow
    assert all(row["open_flow_count"] == len(row["open_flow_names"]) for row in contacts)


def outcome(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["flow_name"], row["status"], row["is_open"], row["finished_status"]


def open_prospects(dataset: GongDataset) -> set[str]:
    return {r["crmProspectId"] for r in dataset.expected_open_records(dataset.prospect_ids())}


def test_assigned_flows_alone_without_tracking(pipeline: Pipeline) -> None:
    """Streams not selected have no table: the models build from what there is. Without
    track_finished_flows, an instance that finished just leaves the open list: no longer open,
    outcome unknown."""
    raw, models, dataset = "only_flows", "only_flows_models", pipeline.simulator.dataset
    env = {
        **pipeline.env,
        "TAP_GONG_FLOWS__SELECT": '["assigned_flows.*", "prospects.*"]',
        "TAP_GONG_FLOWS_TRACK_FINISHED_FLOWS": "false",
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": raw,
        "DBT_POSTGRES_SCHEMA": models,
    }
    first = dataset.expected_open_records(dataset.prospect_ids())
    pipeline.load_then_build("target-postgres", f"source_schema: {raw}", env)
    left = {record["flowInstanceId"] for record in first[:5]}
    dataset.finish_instances(left)
    log = pipeline.load_then_build("target-postgres", f"source_schema: {raw}", env)
    # Only the relationship from the instances to the (empty) flows warns.
    assert re.search(r"Done\. PASS=\d+ WARN=1 ERROR=0 ", log)

    instances = pipeline.rows("gong_engage__flow_instances", models)
    still_open = {r["flowInstanceId"]: r["flowInstanceId"] not in left for r in first}
    assert {row["flow_instance_id"]: outcome(row) for row in instances} == {
        r["flowInstanceId"]: (r["flowName"], r["flowInstanceStatus"], still_open[fid], None)
        for fid, r in zip(still_open, first, strict=True)
    }
    assert {(row["owner_user_id"], row["folder_name"]) for row in instances} == {(None, None)}
    performance = pipeline.rows("gong_engage__flow_performance", models)
    open_per_flow = Counter(r["flowId"] for r in first if r["flowInstanceId"] not in left)
    assert {row["flow_id"]: row["open_instances"] for row in performance} == open_per_flow
    assert {(row["steps_count"], row["visibility"]) for row in performance} == {(0, None)}
    current = pipeline.rows("gong_engage__prospect_current_flows", models)
    assert {row["crm_prospect_id"] for row in current} == open_prospects(dataset)


def test_the_append_loaders_tables_give_the_same_answers(pipeline: Pipeline) -> None:
    """With target-postgres-append (a row per instance per sync, nothing marked deleted) and
    source_table_suffix '_snapshots', the models hold the same truth."""
    raw, models, dataset = "append_raw", "append_models", pipeline.simulator.dataset
    env = {**pipeline.env, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": raw}
    env.update(TARGET_POSTGRES_APPEND_DEFAULT_TARGET_SCHEMA=raw, DBT_POSTGRES_SCHEMA=models)
    dbt_vars = f"{{source_schema: {raw}, source_table_suffix: _snapshots}}"
    first = dataset.expected_open_records(dataset.prospect_ids())
    pipeline.load_then_build("target-postgres-append", dbt_vars, env)
    dataset.finish_instances([record["flowInstanceId"] for record in first[1::4]])
    log = pipeline.load_then_build("target-postgres-append", dbt_vars, env)
    assert re.search(r"Done\. PASS=\d+ WARN=0 ERROR=0 ", log)

    expected = {}
    for fid in (record["flowInstanceId"] for record in first):
        record = dataset.instance(fid)
        assert record is not None
        status = record["flowInstanceStatus"]
        finished = status if status in FINISHED_STATUSES else None
        expected[fid] = (record["flowName"], status, finished is None, finished)
    instances = pipeline.rows("gong_engage__flow_instances", models)
    assert {row["flow_instance_id"]: outcome(row) for row in instances} == expected
    assert {row["finished_status"] for row in instances} == {None, *FINISHED_STATUSES}
    current = pipeline.rows("gong_engage__prospect_current_flows", models)
    assert {row["crm_prospect_id"] for row in current} == open_prospects(dataset)


def test_a_status_gong_adds_only_warns(runs: Runs, pipeline: Pipeline) -> None:
    """Runs last: it changes a raw row. dbt build still passes; the accepted_values tests warn,
    and the models carry the new status as an open one."""
    some_open = next(row for row in runs.instances[2] if row["is_open"])
    fid = some_open["flow_instance_id"]
    pipeline.postgres.psql(
        "UPDATE gong_engage.assigned_flows SET \"flowInstanceStatus\" = 'Snoozed' "
        f"WHERE \"flowInstanceId\" = '{fid}'"
    )
    _, log = pipeline.run("dbt-postgres:build")  # meltano() asserts it succeeded
    assert re.search(r"Done\. PASS=\d+ WARN=[1-9]\d* ERROR=0 ", log), log[-3000:]
    assert re.search(r"WARN 1 accepted_values_gong_engage__flow_instances_status_", log), log
    row = next(
        r for r in pipeline.rows("gong_engage__flow_instances") if r["flow_instance_id"] == fid
    )
    assert (row["status"], row["is_open"], row["finished_status"]) == ("Snoozed", True, None)
