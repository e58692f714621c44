"""Tests of the Gong API simulator: dataset, HTTP behaviour, faults and command line."""

from __future__ import annotations

import base64
import collections
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_gong_flows.simulator import (
    Fault,
    FaultPlan,
    GongDataset,
    GongSimulator,
    parse_prospect_index,
    prospect_id,
)
from tap_gong_flows.simulator.model.dataset import FINISHED_STATUSES, OPEN_STATUSES
from tap_gong_flows.simulator.serving.rate_limits import RequestLimiter

from .support import REPO_ROOT, simulator_cli

PROSPECTS_PATH = "/v2/flows/prospects"
BASIC_AUTH = ("sim-access-key", "sim-access-key-secret")
BEARER_HEADERS = {"Authorization": "Bearer sim-access-token"}
REQUEST_ID = re.compile(r"^[a-z0-9]{19}$")
RECORD_FIELDS = {
    "flowId": str,
    "flowName": str,
    "crmProspectId": str,
    "flowInstanceId": str,
    "flowInstanceOwnerEmail": str,
    "flowInstanceOwnerFullName": str,
    "flowInstanceCreateDate": str,
    "flowInstanceStatus": str,
    "workspaceId": str,
    "exclusive": bool,
}

DATASET = GongDataset(300, seed=7)
ALL_IDS = list(DATASET.prospect_ids())
IDS_WITH_OPEN_FLOWS = [i for i in ALL_IDS if DATASET.open_assigned_flows(i)]
FINISHED_INSTANCES = [
    record
    for crm_id in ALL_IDS
    for record in DATASET.assigned_flows(crm_id)
    if record["flowInstanceStatus"] in FINISHED_STATUSES
]


@pytest.fixture(scope="module")
def sim() -> Iterator[GongSimulator]:
    """An unthrottled simulator shared by the tests that do not depend on quotas."""
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=None) as simulator:
        yield simulator


