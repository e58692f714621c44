"""End to end with PyAirbyte: ``ab.get_source("source-gong-flows", local_executable=...)``,
``check()``, then ``read()`` twice with PyAirbyte's defaults into its DuckDB cache, against
the Gong simulator.

PyAirbyte lives in its own virtualenv, ``.venv-pyairbyte`` (``bash scripts/pyairbyte_venv.sh``;
``.ci/run`` makes it). This test drives it through ``tests/pyairbyte_driver.py`` in a
subprocess. Without that venv the test is skipped, and fails instead under CI (``CI=true``) or
with ``E2E_REQUIRE_PYAIRBYTE=1``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tap_gong_flows.instance_set import decode_instance_ids
from tap_gong_flows.simulator import GongDataset, GongSimulator
from tap_gong_flows.streams.assigned_flows import FINISHED_STATUSES, OPEN_INSTANCES_KEY
from tap_gong_flows.tap import TapGongFlows

from .support import ACCESS_KEY_SECRET, REPO_ROOT, SyncOutput, run_tap

pytestmark = pytest.mark.e2e

VENV = REPO_ROOT / ".venv-pyairbyte"
REQUIREMENTS = REPO_ROOT / "scripts" / "pyairbyte-requirements.txt"
DRIVER = Path(__file__).with_name("pyairbyte_driver.py")
SOURCE = Path(sys.executable).parent / "source-gong-flows"
BAD_SECRET = "not-the-right-secret-4f9a"


def _pinned_version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("airbyte=="):
            return line.removeprefix("airbyte==").strip()
    raise AssertionError(f"{REQUIREMENTS} pins no airbyte version")


@pytest.fixture(scope="module")
def pyairbyte_python() -> Path:
    """The Python of .venv-pyairbyte, with the pinned PyAirbyte in it."""
    python = VENV / "bin" / "python"
    pinned = _pinned_version()
    problem = None
    if not python.exists():
        problem = f"{VENV.name} is missing"
    else:
        found = subprocess.run(
            [
                str(python),
                "-c",
                "from importlib.metadata import version; print(version('airbyte'))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout.strip()
        if found != pinned:
            problem = f"{VENV.name} has airbyte {found or 'nothing'}, not {pinned}"
    if problem is not None:
        message = f"{problem}: run bash scripts/pyairbyte_venv.sh"
        required = os.environ.get("E2E_REQUIRE_PYAIRBYTE") == "1"
        if required or os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PyAirbyte is required here, but {message}")
        pytest.skip(message)
    return python


class PyAirbyte:
    """Runs the driver in .venv-pyairbyte, from one working directory (where PyAirbyte's
    default cache lives), with its logs in ``logs/`` there."""

    def __init__(self, python: Path, workdir: Path) -> None:
        self.python = python
        self.workdir = workdir
        self.printed: list[str] = []  # everything the driver wrote to stdout and stderr
        self._calls = 0
        workdir.mkdir()

    def run(self, request: dict[str, Any]) -> Any:
        self._calls += 1
        request_path = self.workdir / f"request-{self._calls}.json"
        answer_path = self.workdir / f"answer-{self._calls}.json"
        request_path.write_text(json.dumps({**request, "executable": str(SOURCE)}))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TAP_GONG_FLOWS_", "AIRBYTE_", "VIRTUAL_ENV"))
        }
        env.update(
            AIRBYTE_OFFLINE_MODE="1",  # no registry look-up, no telemetry
            DO_NOT_TRACK="1",
            AIRBYTE_LOGGING_ROOT=str(self.workdir / "logs"),
        )
        done = subprocess.run(
            [str(self.python), str(DRIVER), str(request_path), str(answer_path)],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        self.printed += [done.stdout, done.stderr]
        assert done.returncode == 0, f"{request['command']} failed:\n{done.stderr[-4000:]}"
        request_path.unlink()  # it holds the secrets
        return json.loads(answer_path.read_text())

    def logs(self) -> str:
        """PyAirbyte's log files and the source's (PyAirbyte writes each to its own file)."""
        files = sorted(p for p in (self.workdir / "logs").rglob("*") if p.is_file())
        return "\n".join(p.read_text(errors="replace") for p in files)


# What the cache should hold


def _as_duckdb_keeps(value: str) -> str:
    """A date-time as PyAirbyte 0.71's DuckDB cache keeps it: a TIMESTAMP column, which holds
    the wall-clock time and drops the UTC offset ("09:33:28-08:00" becomes "09:33:28"). The
    source sends Gong's strings, offsets included, as the Singer path does."""
    return datetime.fromisoformat(value).replace(tzinfo=None).isoformat()


