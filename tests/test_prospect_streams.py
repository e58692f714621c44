"""The prospects parent stream: sources, selection, batching, resumable state, progress."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_gong_flows.progress import SyncProgress
from tap_gong_flows.prospect_ids import ConfigIds, unique_prospect_ids
from tap_gong_flows.seen_ids import SeenIds
from tap_gong_flows.settings import setting_value
from tap_gong_flows.simulator import Fault, FaultPlan, GongDataset, GongSimulator
from tap_gong_flows.streams.assigned_flows import RESUME_KEY

from .support import (
    ACCESS_TOKEN,
    SyncOutput,
    asked_ids,
    catalog_selecting,
    run_tap,
    run_tap_capturing_failure,
)

PATH = "/v2/flows/prospects"


def _resume_positions(output: SyncOutput) -> list[int | None]:
    return [
        m["value"]["bookmarks"].get("assigned_flows", {}).get(RESUME_KEY)
        for m in output.of_type("STATE")
    ]


def test_prospect_records_carry_their_source(
    dataset: GongDataset, base_config: dict[str, Any], tmp_path: Path
) -> None:
    ids = list(dataset.prospect_ids())[:30]
    csv_file = tmp_path / "ids.csv"
    csv_file.write_text("Email,ContactId\n" + "".join(f"x@y.io,{i}\n" for i in ids[10:]))
    config = {
        **base_config,
        "crm_prospect_ids": ids[:15],
        "crm_prospect_ids_file": str(csv_file),
        "crm_prospect_ids_column": "ContactId",
    }
    output = run_tap(config)
    assert output.records("prospects") == [
        {"crmProspectId": i, "source": "crm_prospect_ids" if n < 15 else "crm_prospect_ids_file"}
        for n, i in enumerate(ids)
    ]
    assert output.records() == dataset.expected_open_records(ids)


def test_assigned_flows_alone_still_fed_by_its_parent(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:120]
    config = {**base_config, "crm_prospect_ids": ids, "prospect_ids_per_request": 50}
    output = run_tap(config, catalog=catalog_selecting(config, "assigned_flows"))
    assert output.records("prospects") == []
    assert output.of_type("SCHEMA", "prospects") == []
    assert output.records() == dataset.expected_open_records(ids)
    assert sorted(len(b) for b in asked_ids(simulator)) == [20, 50, 50]
    assert len(output.of_type("SCHEMA", "assigned_flows")) == 1


def test_prospects_alone_cost_no_request(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:40]
    config = {**base_config, "crm_prospect_ids": ids + ids[:5]}
    output = run_tap(config, catalog=catalog_selecting(config, "prospects"))
    assert [r["crmProspectId"] for r in output.records("prospects")] == ids
    assert output.records() == []
    assert simulator.request_log == []


def test_state_marks_each_finished_batch_and_resets_at_the_end(
    dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:95]
    output = run_tap({**base_config, "crm_prospect_ids": ids, "prospect_ids_per_request": 20})
    positions = [p for p in _resume_positions(output) if p is not None]
    assert positions == [20, 40, 60, 80, 95]
    assert _resume_positions(output)[-1] is None  # a finished sync starts over next time
    state = json.dumps(output.of_type("STATE")[-1])
    assert len(state) < 300, "state is a position, not a list of IDs"


def test_fatal_error_then_resume_asks_nothing_twice_and_loses_nothing(
    faults: FaultPlan, simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:200]
    config = {
        **base_config,
        "crm_prospect_ids": ids,
        "prospect_ids_per_request": 25,
        "max_retries": 1,
    }
    # Batch 4 fails twice (its two attempts): the sync dies there, with batches after it
    # maybe in flight already; they are not written.
    faults.enqueue(Fault.status(500), path=PATH, times=2, body_contains=ids[75])
    first, error = run_tap_capturing_failure(config)
    assert error is not None
    assert "batch 4" in str(error)
    state = first.of_type("STATE")[-1]["value"]
    assert state["bookmarks"]["assigned_flows"][RESUME_KEY] == 75

    assert first.records() == dataset.expected_open_records(ids[:75])  # nothing past batch 4

    # A request the failed run had let go may still land; the resumed run uses a bearer
    # token, so that its own requests can be told apart.
    resumed = {k: v for k, v in config.items() if not k.startswith("access_key")}
    second = run_tap({**resumed, "access_token": ACCESS_TOKEN}, state=state)
    asked = asked_ids(simulator, auth_scheme="bearer")
    assert sorted(asked) == [ids[i : i + 25] for i in range(75, 200, 25)]
    assert first.records() + second.records() == dataset.expected_open_records(ids)


def test_killed_tap_process_resumes_without_loss(
    dataset: GongDataset, simulator: GongSimulator, tmp_path: Path
) -> None:
    ids = list(dataset.prospect_ids())
    config = {
        "api_url": simulator.url,
        "access_key": "sim-access-key",
        "access_key_secret": "sim-access-key-secret-0123456789",
        "crm_prospect_ids": ids,
        "prospect_ids_per_request": 10,
        "max_requests_per_second": 25,  # 50 batches: about two seconds
    }
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    argv = [sys.executable, "-m", "tap_gong_flows", "--config", str(config_path)]

    first_lines: list[str] = []
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path
    ) as process:
        assert process.stdout is not None
        states = 0
        for line in process.stdout:
            first_lines.append(line)
            if '"STATE"' in line and RESUME_KEY in line:
                states += 1
                if states == 12:
                    process.send_signal(signal.SIGKILL)
                    break
        first_lines += process.stdout.readlines()
    first = SyncOutput.parse("".join(first_lines))
    last_state = first.of_type("STATE")[-1]["value"]
    done = last_state["bookmarks"]["assigned_flows"][RESUME_KEY]
    assert 100 <= done < len(ids)

    # Batches sent past the saved position: at most the in-flight window (and the one being
    # written), the most a resumed sync asks again.
    in_flight_cap = int(setting_value({}, "max_requests_in_flight"))
    beyond = [b for b in asked_ids(simulator) if ids.index(b[0]) >= done]
    assert len(beyond) <= in_flight_cap + 1

    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps(last_state))
    simulator.reset_log()
    result = subprocess.run(
        [*argv, "--state", str(state_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    second = SyncOutput.parse(result.stdout)
    assert asked_ids(simulator)[0] == ids[done : done + 10]

    expected = dataset.expected_open_records(ids)
    combined = first.records() + second.records()
    keys = [r["flowInstanceId"] for r in combined]
    assert {r["flowInstanceId"] for r in expected} == set(keys)  # nothing lost
    duplicated = {k for k in keys if keys.count(k) > 1}
    in_flight = {r["flowInstanceId"] for r in dataset.expected_open_records(ids[done : done + 10])}
    assert duplicated <= in_flight  # at most the batch in flight was asked twice
    assert _resume_positions(second)[-1] is None


def test_seen_ids_spill_to_disk_and_stay_exact() -> None:
    seen = SeenIds(memory_limit=100)
    ids = [f"id-{n % 700}" for n in range(2_000)]
    added = [i for i in ids if seen.add(i)]
    assert added == [f"id-{n}" for n in range(700)]
    assert seen.count == 700
    seen.close()


@settings(max_examples=40, deadline=None)
@given(
    chunks=st.lists(st.lists(st.integers(0, 400).map(lambda n: f"id-{n}"), max_size=120)),
    limit=st.integers(1, 150),
)
def test_bulk_add_keeps_first_occurrences_across_the_spill(
    chunks: list[list[str]], limit: int
) -> None:
    seen = SeenIds(memory_limit=limit)
    got = [new for chunk in chunks for new in seen.add_new(chunk)]
    expected = list(dict.fromkeys(i for chunk in chunks for i in chunk))
    assert got == expected
    assert seen.count == len(expected)
    assert all(i in seen for i in expected)
    assert "id-never" not in seen
    seen.close()


def test_unique_ids_across_many_sources_with_spill() -> None:
    sources = [ConfigIds([f"p{n}" for n in range(k, k + 300)]) for k in range(0, 900, 150)]
    seen = SeenIds(memory_limit=50)
    got = [i for i, _ in unique_prospect_ids(sources, seen)]
    assert got == [f"p{n}" for n in range(1050)]


def test_progress_line_with_total_eta_and_resume(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    progress = SyncProgress(
        logging.getLogger("p"), total=1_000, already_done=200, interval=5, clock=lambda: now[0]
    )
    with caplog.at_level(logging.INFO):
        now[0] = 2
        progress.update(prospects=100, records=50, requests=1, rate_limited=0)
        assert caplog.messages == []  # not yet: every 5 s at most
        now[0] = 10
        progress.update(prospects=400, records=210, requests=4, rate_limited=1)
    (line,) = caplog.messages
    assert line == (
        "Progress: 600 prospects of about 1,000 (60.0%) (resumed after 200), 210 records, "
        "4 requests, 1 rate-limited, 10s elapsed, ETA 10s"
    )


def test_activate_version_once_at_the_end_and_kept_across_a_resume(
    faults: FaultPlan, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    ids = list(dataset.prospect_ids())[:300]
    config = {
        **base_config,
        "crm_prospect_ids": ids,
        "prospect_ids_per_request": 50,
        "max_retries": 0,
        "emit_activate_version_messages": True,
    }
    for _ in range(2):
        faults.enqueue(Fault.slow(0), path=PATH)
    faults.enqueue(Fault.status(500), path=PATH)
    catalog = catalog_selecting(config, "prospects", "assigned_flows")
    first, error = run_tap_capturing_failure(config, catalog=catalog)
    assert error is not None
    assert first.of_type("ACTIVATE_VERSION") == []  # an incomplete sync drops no row
    state = first.of_type("STATE")[-1]["value"]
    version = state["bookmarks"]["prospects"]["table_version"]
    assert {m["version"] for m in first.of_type("RECORD")} == {version}

    time.sleep(1.1)  # the resumed run starts in a later second: a later version of its own
    second = run_tap(config, state=state)
    assert {m["version"] for m in second.of_type("RECORD")} == {version}
    activations = second.of_type("ACTIVATE_VERSION")
    assert [(m["stream"], m["version"]) for m in activations] == [
        ("assigned_flows", version),
        ("prospects", version),
    ]
    last_record = max(i for i, m in enumerate(second.messages) if m["type"] == "RECORD")
    assert second.messages.index(activations[-1]) > last_record
    final = second.of_type("STATE")[-1]["value"]["bookmarks"]
    assert "table_version" not in final["prospects"]
    assert first.records() + second.records() == dataset.expected_open_records(ids)


def test_a_file_fed_sync_reports_progress_against_the_file_size(
    dataset: GongDataset, base_config: dict[str, Any], tmp_path: Path, caplog: Any
) -> None:
    ids = list(dataset.prospect_ids())[:250]
    id_file = tmp_path / "ids.txt"
    id_file.write_text("\n".join(ids) + "\n")
    with caplog.at_level(logging.INFO):
        output = run_tap({**base_config, "crm_prospect_ids_file": str(id_file)})
    assert output.records() == dataset.expected_open_records(ids)
    progress = [m for m in caplog.messages if m.startswith("Progress:")]
    assert progress
    assert progress[-1].startswith("Progress: 250 prospects of about 250 (100.0%)")
    summary = [m for m in caplog.messages if m.startswith("assigned_flows: ")]
    assert summary == [
        f"assigned_flows: 250 prospects in 3 requests, {len(output.records())} records; "
        "0 retries, 0 rate-limited answers"
    ]