def post(simulator: GongSimulator, body: Any, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", BASIC_AUTH)
    kwargs.setdefault("timeout", 5)
    if isinstance(body, bytes | str):
        return requests.post(simulator.url + PROSPECTS_PATH, data=body, **kwargs)
    return requests.post(simulator.url + PROSPECTS_PATH, json=body, **kwargs)


def raw_exchange(simulator: GongSimulator, body: dict[str, Any]) -> bytes:
    """Send one request over a plain socket and return every byte until the server closes."""
    payload = json.dumps(body).encode()
    credentials = base64.b64encode(b"sim-access-key:sim-access-key-secret").decode()
    head = (
        f"POST {PROSPECTS_PATH} HTTP/1.1\r\nHost: {simulator.host}\r\n"
        f"Authorization: Basic {credentials}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    with socket.create_connection((simulator.host, simulator.port), timeout=5) as connection:
        connection.sendall(head.encode() + payload)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def assert_gong_error(response: requests.Response, status: int) -> list[str]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert REQUEST_ID.match(body["requestId"])
    assert body["errors"]
    assert all(isinstance(message, str) and message for message in body["errors"])
    return list(body["errors"])


# -- identifiers and dataset ----------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1, 61, 62, 3843, 999_999, 123_456_789, 62**9 - 1])
def test_prospect_id_round_trips(index: int) -> None:
    crm_id = prospect_id(index)
    assert len(crm_id) == 18
    assert crm_id.startswith("003")
    assert crm_id.isalnum()
    assert parse_prospect_index(crm_id) == index


def test_prospect_ids_are_distinct_and_reject_tampering() -> None:
    ids = [prospect_id(index) for index in range(5000)]
    assert len(set(ids)) == len(ids)
    tampered = ids[42][:-1] + ("A" if ids[42][-1] != "A" else "B")
    assert parse_prospect_index(tampered) is None
    swapped_body = ids[42][:10] + ids[43][10:15] + ids[42][15:]
    assert parse_prospect_index(swapped_body) is None
    for garbage in ["", "a5V1Q00A120DP4CVAW", ids[42][:15], ids[42] + "X", "0035g0!!!!!!!!!ABC"]:
        assert parse_prospect_index(garbage) is None
    with pytest.raises(ValueError, match="out of range"):
        prospect_id(-1)


def test_dataset_is_deterministic_and_seed_dependent() -> None:
    ids = ALL_IDS[:100]
    again = GongDataset(300, seed=7)
    other_seed = GongDataset(300, seed=8)
    assert list(again.prospect_ids()) == ALL_IDS
    assert [again.assigned_flows(i) for i in ids] == [DATASET.assigned_flows(i) for i in ids]
    assert [other_seed.assigned_flows(i) for i in ids] != [DATASET.assigned_flows(i) for i in ids]


def test_instance_counts_follow_the_intended_mix() -> None:
    dataset = GongDataset(4000, seed=1)
    counts = collections.Counter(len(dataset.assigned_flows(i)) for i in dataset.prospect_ids())
    share = {count: counts[count] / 4000 for count in range(4)}
    assert set(counts) == {0, 1, 2, 3}
    assert 0.26 < share[0] < 0.34
    assert 0.41 < share[1] < 0.49
    assert 0.17 < share[2] < 0.23
    assert 0.03 < share[3] < 0.07


def test_records_are_well_formed_and_varied() -> None:
    records = [record for crm_id in ALL_IDS for record in DATASET.assigned_flows(crm_id)]
    shapes = set()
    for crm_id in ALL_IDS:
        flows = DATASET.assigned_flows(crm_id)
        assert len({record["flowId"] for record in flows}) == len(flows)
        assert all(record["crmProspectId"] == crm_id for record in flows)
    for record in records:
        assert list(record) == list(RECORD_FIELDS)
        assert all(isinstance(record[key], kind) for key, kind in RECORD_FIELDS.items())
        assert re.fullmatch(r"\d{19}", record["flowId"])
        assert re.fullmatch(r"\d{19}", record["flowInstanceId"])
        created = datetime.fromisoformat(record["flowInstanceCreateDate"])
        assert created.tzinfo is not None
        assert datetime(2025, 1, 1, tzinfo=UTC) <= created < datetime(2027, 1, 1, tzinfo=UTC)
        text = record["flowInstanceCreateDate"]
        shapes.add(("Z" if text.endswith("Z") else "offset", len(text.split(".")[-1])))
    assert {shape for shape, _ in shapes} == {"Z", "offset"}
    assert {status for status in (r["flowInstanceStatus"] for r in records)} == set(
        OPEN_STATUSES + FINISHED_STATUSES
    )
    assert len({r["flowInstanceId"] for r in records}) == len(records)
    assert len({r["flowInstanceOwnerEmail"] for r in records}) >= 5
    assert {r["exclusive"] for r in records} == {True, False}


def test_open_flows_exclude_finished_instances_and_unknown_ids() -> None:
    for crm_id in ALL_IDS:
        everything = DATASET.assigned_flows(crm_id)
        opened = DATASET.open_assigned_flows(crm_id)
        assert opened == [r for r in everything if r["flowInstanceStatus"] in OPEN_STATUSES]
    assert FINISHED_INSTANCES
    assert DATASET.open_assigned_flows(prospect_id(300)) == []  # just past the dataset
    assert DATASET.open_assigned_flows("not-a-crm-id") == []
    assert DATASET.expected_open_records(ALL_IDS[:20]) == [
        record for crm_id in ALL_IDS[:20] for record in DATASET.open_assigned_flows(crm_id)
    ]


def test_open_instance_of_an_exclusive_flow_is_the_only_open_one() -> None:
    dataset = GongDataset(3000, seed=2)
    exclusive_prospects = 0
    for crm_id in dataset.prospect_ids():
        opened = dataset.open_assigned_flows(crm_id)
        if any(record["exclusive"] for record in opened):
            exclusive_prospects += 1
            assert len(opened) == 1, opened
    assert exclusive_prospects > 100


def test_instances_resolve_by_id_whatever_their_status() -> None:
    for crm_id in ALL_IDS:
        for record in DATASET.assigned_flows(crm_id):
            assert DATASET.instance(record["flowInstanceId"]) == record
    some_id = FINISHED_INSTANCES[0]["flowInstanceId"]
    assert DATASET.instance(some_id[:-1] + str((int(some_id[-1]) + 1) % 10)) is None
    assert DATASET.instance("1234567890") is None
    outside = GongDataset(10, seed=7)
    assert outside.instance(FINISHED_INSTANCES[-1]["flowInstanceId"]) is None


def test_large_datasets_cost_nothing_up_front() -> None:
    dataset = GongDataset(5_000_000)
    assert list(itertools.islice(dataset.prospect_ids(), 3)) == [prospect_id(i) for i in range(3)]
    assert dataset.prospect_index(prospect_id(4_999_999)) == 4_999_999
    assert dataset.prospect_index(prospect_id(5_000_000)) is None


# -- the endpoint ---------------------------------------------------------------------


def test_prospects_query_returns_open_flows_in_spec_shape(sim: GongSimulator) -> None:
    asked = ALL_IDS[:40]
    response = post(sim, {"crmProspectsIds": asked})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"requestId", "prospectsAssigned"}
    assert REQUEST_ID.match(body["requestId"])
    records = body["prospectsAssigned"]
    assert records == DATASET.expected_open_records(asked)
    assert records
    for record in records:
        assert set(record) == set(RECORD_FIELDS)
        for key, kind in RECORD_FIELDS.items():
            assert type(record[key]) is kind, key
        assert record["flowInstanceStatus"] in OPEN_STATUSES
        assert record["crmProspectId"] in asked
        assert datetime.fromisoformat(record["flowInstanceCreateDate"]).tzinfo is not None


def test_flow_instance_query_returns_finished_instances_too(sim: GongSimulator) -> None:
    wanted = [record["flowInstanceId"] for record in FINISHED_INSTANCES[:5]]
    response = post(sim, {"flowInstanceIds": [*wanted, "1700000000000000000"]})
    assert response.status_code == 200
    assert response.json()["prospectsAssigned"] == FINISHED_INSTANCES[:5]
    by_prospect = post(sim, {"crmProspectsIds": [FINISHED_INSTANCES[0]["crmProspectId"]]})
    returned = {r["flowInstanceId"] for r in by_prospect.json()["prospectsAssigned"]}
    assert wanted[0] not in returned


def test_unknown_prospects_yield_no_records(sim: GongSimulator) -> None:
    response = post(sim, {"crmProspectsIds": [prospect_id(10**6), "a5V1Q00A120DP4CVAW"]})
    assert response.status_code == 200
    assert response.json()["prospectsAssigned"] == []


def test_chunked_request_body_is_understood(sim: GongSimulator) -> None:
    payload = json.dumps({"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:2]}).encode()
    response = requests.post(
        sim.url + PROSPECTS_PATH,
        data=iter([payload[:10], payload[10:]]),  # a generator body is sent chunked
        auth=BASIC_AUTH,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 200
    assert sim.request_log[-1].body == {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:2]}
    expected = DATASET.expected_open_records(IDS_WITH_OPEN_FLOWS[:2])
    assert response.json()["prospectsAssigned"] == expected


def test_request_ids_are_fresh_for_every_answer(sim: GongSimulator) -> None:
    ids = {post(sim, {"crmProspectsIds": ALL_IDS[:1]}).json()["requestId"] for _ in range(3)}
    ids |= {post(sim, {}).json()["requestId"] for _ in range(3)}
    assert len(ids) == 6


def test_basic_and_bearer_authentication_are_accepted(sim: GongSimulator) -> None:
    assert post(sim, {"crmProspectsIds": ALL_IDS[:3]}).status_code == 200
    bearer = post(sim, {"crmProspectsIds": ALL_IDS[:3]}, auth=None, headers=BEARER_HEADERS)
    assert bearer.status_code == 200
    assert [entry.auth_scheme for entry in sim.request_log] == ["basic", "bearer"]


@pytest.mark.parametrize(
    ("auth", "headers"),
    [
        (None, {}),
        (("sim-access-key", "wrong-secret"), {}),
        (("wrong-key", "sim-access-key-secret"), {}),
        (None, {"Authorization": "Bearer wrong-token"}),
        (None, {"Authorization": "Basic not-base64!"}),
        (None, {"Authorization": "Token sim-access-token"}),
    ],
)
def test_bad_credentials_get_401(
    sim: GongSimulator, auth: tuple[str, str] | None, headers: dict[str, str]
) -> None:
    response = post(sim, {"crmProspectsIds": ALL_IDS[:3]}, auth=auth, headers=headers)
    assert_gong_error(response, 401)


@pytest.mark.parametrize(
    ("body", "expected_text"),
    [
        (b"{not json", "JSON object"),
        (b"", "JSON object"),
        ([ALL_IDS[0]], "JSON object"),
        ({}, "crmProspectsIds or flowInstanceIds"),
        ({"crmProspectsIds": None}, "crmProspectsIds or flowInstanceIds"),
        ({"crmProspectsIds": ALL_IDS[0]}, "array"),
        ({"crmProspectsIds": []}, "empty"),
        ({"crmProspectsIds": [ALL_IDS[0], 7]}, "[1] must be a string"),
        ({"crmProspectsIds": [ALL_IDS[0], ALL_IDS[1], ALL_IDS[0]]}, "unique"),
        ({"flowInstanceIds": [{"id": "1"}]}, "must be a string"),
        ({"crmProspectsIds": ALL_IDS[:1], "flowInstanceIds": ["1"]}, "not both"),
    ],
)
def test_malformed_bodies_get_400(sim: GongSimulator, body: Any, expected_text: str) -> None:
    errors = assert_gong_error(post(sim, body), 400)
    assert expected_text in errors[0]


def test_too_many_ids_get_400() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, max_ids_per_request=3) as simulator:
        assert post(simulator, {"crmProspectsIds": ALL_IDS[:3]}).status_code == 200
        errors = assert_gong_error(post(simulator, {"crmProspectsIds": ALL_IDS[:4]}), 400)
    assert "at most 3" in errors[0]


def test_unknown_path_and_wrong_method(sim: GongSimulator) -> None:
    missing = requests.post(sim.url + "/v2/flows/nowhere", json={}, auth=BASIC_AUTH, timeout=5)
    assert_gong_error(missing, 404)
    wrong_method = requests.get(sim.url + PROSPECTS_PATH, auth=BASIC_AUTH, timeout=5)
    assert_gong_error(wrong_method, 405)
    assert wrong_method.headers["Allow"] == "POST"


def test_keep_alive_connection_serves_several_requests(sim: GongSimulator) -> None:
    with requests.Session() as session:
        session.auth = BASIC_AUTH
        for crm_id in IDS_WITH_OPEN_FLOWS[:4]:
            response = session.post(
                sim.url + PROSPECTS_PATH, json={"crmProspectsIds": [crm_id]}, timeout=5
            )
            assert response.json()["prospectsAssigned"] == DATASET.open_assigned_flows(crm_id)


def test_request_log_records_what_was_answered(sim: GongSimulator) -> None:
    sim.reset_log()
    post(sim, {"crmProspectsIds": ALL_IDS[:2]})
    post(sim, {"crmProspectsIds": ALL_IDS[:2]}, auth=None)
    post(sim, b"garbage")
    log = sim.request_log
    assert [(e.method, e.path, e.status) for e in log] == [
        ("POST", PROSPECTS_PATH, 200),
        ("POST", PROSPECTS_PATH, 401),
        ("POST", PROSPECTS_PATH, 400),
    ]
    assert [e.body for e in log] == [{"crmProspectsIds": ALL_IDS[:2]}] * 2 + [None]
    assert [e.auth_scheme for e in log] == ["basic", None, "basic"]
    assert log[0].arrived <= log[1].arrived <= log[2].arrived <= time.monotonic()
    sim.reset_log()
    assert sim.request_log == []


# -- quotas ---------------------------------------------------------------------------


def test_burst_beyond_three_per_second_gets_429_with_retry_after() -> None:
    with GongSimulator(DATASET) as simulator, requests.Session() as session:
        session.auth = BASIC_AUTH
        url = simulator.url + PROSPECTS_PATH
        responses = [
            session.post(url, json={"crmProspectsIds": ALL_IDS[:1]}, timeout=5) for _ in range(5)
        ]
        assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
        for limited in responses[3:]:
            assert_gong_error(limited, 429)
            assert limited.headers["Retry-After"] == "1"
        time.sleep(1.05)
        assert session.post(url, json={"crmProspectsIds": ALL_IDS[:1]}, timeout=5).ok
        admitted = [e.arrived for e in simulator.request_log if e.status == 200]
    assert len(admitted) == 4
    assert admitted[3] - admitted[0] >= 1.0


def test_sliding_window_counts_only_admitted_requests() -> None:
    limiter = RequestLimiter(per_second=3, per_day=None)
    decisions = [limiter.admit(t) is None for t in (0.0, 0.1, 0.2, 0.3, 0.9, 1.05, 1.15, 1.21)]
    assert decisions == [True, True, True, False, False, True, True, True]
    # Out-of-order arrival: 0.95 would make four within [0.2, 1.2) with 0.2, 1.05, 1.15.
    assert limiter.admit(0.95) is not None


def test_daily_quota_answers_429_until_midnight_utc() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=2) as simulator:
        statuses = [post(simulator, {"crmProspectsIds": ALL_IDS[:1]}) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert_gong_error(statuses[2], 429)
    retry_after = int(statuses[2].headers["Retry-After"])
    seconds_left_today = 86_400 - time.time() % 86_400
    assert 1 <= retry_after <= 86_400
    assert abs(retry_after - seconds_left_today) < 5


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


def test_slow_fault_delays_a_normal_answer(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.slow(0.4))
    started = time.monotonic()
    response = post(sim, {"crmProspectsIds": IDS_WITH_OPEN_FLOWS[:3]})
    assert time.monotonic() - started >= 0.4
    assert response.json()["prospectsAssigned"] == DATASET.expected_open_records(
        IDS_WITH_OPEN_FLOWS[:3]
    )
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


def test_foreign_records_fault(sim: GongSimulator) -> None:
    asked = IDS_WITH_OPEN_FLOWS[:3]
    sim.faults.enqueue(Fault.foreign_records())
    records = post(sim, {"crmProspectsIds": asked}).json()["prospectsAssigned"]
    expected = DATASET.expected_open_records(asked)
    assert records[: len(expected)] == expected
    foreign = records[len(expected) :]
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


# -- lifecycle and command line -------------------------------------------------------


def read_one_response(connection: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    declared = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < declared:
        body += connection.recv(65536)
    return head


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
        "--prospects", "25", "--seed", "7", "--write-ids", str(tmp_path / "ids.txt"),
        "--access-token", "cli-token",
    )  # fmt: skip
    with simulator_cli(*args, cwd=tmp_path) as (process, line):
        match = re.fullmatch(r"Gong API simulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        assert (tmp_path / "ids.txt").read_text().splitlines() == ALL_IDS[:25]
        response = requests.post(
            match.group(1) + PROSPECTS_PATH,
            json={"crmProspectsIds": ALL_IDS[:25]},
            headers={"Authorization": "Bearer cli-token"},
            timeout=5,
        )
        assert response.json()["prospectsAssigned"] == DATASET.expected_open_records(ALL_IDS[:25])
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
