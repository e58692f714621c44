"""End to end into PostgreSQL: real Meltano runs this project's meltano.yml, the Gong simulator
stands in for Gong, and a throwaway PostgreSQL server (tools/throwaway_postgres.py, started once per
session) is the warehouse. Covers the loaders target-postgres, target-postgres-append and
target-jsonl, Meltano's state, and every mode of the README's "Sync modes"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.simulator import GongDataset, GongSimulator
from tools.throwaway_postgres import PostgresServer

from .support import REPO_ROOT, meltano, meltano_environment, postgres_or_skip

pytestmark = pytest.mark.e2e

# Not UTC, so that a timestamp stored as the server's local time instead of UTC shows up.
SERVER_TIMEZONE = "America/New_York"
FIELDS = (
    "flowId",
    "flowName",
    "crmProspectId",
    "flowInstanceId",
    "flowInstanceOwnerEmail",
    "flowInstanceOwnerFullName",
    "flowInstanceCreateDate",
    "flowInstanceStatus",
    "workspaceId",
    "exclusive",
)
COLUMNS = ", ".join(f'"{name}"' for name in FIELDS)
README = REPO_ROOT / "README.md"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One scratch server for the session; skipped (failed with E2E_REQUIRE_POSTGRES=1) when
    PostgreSQL is not installed."""
    with postgres_or_skip(timezone=SERVER_TIMEZONE) as server:
        yield server


@pytest.fixture(scope="session")
def warehouse_env(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
) -> dict[str, str]:
    """Meltano with its own system database, pointed at the scratch server, plugins installed."""
    home = tmp_path_factory.mktemp("meltano-postgres")
    env = meltano_environment(home, without=("PG", "MELTANO_"))
    # The modes are checked on assigned_flows; the other streams would cost ~80 paced requests
    # a sync (max_requests_per_second cannot be raised through the environment: Meltano 4.4
    # fails to serialize a `kind: decimal` setting that comes from an environment variable).
    env["TAP_GONG_FLOWS__SELECT"] = json.dumps(["assigned_flows.*"])
    env.update(postgres.target_env())
    meltano(
        "install",
        "tap-gong-flows",
        "target-jsonl",
        "target-postgres",
        "target-postgres-append",
        env=env,
        timeout=900,
    )
    return env


def finish_some(dataset: GongDataset, count: int) -> set[str]:
    """Let time pass in Gong: ``count`` of the open flow instances finish. Their IDs."""
    open_records = dataset.expected_open_records(dataset.prospect_ids())
    finished = {record["flowInstanceId"] for record in open_records[:count]}
    dataset.finish_instances(finished)
    return finished


def open_records(dataset: GongDataset) -> dict[str, dict[str, Any]]:
    return comparable(dataset.expected_open_records(dataset.prospect_ids()))


@dataclass
class Sync:
    """``meltano run tap-gong-flows <loader>`` against a simulator of ``dataset``, asking about
    all its prospects; its own state ID (suffix) and PostgreSQL schema."""

    env: dict[str, str]
    simulator: GongSimulator
    tmp_path: Path
    state_suffix: str
    schema: str = "gong_engage"

    def __call__(self, loader: str, **extra_env: str) -> None:
        ids_file = self.tmp_path / "ids.txt"
        ids_file.write_text("\n".join(self.simulator.dataset.prospect_ids()) + "\n")
        env = {
            **self.env,
            "TAP_GONG_FLOWS_API_URL": self.simulator.url,
            "TAP_GONG_FLOWS_CRM_PROSPECT_IDS_FILE": str(ids_file),
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema,
            **extra_env,
        }
        meltano("run", "--state-id-suffix", self.state_suffix, "tap-gong-flows", loader, env=env)

    @property
    def state_id(self) -> str:
        return f"simulator:tap-gong-flows-to-target-postgres:{self.state_suffix}"

    def state(self) -> dict[str, Any]:
        got = meltano("state", "get", self.state_id, env=self.env)
        result: dict[str, Any] = json.loads(got.stdout)
        return result