def as_cached(schema: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """A Singer record as a row of PyAirbyte's cache: every schema column, lower-case names,
    date-times as DuckDB keeps them."""
    row = {}
    for name, prop in schema["properties"].items():
        value = record.get(name)
        if isinstance(value, str) and prop.get("format") == "date-time":
            value = _as_duckdb_keeps(value)
        row[name.lower()] = value
    return row


def expected_table(
    tap: TapGongFlows, stream: str, syncs: Iterable[SyncOutput]
) -> dict[tuple[str, ...], dict[str, Any]]:
    """What the cache's table holds after these Singer syncs' records are merged by primary
    key, the later sync winning (PyAirbyte's default write for a stream with a key)."""
    keys = [key.lower() for key in tap.streams[stream].primary_keys or ()]
    schema = tap.streams[stream].schema
    table: dict[tuple[str, ...], dict[str, Any]] = {}
    for sync in syncs:
        for record in sync.records(stream):
            row = as_cached(schema, record)
            table[tuple(str(row[k]) for k in keys)] = row
    return table


def cached_table(
    tap: TapGongFlows, stream: str, answer: dict[str, Any]
) -> dict[tuple[str, ...], dict[str, Any]]:
    """The stream's table as the driver found it in the cache, without PyAirbyte's own
    columns, by primary key."""
    keys = [key.lower() for key in tap.streams[stream].primary_keys or ()]
    table = {}
    for row in answer["streams"][stream]:
        data = {k: v for k, v in row.items() if not k.startswith("_airbyte_")}
        table[tuple(str(data[k]) for k in keys)] = data
    assert len(table) == len(answer["streams"][stream]), f"{stream}: duplicate keys in the cache"
    return table


def extracted_at(answer: dict[str, Any], stream: str) -> dict[str, str]:
    """When PyAirbyte wrote each row of the stream's table, by row ID."""
    return {str(row["id"]): row["_airbyte_extracted_at"] for row in answer["streams"][stream]}


def test_pyairbyte_check_and_two_default_reads_of_every_stream(
    pyairbyte_python: Path,
    simulator: GongSimulator,
    dataset: GongDataset,
    base_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    ids = list(dataset.prospect_ids())[:150]
    config = {**base_config, "crm_prospect_ids": ids, "track_finished_flows": True}
    tap = TapGongFlows(config=config, validate_config=False)
    streams = list(tap.streams)
    client = PyAirbyte(pyairbyte_python, tmp_path / "pyairbyte")

    # check(): good credentials pass; bad ones fail cleanly, in Gong's words.
    bad = {**config, "access_key_secret": BAD_SECRET}
    good_check, bad_check = client.run({"command": "check", "configs": [config, bad]})
    assert good_check == {"ok": True}
    assert bad_check["ok"] is False
    assert bad_check["error"] == "AirbyteConnectorCheckFailedError"
    assert bad_check["reason"].startswith("GET /v2/users answered 401 Unauthorized")
    assert "Invalid access key or secret" in bad_check["reason"]
    assert "Traceback" not in "".join(client.printed)

    # read() twice with PyAirbyte's defaults; the Singer path syncs the same between them.
    first = client.run({"command": "read", "config": config})
    singer_first = run_tap(config, streams=tuple(streams))
    open_before = {r["flowInstanceId"] for r in dataset.expected_open_records(ids)}
    dataset.finish_instances(0.3)
    open_after = {r["flowInstanceId"] for r in dataset.expected_open_records(ids)}
    finished = sorted(open_before - open_after, key=int)
    assert finished, "the simulator should have finished some instances"
    second = client.run({"command": "read", "config": config})
    singer_state = singer_first.of_type("STATE")[-1]["value"]
    singer_second = run_tap(config, state=singer_state, streams=tuple(streams))

    # Exactly the Singer path's records, every stream, after each read.
    assert first["processed_records"] == len(singer_first.of_type("RECORD"))
    assert second["processed_records"] == len(singer_second.of_type("RECORD"))
    for stream in streams:
        cached = cached_table(tap, stream, first)
        assert cached == expected_table(tap, stream, [singer_first]), stream
        assert cached, stream
        assert cached_table(tap, stream, second) == expected_table(
            tap, stream, [singer_first, singer_second]
        ), stream

    # tasks: the first read's bookmark is the newest task; the second read starts from it
    # (PyAirbyte hands it back), so no task is sent again and the rows stay as written.
    tasks_bookmark = first["states"]["tasks"]
    assert tasks_bookmark == singer_state["bookmarks"]["tasks"]
    assert tasks_bookmark["replication_key"] == "updated"
    newest = max(singer_first.records("tasks"), key=lambda t: datetime.fromisoformat(t["updated"]))
    assert tasks_bookmark["replication_key_value"] == newest["updated"]
    assert singer_second.records("tasks") == []
    assert extracted_at(second, "tasks") == extracted_at(first, "tasks")
    assert second["states"]["tasks"] == tasks_bookmark

    # track_finished_flows: the open list travelled in assigned_flows' state, and the second
    # read brought each finished instance with its final status.
    opened = first["states"]["assigned_flows"][OPEN_INSTANCES_KEY]
    assert set(decode_instance_ids(opened)) == open_before
    rows = {r["flowinstanceid"]: r for r in second["streams"]["assigned_flows"]}
    outcomes = dataset.expected_instance_records(finished)
    assert [rows[i]["flowinstancestatus"] for i in finished] == [
        r["flowInstanceStatus"] for r in outcomes
    ]
    assert all(rows[i]["flowinstancestatus"] in FINISHED_STATUSES for i in finished)
    assert {i for i, r in rows.items() if r["flowinstancestatus"] not in FINISHED_STATUSES} == (
        open_after
    )
    still_open = second["states"]["assigned_flows"][OPEN_INSTANCES_KEY]
    assert set(decode_instance_ids(still_open)) == open_after

    # What PyAirbyte was told: one line per read on the streams read as full refresh.
    logs = client.logs()
    assert logs.count("Read as full refresh, the only mode they have (asked for incremental)") == 2
    # No secret in anything printed or logged.
    for text in [*client.printed, logs]:
        assert ACCESS_KEY_SECRET not in text
        assert BAD_SECRET not in text
