"""The simulator's Engage endpoints refusing what Gong refuses (bad queries and bodies,
cursors, auth), its quotas and faults, two syncs apart, and its command line."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_gong_flows.simulator import (
    FLOWS_PATH,
    FOLDERS_PATH,
    PROSPECTS_PATH,
    STEPS_PATH,
    TASKS_PATH,
    USERS_PATH,
    Fault,
    GongDataset,
    GongSimulator,
    prospect_id,
)
from tap_gong_flows.simulator.serving.paging import CursorBook
from tap_gong_flows.simulator.serving.request_parsing import BadRequest

from ..support import simulator_cli
from .engage_api import (
    BASIC_AUTH,
    DATASET,
    EMAILS,
    FLOW_FIELDS,
    MAYA,
    MAYA_ID,
    USERS,
    VISIBILITIES,
    all_pages,
    assert_gong_error,
    assert_iso_with_offset,
    get,
    ids,
    ids_of,
    post,
    tasks_body,
)
from .fixed_account import (
    FINISHED_STATUS_NAMES,
    MAYA_TASKS,
    USERS_WRITTEN_OUT,
    task_summary,
    user_summary,
)

# -- HTTP: bad requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "text"),
    [
        (FLOWS_PATH, {}, "flowOwnerEmail"),
        (FLOWS_PATH, {"flowOwnerEmail": ""}, "must not be empty"),
        (FLOWS_PATH, {"flowOwnerEmail": "nobody@example.com"}, "No Gong user"),
        (FLOWS_PATH, {"flowOwnerEmail": [MAYA, MAYA]}, "only once"),
        (FLOWS_PATH, {"flowOwnerEmail": MAYA, "mostRecentlyAssigned": "true"}, "not supported"),
        (FLOWS_PATH, {"flowOwnerEmail": MAYA, "cursor": "garbage"}, "Invalid cursor"),
        (FOLDERS_PATH, {"flowOwnerEmail": MAYA}, "flowFolderOwnerEmail"),
        (FOLDERS_PATH, {"flowFolderOwnerEmail": "x@y.z"}, "No Gong user"),
        (FOLDERS_PATH, {"flowFolderOwnerEmail": MAYA, "parentId": "abc"}, "integer"),
        (USERS_PATH, {"includeAvatars": "maybe"}, "true or false"),
        (USERS_PATH, {"cursor": "eyJzIjoxfQ.AAAA"}, "Invalid cursor"),
    ],
)
def test_bad_queries_get_400(
    sim: GongSimulator, path: str, params: dict[str, Any], text: str
) -> None:
    assert_gong_error(get(sim, path, **params), 400, text)


@pytest.mark.parametrize(
    ("path", "body", "status", "text"),
    [
        (STEPS_PATH, None, 400, "JSON object"),
        (STEPS_PATH, {}, 400, "flowIds"),
        (STEPS_PATH, {"flowIds": []}, 400, "empty"),
        (STEPS_PATH, {"flowIds": "7312004518839271045"}, 400, "array"),
        (STEPS_PATH, {"flowIds": [7312004518839271045]}, 400, "string"),
        (STEPS_PATH, {"flowIds": [str(n) for n in range(21)]}, 400, "at most 20"),
        (STEPS_PATH, {"flowIds": ["7312004518839271045", "42"]}, 404, "42"),
        (TASKS_PATH, {}, 400, "filter"),
        (TASKS_PATH, {"filter": []}, 400, "object"),
        (TASKS_PATH, {"filter": {"taskAction": ["CALL"]}}, 400, "userId"),
        (TASKS_PATH, tasks_body("12345"), 400, "No Gong user"),
        (TASKS_PATH, tasks_body(MAYA_ID, status=["SNOOZED"]), 400, "valid values"),
        (TASKS_PATH, tasks_body(MAYA_ID, taskAction=["EMAIL"]), 400, "valid values"),
        (TASKS_PATH, tasks_body(MAYA_ID, types=None), 400, "filter.types"),
        (TASKS_PATH, tasks_body(MAYA_ID, workspaceId=5), 400, "workspaceId"),
    ],
)
def test_bad_bodies_get_400_or_404(
    sim: GongSimulator, path: str, body: Any, status: int, text: str
) -> None:
    response = (
        requests.post(sim.url + path, auth=BASIC_AUTH, timeout=5)
        if body is None
        else post(sim, path, body)
    )
    assert_gong_error(response, status, text)


def test_cursors_are_bound_to_their_request_and_server(sim: GongSimulator) -> None:
    first = get(sim, FLOWS_PATH, flowOwnerEmail=MAYA).json()["records"]["cursor"]
    assert get(sim, FLOWS_PATH, flowOwnerEmail=MAYA, cursor=first).status_code == 200
    other_user = get(sim, FLOWS_PATH, flowOwnerEmail=EMAILS[1], cursor=first)
    assert_gong_error(other_user, 400, "other parameters")
    assert_gong_error(get(sim, USERS_PATH, cursor=first), 400, "other parameters")
    edited = first[:-2] + ("AA" if not first.endswith("AA") else "BB")
    assert_gong_error(get(sim, FLOWS_PATH, flowOwnerEmail=MAYA, cursor=edited), 400, "cursor")
    with GongSimulator(DATASET, rate_limit_per_second=None) as other:
        assert_gong_error(get(other, FLOWS_PATH, flowOwnerEmail=MAYA, cursor=first), 400, "cursor")


def test_cursors_expire_after_their_time_to_live() -> None:
    """Read on a given clock, so that a slow machine cannot make the cursor expire early."""
    book = CursorBook(ttl_seconds=60)
    cursor = book.issue("users", 100, now=1_000.0)
    assert book.redeem(cursor, "users", now=1_060.0) == 100
    with pytest.raises(BadRequest, match="expired"):
        book.redeem(cursor, "users", now=1_060.5)


def test_an_expired_cursor_is_answered_400_over_http() -> None:
    # A time to live of a microsecond, and a pause well past it (cursors carry milliseconds).
    with GongSimulator(DATASET, rate_limit_per_second=None, cursor_ttl_seconds=1e-6) as simulator:
        cursor = get(simulator, USERS_PATH).json()["records"]["cursor"]
        time.sleep(0.01)
        assert_gong_error(get(simulator, USERS_PATH, cursor=cursor), 400, "expired")


def test_page_size_is_configurable() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, page_size=100) as simulator:
        users, summaries = all_pages(simulator, USERS_PATH, "users")
    assert [user_summary(user) for user in users] == USERS_WRITTEN_OUT
    assert summaries == [{"totalRecords": 8, "currentPageSize": 8, "currentPageNumber": 0}]
    with pytest.raises(ValueError, match="page_size"):
        GongSimulator(DATASET, page_size=0)


def test_unknown_paths_wrong_methods_and_auth(sim: GongSimulator) -> None:
    assert_gong_error(get(sim, "/v2/flows/unknown", flowOwnerEmail=MAYA), 404)
    assert_gong_error(get(sim, "/v2/tasks/123"), 404)
    for path, wrong in [
        (USERS_PATH, "POST"),
        (FLOWS_PATH, "POST"),
        (FOLDERS_PATH, "DELETE"),
        (STEPS_PATH, "GET"),
        (TASKS_PATH, "GET"),
    ]:
        response = requests.request(wrong, sim.url + path, auth=BASIC_AUTH, timeout=5)
        assert_gong_error(response, 405)
        assert response.headers["Allow"] == ("GET" if wrong != "GET" else "POST")
    assert_gong_error(requests.get(sim.url + USERS_PATH, timeout=5), 401)
    bearer = {"Authorization": "Bearer sim-access-token"}
    assert requests.get(sim.url + USERS_PATH, headers=bearer, timeout=5).status_code == 200
    logged = sim.request_log
    assert [entry.status for entry in logged[-2:]] == [401, 200]
    assert logged[-1].path == USERS_PATH
    get(sim, FLOWS_PATH, flowOwnerEmail=MAYA)
    assert sim.request_log[-1].path.startswith(FLOWS_PATH + "?flowOwnerEmail=")


# -- HTTP: quotas and faults -------------------------------------------------------------


def test_per_second_limit_is_shared_across_endpoints() -> None:
    with GongSimulator(DATASET) as simulator, requests.Session() as session:
        session.auth = BASIC_AUTH
        url = simulator.url
        responses = [
            session.get(url + USERS_PATH, timeout=5),
            session.get(url + FLOWS_PATH, params={"flowOwnerEmail": MAYA}, timeout=5),
            session.post(url + TASKS_PATH, json=tasks_body(MAYA_ID), timeout=5),
            session.post(url + STEPS_PATH, json={"flowIds": ["7312004518839271045"]}, timeout=5),
            session.post(
                url + PROSPECTS_PATH, json={"crmProspectsIds": [prospect_id(0)]}, timeout=5
            ),
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    for limited in responses[3:]:
        assert_gong_error(limited, 429)
        assert limited.headers["Retry-After"] == "1"


def test_daily_limit_is_shared_across_endpoints() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=2) as simulator:
        statuses = [
            get(simulator, USERS_PATH).status_code,
            post(simulator, STEPS_PATH, {"flowIds": ["7312004518839271045"]}).status_code,
            get(simulator, FOLDERS_PATH, flowFolderOwnerEmail=MAYA).status_code,
        ]
    assert statuses == [200, 200, 429]


def test_faults_match_their_path(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.status(503), path=USERS_PATH)
    sim.faults.enqueue(Fault.drop_connection(), path=TASKS_PATH)
    assert get(sim, FLOWS_PATH, flowOwnerEmail=MAYA).status_code == 200
    assert post(sim, STEPS_PATH, {"flowIds": ["7312004518839271045"]}).status_code == 200
    assert_gong_error(get(sim, USERS_PATH), 503)
    with pytest.raises(requests.ConnectionError):
        post(sim, TASKS_PATH, tasks_body(MAYA_ID))
    assert sim.faults.pending == 0
    assert [entry.fault for entry in sim.request_log] == [None, None, "status", "drop_connection"]


def test_record_faults_on_the_new_endpoints(sim: GongSimulator) -> None:
    sim.faults.enqueue(Fault.missing_records(), path=FLOWS_PATH)
    sim.faults.enqueue(Fault.null_records(), path=USERS_PATH)
    sim.faults.enqueue(Fault.extra_fields(), path=FOLDERS_PATH)
    sim.faults.enqueue(Fault.foreign_records(), path=TASKS_PATH)
    sim.faults.enqueue(Fault.foreign_records(), path=STEPS_PATH)
    sim.faults.enqueue(Fault.truncated_json(), path=USERS_PATH)
    missing = get(sim, FLOWS_PATH, flowOwnerEmail=MAYA).json()
    assert set(missing) == {"requestId", "records"}
    assert get(sim, USERS_PATH).json()["users"] is None
    folders = get(sim, FOLDERS_PATH, flowFolderOwnerEmail=MAYA).json()["flows"]
    assert all(folder["visibility"] not in VISIBILITIES for folder in folders)
    assert all(set(folder) - set(FLOW_FIELDS) for folder in folders)
    tasks = post(sim, TASKS_PATH, tasks_body(MAYA_ID)).json()["tasks"]
    assert [task_summary(task) for task in tasks[:-1]] == MAYA_TASKS  # the true ones first
    assert tasks[-1]["userId"] not in {int(user["id"]) for user in USERS}
    flow_id = "7312004518839271045"
    flows = post(sim, STEPS_PATH, {"flowIds": [flow_id]}).json()["flows"]
    assert ids(flows)[0] == flow_id
    assert len(flows) == 2
    stray = post(sim, STEPS_PATH, {"flowIds": [ids(flows)[1]]})
    assert_gong_error(stray, 404, ids(flows)[1])  # a flow the account does not have
    truncated = get(sim, USERS_PATH)
    assert truncated.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        truncated.json()


# -- HTTP: time passing between two syncs ------------------------------------------------


def test_second_sync_sees_finished_instances() -> None:
    dataset = GongDataset(200, seed=5)
    crm_ids = list(dataset.prospect_ids())
    with GongSimulator(dataset, rate_limit_per_second=None) as simulator:
        first = post(simulator, PROSPECTS_PATH, {"crmProspectsIds": crm_ids}).json()
        first_open = {r["flowInstanceId"] for r in first["prospectsAssigned"]}
        dataset.finish_instances(0.3)
        second = post(simulator, PROSPECTS_PATH, {"crmProspectsIds": crm_ids}).json()
        second_open = {r["flowInstanceId"] for r in second["prospectsAssigned"]}
        gone = sorted(first_open - second_open)
        assert second_open < first_open
        assert 0.2 < len(gone) / len(first_open) < 0.4
        revisited = post(simulator, PROSPECTS_PATH, {"flowInstanceIds": gone}).json()
    assert ids_of(revisited["prospectsAssigned"]) == gone
    assert {r["flowInstanceStatus"] for r in revisited["prospectsAssigned"]} <= (
        FINISHED_STATUS_NAMES
    )


# -- command line -----------------------------------------------------------------------


def test_cli_takes_users_and_page_size(tmp_path: Path) -> None:
    args = ("--prospects", "20", "--users", "10", "--page-size", "4", "--no-rate-limit")
    with simulator_cli(*args, cwd=tmp_path) as (process, line):
        url = line.strip().rsplit(" ", 1)[-1]
        response = requests.get(url + USERS_PATH, auth=BASIC_AUTH, timeout=5)
        records = response.json()["records"]
        assert (records["totalRecords"], records["currentPageSize"]) == (10, 4)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=5)
        assert process.returncode == 0


def test_dates_everywhere_carry_an_offset() -> None:
    stamps = [user["created"] for user in USERS]
    stamps += [flow["creationDate"] for flow in DATASET.all_flows()]
    stamps += [folder["creationDate"] for folder in DATASET.all_folders()]
    for user in USERS:
        for task in DATASET.tasks_of(user["id"]):
            stamps += [task["created"], task["updated"], task["dueDate"]]
    shapes = set()
    for stamp in stamps:
        parsed = assert_iso_with_offset(stamp)
        assert datetime(2021, 1, 1, tzinfo=UTC) <= parsed < datetime(2026, 8, 1, tzinfo=UTC)
        shapes.add(stamp[-1] == "Z")
    assert shapes == {True, False}