@pytest.fixture
def gong() -> Iterator[GongSimulator]:
    """A simulator without its per-second limit (test_meltano_e2e.py covers the pacing)."""
    dataset = GongDataset(prospect_count=120, seed=21)
    with GongSimulator(dataset, rate_limit_per_second=None) as simulator:
        yield simulator


def instant(value: str) -> datetime:
    """A timestamp as an aware UTC datetime; naive ones (timestamp without time zone) are UTC."""
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def comparable(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records by flowInstanceId, the ten fields only, the create date as an instant."""
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        row = {name: record[name] for name in FIELDS}
        row["flowInstanceCreateDate"] = instant(row["flowInstanceCreateDate"])
        by_id[row["flowInstanceId"]] = row
    return by_id


def column_types(postgres: PostgresServer, schema: str, table: str) -> dict[str, str]:
    rows = postgres.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = '{schema}' AND table_name = '{table}'"
    )
    return {row["column_name"]: row["data_type"] for row in rows}


def primary_key(postgres: PostgresServer, schema: str, table: str) -> list[str]:
    rows = postgres.query(
        "SELECT a.attname AS name FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        f"WHERE i.indisprimary AND i.indrelid = '{schema}.{table}'::regclass"
    )
    return [row["name"] for row in rows]


def readme_sql(comment: str) -> str:
    """The README's ```sql block that starts with ``comment``: the tests run what it shows."""
    for block in re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.DOTALL):
        if block.startswith(comment):
            return str(block)
    raise AssertionError(f"README.md has no ```sql block starting with {comment!r}")


# target-postgres (upsert): types, primary key, exact rows, reruns, state, timestamptz.


@dataclass
class TwoUpserts:
    expected: dict[str, dict[str, Any]]
    types_before: dict[str, str]
    types_after: dict[str, str]
    key_after: list[str]
    rows_before: list[dict[str, Any]]
    rows_after: list[dict[str, Any]]
    state_before: dict[str, Any]
    state_after: dict[str, Any]
    dataset: GongDataset


STATE_PROBE = {"set_by": "meltano state set", "note": "the tap carries unknown bookmarks on"}


@pytest.fixture(scope="module")
def two_upserts(
    warehouse_env: dict[str, str],
    postgres: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TwoUpserts]:
    """Two syncs of the same data into target-postgres. Between them a probe bookmark is put
    into Meltano's state, and the README's one-time change to timestamptz is applied."""
    dataset = GongDataset(prospect_count=300, seed=11)
    with GongSimulator(dataset, rate_limit_per_second=None) as simulator:
        sync = Sync(warehouse_env, simulator, tmp_path_factory.mktemp("upserts"), "upserts")
        table = f"{sync.schema}.assigned_flows"

        sync("target-postgres")
        types_before = column_types(postgres, sync.schema, "assigned_flows")
        rows_before = postgres.query(f"SELECT * FROM {table}")
        state_before = sync.state()
        probed = json.loads(json.dumps(state_before))
        probed["singer_state"]["bookmarks"]["e2e_probe"] = STATE_PROBE
        meltano("state", "set", "--force", sync.state_id, json.dumps(probed), env=warehouse_env)
        postgres.psql(readme_sql("-- once: store every timestamp of gong_engage with its time"))

        sync("target-postgres")
        yield TwoUpserts(
            expected=open_records(dataset),
            types_before=types_before,
            types_after=column_types(postgres, sync.schema, "assigned_flows"),
            key_after=primary_key(postgres, sync.schema, "assigned_flows"),
            rows_before=rows_before,
            rows_after=postgres.query(f"SELECT * FROM {table}"),
            state_before=state_before,
            state_after=sync.state(),
            dataset=dataset,
        )


