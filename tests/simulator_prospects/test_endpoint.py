"""The simulator's POST /v2/flows/prospects: answers in the spec's shape, authentication,
bad bodies, keep-alive, the request log, and its quotas."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest
import requests

from tap_gong_flows.simulator import (
    GongSimulator,
    prospect_id,
)
from tap_gong_flows.simulator.serving.rate_limits import RequestLimiter

from ..support import FakeClock
from .fixed_records import (
    OPEN_STATUS_NAMES,
    PAUSED_5,
    PENDING_0,
    RUNNING_2,
    SMALL_FINISHED,
    SMALL_IDS,
    SMALL_OPEN,
)
from .prospects_api import (
    ALL_IDS,
    BASIC_AUTH,
    BEARER_HEADERS,
    DATASET,
    PROSPECTS_PATH,
    RECORD_FIELDS,
    REQUEST_ID,
    assert_gong_error,
    post,
)

# -- the endpoint ---------------------------------------------------------------------


def test_prospects_query_answers_the_open_records_written_out(small_sim: GongSimulator) -> None:
    response = post(small_sim, {"crmProspectsIds": SMALL_IDS})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"requestId", "prospectsAssigned"}
    assert REQUEST_ID.match(body["requestId"])
    assert body["prospectsAssigned"] == SMALL_OPEN
    backwards = post(small_sim, {"crmProspectsIds": SMALL_IDS[::-1]}).json()
    assert backwards["prospectsAssigned"] == SMALL_OPEN[::-1]  # in the order asked
    nobody = post(small_sim, {"crmProspectsIds": [SMALL_IDS[1], SMALL_IDS[4]]}).json()
    assert nobody["prospectsAssigned"] == []  # no instance, or only finished ones


def test_prospects_query_answers_only_open_flows_of_the_asked_in_spec_shape(
    sim: GongSimulator,
) -> None:
    asked = ALL_IDS[:40]
    records = post(sim, {"crmProspectsIds": asked}).json()["prospectsAssigned"]
    assert records
    for record in records:
        assert set(record) == set(RECORD_FIELDS)
        for key, kind in RECORD_FIELDS.items():
            assert type(record[key]) is kind, key
        assert record["flowInstanceStatus"] in OPEN_STATUS_NAMES
        assert record["crmProspectId"] in asked
        assert datetime.fromisoformat(record["flowInstanceCreateDate"]).tzinfo is not None
    positions = [asked.index(record["crmProspectId"]) for record in records]
    assert positions == sorted(positions)  # prospect by prospect, in the order asked
    assert len({record["flowInstanceId"] for record in records}) == len(records)
    one_by_one = [
        record
        for crm_id in asked
        for record in post(sim, {"crmProspectsIds": [crm_id]}).json()["prospectsAssigned"]
    ]
    assert one_by_one == records  # a batch answers what its prospects answer alone


def test_flow_instance_query_returns_finished_instances_too(small_sim: GongSimulator) -> None:
    wanted = [record["flowInstanceId"] for record in SMALL_FINISHED]
    response = post(small_sim, {"flowInstanceIds": [*wanted, "1700000000000000000"]})
    assert response.status_code == 200
    assert response.json()["prospectsAssigned"] == SMALL_FINISHED
    by_prospect = post(small_sim, {"crmProspectsIds": [SMALL_FINISHED[0]["crmProspectId"]]})
    assert by_prospect.json()["prospectsAssigned"] == [RUNNING_2]  # not the finished one


def test_unknown_prospects_yield_no_records(sim: GongSimulator) -> None:
    response = post(sim, {"crmProspectsIds": [prospect_id(10**6), "a5V1Q00A120DP4CVAW"]})
    assert response.status_code == 200
    assert response.json()["prospectsAssigned"] == []


def test_chunked_request_body_is_understood(small_sim: GongSimulator) -> None:
    payload = json.dumps({"crmProspectsIds": SMALL_IDS[:3]}).encode()
    response = requests.post(
        small_sim.url + PROSPECTS_PATH,
        data=iter([payload[:10], payload[10:]]),  # a generator body is sent chunked
        auth=BASIC_AUTH,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 200
    assert small_sim.request_log[-1].body == {"crmProspectsIds": SMALL_IDS[:3]}
    assert response.json()["prospectsAssigned"] == [PENDING_0, RUNNING_2]


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


def test_keep_alive_connection_serves_several_requests(small_sim: GongSimulator) -> None:
    with requests.Session() as session:
        session.auth = BASIC_AUTH
        answers = [
            session.post(
                small_sim.url + PROSPECTS_PATH, json={"crmProspectsIds": [crm_id]}, timeout=5
            ).json()["prospectsAssigned"]
            for crm_id in SMALL_IDS
        ]
    assert answers == [[PENDING_0], [], [RUNNING_2], [], [], [PAUSED_5]]


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
    # On a clock that stands still, the five requests arrive in one instant whatever the
    # machine's load; the window opens again exactly one second after the first three.
    clock = FakeClock(start=50.0)
    with (
        GongSimulator(DATASET, clock=clock, sleep=clock.sleep) as simulator,
        requests.Session() as session,
    ):
        session.auth = BASIC_AUTH
        url = simulator.url + PROSPECTS_PATH

        def status() -> int:
            return session.post(url, json={"crmProspectsIds": ALL_IDS[:1]}, timeout=5).status_code

        responses = [
            session.post(url, json={"crmProspectsIds": ALL_IDS[:1]}, timeout=5) for _ in range(5)
        ]
        assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
        for limited in responses[3:]:
            assert_gong_error(limited, 429)
            assert limited.headers["Retry-After"] == "1"
        clock.advance(0.75)
        assert status() == 429  # the first three are still inside the last second
        clock.advance(0.25)
        assert status() == 200
        log = simulator.request_log
    assert [(e.arrived, e.status) for e in log] == [(50.0, 200)] * 3 + [(50.0, 429)] * 2 + [
        (50.75, 429),
        (51.0, 200),
    ]


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
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 86_400


def test_daily_quota_retry_after_counts_the_seconds_to_midnight_utc() -> None:
    # 100.5 s before a UTC midnight (day 20 000 since the epoch), on a given wall clock.
    now = [20_001 * 86_400 - 100.5]
    limiter = RequestLimiter(per_second=None, per_day=2, wall_clock=lambda: now[0])
    assert [limiter.admit(0.0), limiter.admit(0.1)] == [None, None]
    refused = limiter.admit(0.2)
    assert refused is not None
    assert refused.retry_after == 101  # rounded up: never back a moment too soon
    assert "daily quota of 2" in refused.message
    now[0] += 100.4
    assert limiter.admit(0.3) is not None  # a tenth of a second before midnight
    now[0] += 0.1
    assert limiter.admit(0.4) is None  # a new day, a new quota
