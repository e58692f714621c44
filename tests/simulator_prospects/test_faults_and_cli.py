"""The simulator's injected faults, its shutdown, and its command line."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tap_gong_flows.simulator import (
    Fault,
    FaultPlan,
    GongDataset,
    GongSimulator,
)

from ..support import REPO_ROOT, FakeClock, simulator_cli
from .fixed_records import PENDING_0, RUNNING_2, SMALL_IDS, SMALL_OPEN
from .prospects_api import (
    ALL_IDS,
    DATASET,
    IDS_WITH_OPEN_FLOWS,
    PROSPECTS_PATH,
    RECORD_FIELDS,
    assert_gong_error,
    post,
    raw_exchange,
    read_one_response,
)

# -- faults ---------------------------------------------------------------------------


def test_status_fault_with_html_body(sim: GongSimulator) -> None:
    page = "<html><body>Service Unavailable</body></html>"
    sim.faults.enqueue(Fault.status(503, body=page, content_type="text/html"))
    response = post(sim, {"crmProspectsIds": ALL_IDS[:1]})
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html"
    assert response.text == page
    assert sim.request_log[-1].status == 503
    assert sim.request_log[-1].fault == "status"


def test_status_fault_defaults_to_a_gong_error_body(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.status(500, headers={"X-Trace": "abc"}))
    response = post(sim, {"crmProspectsIds": ALL_IDS[:1]})
    assert_gong_error(response, 500)
    assert response.headers["X-Trace"] == "abc"


@pytest.mark.parametrize(("retry_after", "header"), [(7, "7"), (None, None)])
def test_rate_limited_fault(
    sim: GongSimulator, retry_after: int | None, header: str | None
) -> None:
    sim.faults.enqueue(Fault.rate_limited(retry_after=retry_after))
    response = post(sim, {"crmProspectsIds": ALL_IDS[:1]})
    assert_gong_error(response, 429)
    assert response.headers.get("Retry-After") == header


def test_drop_connection_fault(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.drop_connection(), times=2)
    with pytest.raises(requests.ConnectionError):
        post(sim, {"crmProspectsIds": ALL_IDS[:1]})
    assert raw_exchange(sim, {"crmProspectsIds": ALL_IDS[:1]}) == b""
    assert [e.status for e in sim.request_log] == [None, None]
    assert post(sim, {"crmProspectsIds": ALL_IDS[:1]}).status_code == 200


def test_reset_mid_body_fault(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.reset_mid_body(), times=2)
    received = raw_exchange(sim, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:5]})
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    declared = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
    assert 0 < len(body) < declared
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        post(sim, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:5]})


def test_slow_fault_delays_a_normal_answer() -> None:
    clock = FakeClock()
    with GongSimulator(DATASET, rate_limit_per_second=None, clock=clock, sleep=clock.sleep) as slow:
        slow.faults.enqueue(Fault.slow(0.4))
        delayed = post(slow, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:3]})
        prompt = post(slow, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:3]})
        log = slow.request_log
    assert clock.slept == [0.4]  # the one slow answer, and no other wait
    assert [(e.fault, e.answered - e.arrived) for e in log] == [("slow", 0.4), (None, 0.0)]
    assert delayed.status_code == 200
    assert delayed.json()["prospectsAssigned"] == prompt.json()["prospectsAssigned"]


def test_slow_fault_outlasts_a_short_client_timeout(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.slow(1.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(sim, {"crmProspectsIds": ALL_IDS[:1]}, timeout=0.2)


def test_non_json_fault(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.non_json())
    response = post(sim, {"crmProspectsIds": ALL_IDS[:1]})
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


def test_truncated_json_fault(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.truncated_json())
    response = post(sim, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:5]})
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.text.startswith('{"requestId":')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_missing_and_null_records_faults(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.missing_records())
    sim.faults.enqueue(Fault.null_records())
    missing = post(sim, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:2]}).json()
    null = post(sim, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:2]}).json()
    assert set(missing) == {"requestId"}
    assert set(null) == {"requestId", "prospectsAssigned"}
    assert null["prospectsAssigned"] is None


def test_extra_fields_fault(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.extra_fields())
    records = post(sim, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:3]}).json()["prospectsAssigned"]
    assert records
    for record in records:
        assert set(record) > set(RECORD_FIELDS)
        assert record["flowInstanceStatus"] == "Snoozed"


def test_foreign_records_fault(small_sim: GongSimulator) -> None:
    asked = SMALL_IDS[:3]
    small_sim.faults.enqueue(Fault.foreign_records())
    records = post(small_sim, {"crmProspectsIds": asked}).json()["prospectsAssigned"]
    assert records[:2] == [PENDING_0, RUNNING_2]  # the true answer first
    foreign = records[2:]
    assert foreign
    assert all(record["crmProspectId"] not in asked for record in foreign)


def test_foreign_records_fault_even_when_every_prospect_was_asked() -> None:
    tiny = GongDataset(3, seed=7)
    with GongSimulator(tiny, rate_limit_per_second=None) as simulator:
        simulator.faults.enqueue(Fault.foreign_records())
        asked = list(tiny.prospect_ids())
        records = post(simulator, {"crmProspectsIds": asked}).json()["prospectsAssigned"]
    assert any(record["crmProspectId"] not in asked for record in records)


def test_faults_match_paths_and_run_out(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.status(502), path="/v2/flows")
    sim.faults.enqueue(Fault.status(500), path=PROSPECTS_PATH, times=2)
    statuses = [post(sim, {"crmProspectsIds": ALL_IDS[:1]}).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert sim.faults.pending == 1
    sim.faults.clear()
    assert sim.faults.pending == 0


def test_random_faults_are_transient_and_repeatable() -> None:
    first = FaultPlan(random_rate=0.5, seed=42)
    second = FaultPlan(random_rate=0.5, seed=42)
    sequence = [first.next_fault(PROSPECTS_PATH) for _ in range(200)]
    assert sequence == [second.next_fault(PROSPECTS_PATH) for _ in range(200)]
    hits = [fault for fault in sequence if fault is not None]
    assert 60 < len(hits) < 140
    assert all(fault.is_transient for fault in hits)
    assert {fault.kind for fault in hits} >= {"status", "rate_limited", "drop_connection"}
    assert FaultPlan(random_rate=0.5, seed=42).next_fault("/other") == sequence[0]
    assert all(FaultPlan().next_fault(PROSPECTS_PATH) is None for _ in range(50))
    with pytest.raises(ValueError, match="transient"):
        FaultPlan(random_rate=0.1, kinds=[Fault.truncated_json()])


def test_random_faults_through_the_server() -> None:
    plan = FaultPlan(random_rate=1.0, seed=3, kinds=[Fault.status(503)])
    with GongSimulator(DATASET, rate_limit_per_second=None, faults=plan) as simulator:
        responses = [post(simulator, {"crmProspectsIds": ALL_IDS[:1]}) for _ in range(3)]
    assert [r.status_code for r in responses] == [503, 503, 503]


def test_stop_closes_idle_keep_alive_connections() -> None:
    simulator = GongSimulator(DATASET, rate_limit_per_second=None).start()
    with socket.create_connection((simulator.host, simulator.port), timeout=5) as idle:
        idle.sendall(f"GET /nowhere HTTP/1.1\r\nHost: {simulator.host}\r\n\r\n".encode())
        assert read_one_response(idle).startswith(b"HTTP/1.1 404")
        simulator.stop()
        with contextlib.suppress(ConnectionResetError):  # an abortive close is as final
            assert idle.recv(1) == b""
    simulator.stop()  # stopping twice is harmless
    with pytest.raises(RuntimeError):
        _ = simulator.url


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    args = (
        "--prospects", "6", "--seed", "9", "--write-ids", str(tmp_path / "ids.txt"),
        "--access-token", "cli-token",
    )  # fmt: skip
    with simulator_cli(*args, cwd=tmp_path) as (process, line):
        match = re.fullmatch(r"Gong API simulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        assert (tmp_path / "ids.txt").read_text().splitlines() == SMALL_IDS
        response = requests.post(
            match.group(1) + PROSPECTS_PATH,
            json={"crmProspectsIds": SMALL_IDS},
            headers={"Authorization": "Bearer cli-token"},
            timeout=5,
        )
        assert response.json()["prospectsAssigned"] == SMALL_OPEN
        process.send_signal(signal.SIGTERM)
        remaining_stdout, stderr = process.communicate(timeout=5)
        assert process.returncode == 0
        assert remaining_stdout == ""
        assert "Traceback" not in stderr


def test_cli_refuses_non_loopback_hosts() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "tap_gong_flows.simulator", "--host", "0.0.0.0"],
        capture_output=True, text=True, env=env, timeout=10, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr
    assert result.stdout == ""