def test_postgres_column_types(two_upserts: TwoUpserts) -> None:
    """target-postgres 0.8.1 makes date-times `timestamp without time zone` (in UTC, see the
    next tests); after the README's one-time ALTER they stay `timestamp with time zone`."""
    text = dict.fromkeys(FIELDS, "text")
    assert {name: two_upserts.types_before[name] for name in FIELDS} == {
        **text,
        "flowInstanceCreateDate": "timestamp without time zone",
        "exclusive": "boolean",
    }
    assert {name: two_upserts.types_after[name] for name in FIELDS} == {
        **text,
        "flowInstanceCreateDate": "timestamp with time zone",
        "exclusive": "boolean",
    }
    assert two_upserts.types_after["_sdc_deleted_at"] == "timestamp with time zone"
    assert two_upserts.types_after["_sdc_table_version"] == "bigint"


def test_postgres_primary_key(two_upserts: TwoUpserts) -> None:
    assert two_upserts.key_after == ["flowInstanceId"]


def test_postgres_lands_exactly_the_expected_rows_in_utc(two_upserts: TwoUpserts) -> None:
    """Every open instance once, its create date the same instant as Gong's: the server's
    time zone is America/New_York, and meltano.yml pins the loader's session to UTC."""
    assert len(two_upserts.rows_before) == len(two_upserts.expected)
    assert comparable(two_upserts.rows_before) == two_upserts.expected


def test_second_sync_upserts_without_duplicates(two_upserts: TwoUpserts) -> None:
    assert len(two_upserts.rows_after) == len(two_upserts.expected)
    assert comparable(two_upserts.rows_after) == two_upserts.expected
    assert all(row["_sdc_deleted_at"] is None for row in two_upserts.rows_after)
    versions = {row["_sdc_table_version"] for row in two_upserts.rows_after}
    assert len(versions) == 1
    assert versions != {row["_sdc_table_version"] for row in two_upserts.rows_before}


def test_meltano_stores_the_state_and_passes_it_back(two_upserts: TwoUpserts) -> None:
    """The probe bookmark set between the syncs is in the state the second sync ended with:
    Meltano handed the stored state to the tap, which carried it on."""
    assert "assigned_flows" in two_upserts.state_before["singer_state"]["bookmarks"]
    bookmarks = two_upserts.state_after["singer_state"]["bookmarks"]
    assert "assigned_flows" in bookmarks
    assert bookmarks["e2e_probe"] == STATE_PROBE


def test_target_jsonl_writes_the_same_records(
    two_upserts: TwoUpserts, warehouse_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with GongSimulator(two_upserts.dataset, rate_limit_per_second=None) as simulator:
        Sync(warehouse_env, simulator, tmp_path, "jsonl")(
            "target-jsonl", TARGET_JSONL_DESTINATION_PATH=str(out)
        )
    lines = (out / "assigned_flows.jsonl").read_text().splitlines()
    written = [json.loads(line) for line in lines]
    assert len(written) == len(two_upserts.rows_after)
    assert comparable(written) == comparable(two_upserts.rows_after)


# Full refresh, overwrite: ACTIVATE_VERSION.


@pytest.mark.parametrize("hard_delete", [False, True], ids=["soft-delete", "hard-delete"])
def test_full_refresh_overwrite_drops_instances_that_finished(
    hard_delete: bool,
    warehouse_env: dict[str, str],
    postgres: PostgresServer,
    gong: GongSimulator,
    tmp_path: Path,
) -> None:
    mode = "hard" if hard_delete else "soft"
    sync = Sync(warehouse_env, gong, tmp_path, f"overwrite-{mode}", schema=f"overwrite_{mode}")
    flag = {"TARGET_POSTGRES_HARD_DELETE": str(hard_delete).lower()}

    sync("target-postgres", **flag)
    finished = finish_some(gong.dataset, 4)
    sync("target-postgres", **flag)

    rows = postgres.query(f"SELECT * FROM {sync.schema}.assigned_flows")
    marked = {row["flowInstanceId"] for row in rows if row["_sdc_deleted_at"] is not None}
    latest = readme_sql("-- the flow instances open at the latest sync")
    current = postgres.query(latest.replace("gong_engage.", f"{sync.schema}."))
    expected = open_records(gong.dataset)
    assert len(finished) == 4
    assert not finished & expected.keys()
    assert comparable(current) == expected
    assert len(current) == len(expected)
    assert marked == (set() if hard_delete else finished)


def test_full_refresh_overwrite_with_track_finished_flows_keeps_the_outcomes(
    warehouse_env: dict[str, str], postgres: PostgresServer, gong: GongSimulator, tmp_path: Path
) -> None:
    """Finished instances arrive with their final status one sync after they finish, and are
    marked deleted the sync after that, keeping that status (README, overwrite)."""
    sync = Sync(warehouse_env, gong, tmp_path, "overwrite-track", schema="overwrite_track")
    track = {"TAP_GONG_FLOWS_TRACK_FINISHED_FLOWS": "true"}
    table = f"{sync.schema}.assigned_flows"

    sync("target-postgres", **track)
    finished_ids = finish_some(gong.dataset, 5)
    still_open = set(open_records(gong.dataset))
    sync("target-postgres", **track)
    after_second = postgres.query(f"SELECT * FROM {table}")
    sync("target-postgres", **track)
    after_third = postgres.query(f"SELECT * FROM {table}")

    outcome = {fid: gong.dataset.instance(fid)["flowInstanceStatus"] for fid in finished_ids}
    assert set(outcome.values()) <= {"FinishedNoReply", "FinishedResponse", "Finished"}
    for rows, marked in ((after_second, set()), (after_third, finished_ids)):
        assert {row["flowInstanceId"] for row in rows} == still_open | finished_ids
        assert {r["flowInstanceId"] for r in rows if r["_sdc_deleted_at"] is not None} == marked
        by_id = {row["flowInstanceId"]: row["flowInstanceStatus"] for row in rows}
        assert {fid: by_id[fid] for fid in finished_ids} == outcome


# Full refresh, append: target-postgres-append.


def test_full_refresh_append_keeps_a_snapshot_per_sync(
    warehouse_env: dict[str, str], postgres: PostgresServer, gong: GongSimulator, tmp_path: Path
) -> None:
    sync = Sync(warehouse_env, gong, tmp_path, "append")  # the README's schema, gong_engage
    sync("target-postgres-append")
    first = open_records(gong.dataset)
    finished = finish_some(gong.dataset, 3)
    sync("target-postgres-append")
    second = open_records(gong.dataset)

    assert primary_key(postgres, sync.schema, "assigned_flows_snapshots") == []
    snapshots = postgres.query(
        f"SELECT {COLUMNS}, _sdc_sync_started_at FROM {sync.schema}.assigned_flows_snapshots"
    )
    syncs = sorted({row["_sdc_sync_started_at"] for row in snapshots})
    assert len(syncs) == 2
    for started, expected in zip(syncs, (first, second), strict=True):
        snapshot = [row for row in snapshots if row["_sdc_sync_started_at"] == started]
        assert len(snapshot) == len(expected)
        assert comparable(snapshot) == expected

    history = postgres.query(readme_sql("-- status of each flow instance in each sync"))
    assert len(history) == len(snapshots)
    changes = postgres.query(readme_sql("-- what changed from one sync to the next"))
    assert {(row["flowInstanceId"], row["was"], row["now"]) for row in changes} == {
        (fid, first[fid]["flowInstanceStatus"], "gone") for fid in finished
    }


# The plugins themselves.


def test_loaders_resolve_from_meltano_yml(warehouse_env: dict[str, str]) -> None:
    about = meltano("invoke", "target-postgres", "--about", "--format=json", env=warehouse_env)
    assert "activate-version" in json.loads(about.stdout)["capabilities"]
    printed = meltano("config", "print", "target-postgres-append", env=warehouse_env)
    config = json.loads(printed.stdout)
    assert config["load_method"] == "append-only"
    assert config["activate_version"] is False
    assert config["stream_maps"]["*"]["__key_properties__"] == []
