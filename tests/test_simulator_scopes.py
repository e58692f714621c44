"""Tests of the simulator's OAuth scopes: endpoints a company's credentials may not call
answer 403, as Gong does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_gong_flows.simulator import REQUIRED_SCOPES, GongDataset, GongSimulator, prospect_id

from .support import REPO_ROOT, simulator_cli

FLOWS_READ = "api:flows:read"
USERS_READ = "api:users:read"
TASKS_READ = "api:tasks:read"

# Written out by hand from Gong's API reference: path -> (method, scope it requires).
EXPECTED_SCOPES = {
    "/v2/flows/prospects": ("POST", FLOWS_READ),
    "/v2/users": ("GET", USERS_READ),
    "/v2/flows": ("GET", FLOWS_READ),
    "/v2/flows/folders": ("GET", FLOWS_READ),
    "/v2/flows/steps": ("POST", FLOWS_READ),
    "/v2/tasks": ("POST", TASKS_READ),
}
ALL_SCOPES = frozenset({FLOWS_READ, USERS_READ, TASKS_READ})

BASIC_AUTH = ("sim-access-key", "sim-access-key-secret")
BEARER = {"Authorization": "Bearer sim-access-token"}
REQUEST_ID = re.compile(r"^[a-z0-9]{19}$")

DATASET = GongDataset(prospect_count=50)


def valid_call(path: str, user: dict[str, Any], flow_id: str) -> dict[str, Any]:
    """``requests.request`` arguments of a well-formed request to ``path``."""
    calls: dict[str, dict[str, Any]] = {
        "/v2/flows/prospects": {"json": {"crmProspectsIds": [prospect_id(0)]}},
        "/v2/users": {},
        "/v2/flows": {"params": {"flowOwnerEmail": user["emailAddress"]}},
        "/v2/flows/folders": {"params": {"flowFolderOwnerEmail": user["emailAddress"]}},
        "/v2/flows/steps": {"json": {"flowIds": [flow_id]}},
        "/v2/tasks": {
            "json": {
                "filter": {
                    "userId": user["id"],
                    "taskAction": ["CALL"],
                    "status": ["OPEN", "DONE", "DISMISSED"],
                    "types": ["FLOW", "MANUAL"],
                }
            }
        },
    }
    return calls[path]


def call(
    base_url: str,
    path: str,
    scheme: str = "basic",
    *,
    dataset: GongDataset = DATASET,
    **overrides: Any,
) -> requests.Response:
    """A well-formed request to ``path`` with the default Basic or Bearer credentials."""
    method, _scope = EXPECTED_SCOPES[path]
    users = dataset.users()
    arguments: dict[str, Any] = {
        **valid_call(path, users[0], dataset.all_flows()[0]["id"]),
        "timeout": 5,
    }
    if scheme == "basic":
        arguments["auth"] = BASIC_AUTH
    elif scheme == "bearer":
        arguments["headers"] = BEARER
    arguments.update(overrides)
    return requests.request(method, base_url + path, **arguments)


def assert_insufficient_scope(response: requests.Response, scope: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert REQUEST_ID.match(body["requestId"]), body
    assert body["errors"] == [f"Insufficient scope: {scope}"]


def statuses(simulator: GongSimulator) -> dict[tuple[str, str], int]:
    """The status of a well-formed request to every endpoint, with either scheme."""
    return {
        (path, scheme): call(simulator.url, path, scheme).status_code
        for path in EXPECTED_SCOPES
        for scheme in ("basic", "bearer")
    }


def expected_statuses(granted: frozenset[str] | None) -> dict[tuple[str, str], int]:
    return {
        (path, scheme): 200 if granted is None or scope in granted else 403
        for path, (_method, scope) in EXPECTED_SCOPES.items()
        for scheme in ("basic", "bearer")
    }


@pytest.fixture
def restricted() -> Iterator[GongSimulator]:
    """A simulator whose credentials hold only api:flows:read."""
    with GongSimulator(DATASET, rate_limit_per_second=None, scopes={FLOWS_READ}) as simulator:
        yield simulator


# -- the table ---------------------------------------------------------------------------


def test_exported_table_matches_gongs_reference() -> None:
    assert {path: scope for path, (_method, scope) in EXPECTED_SCOPES.items()} == REQUIRED_SCOPES


@pytest.mark.parametrize(
    "granted",
    [
        frozenset(),
        frozenset({FLOWS_READ}),
        frozenset({USERS_READ}),
        frozenset({TASKS_READ}),
        frozenset({FLOWS_READ, USERS_READ}),
        frozenset({USERS_READ, TASKS_READ}),
        ALL_SCOPES,
        frozenset({"api:calls:read:basic"}),  # a real Gong scope no endpoint here needs
    ],
    ids=lambda granted: ",".join(sorted(granted)) or "nothing",
)
def test_each_endpoint_is_allowed_exactly_when_its_scope_is_granted(
    granted: frozenset[str],
) -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, scopes=granted) as simulator:
        assert simulator.scopes == granted
        assert statuses(simulator) == expected_statuses(granted)
        for path, (_method, scope) in EXPECTED_SCOPES.items():
            if scope not in granted:
                assert_insufficient_scope(call(simulator.url, path), scope)
                assert_insufficient_scope(call(simulator.url, path, "bearer"), scope)


@pytest.mark.parametrize("arguments", [{}, {"scopes": None}], ids=["absent", "none"])
def test_without_scopes_everything_is_allowed(arguments: dict[str, Any]) -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, **arguments) as simulator:
        assert simulator.scopes is None
        assert statuses(simulator) == expected_statuses(None)
        assert set(statuses(simulator).values()) == {200}


def test_403_body_is_a_gong_error_with_a_fresh_request_id(restricted: GongSimulator) -> None:
    first = call(restricted.url, "/v2/users")
    second = call(restricted.url, "/v2/users", "bearer")
    assert_insufficient_scope(first, USERS_READ)
    assert_insufficient_scope(second, USERS_READ)
    assert first.json()["requestId"] != second.json()["requestId"]
    assert_insufficient_scope(call(restricted.url, "/v2/tasks"), TASKS_READ)
    logged = [(entry.path, entry.status) for entry in restricted.request_log]
    assert logged == [("/v2/users", 403), ("/v2/users", 403), ("/v2/tasks", 403)]


# -- precedence --------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(EXPECTED_SCOPES))
def test_bad_credentials_get_401_before_any_scope_check(path: str) -> None:
    with GongSimulator(DATASET, rate_limit_per_second=None, scopes=()) as simulator:
        attempts = [
            call(simulator.url, path, "none"),
            call(simulator.url, path, auth=("sim-access-key", "wrong-secret")),
            call(simulator.url, path, "none", headers={"Authorization": "Bearer wrong-token"}),
            call(simulator.url, path, "none", headers={"Authorization": "Token whatever"}),
        ]
        for response in attempts:
            assert response.status_code == 401, response.text
            assert not any("scope" in error for error in response.json()["errors"])
        assert call(simulator.url, path).status_code == 403


def test_unknown_paths_and_wrong_methods_are_answered_as_before(
    restricted: GongSimulator,
) -> None:
    missing = requests.get(restricted.url + "/v2/nowhere", auth=BASIC_AUTH, timeout=5)
    assert missing.status_code == 404
    assert "Insufficient scope" not in missing.text
    wrong_method = requests.delete(restricted.url + "/v2/users", auth=BASIC_AUTH, timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET"


def test_denied_requests_do_not_use_up_the_daily_quota() -> None:
    with GongSimulator(
        DATASET, rate_limit_per_second=None, daily_limit=2, scopes={FLOWS_READ}
    ) as simulator:
        answered = [
            call(simulator.url, "/v2/users", auth=("sim-access-key", "wrong")).status_code,
            call(simulator.url, "/v2/users").status_code,
            call(simulator.url, "/v2/tasks", "bearer").status_code,
            call(simulator.url, "/v2/users").status_code,
            call(simulator.url, "/v2/flows").status_code,
            call(simulator.url, "/v2/flows/steps", "bearer").status_code,
            call(simulator.url, "/v2/flows/prospects").status_code,
            # The scope is judged before the quota, so a spent quota still answers 403.
            call(simulator.url, "/v2/users").status_code,
        ]
    assert answered == [401, 403, 403, 403, 200, 200, 429, 403]


def test_denied_requests_do_not_count_against_the_per_second_limit() -> None:
    with GongSimulator(DATASET, rate_limit_per_second=1, scopes={USERS_READ}) as simulator:
        denied = [call(simulator.url, "/v2/flows").status_code for _ in range(3)]
        allowed = call(simulator.url, "/v2/users")
    assert denied == [403, 403, 403]
    assert allowed.status_code == 200, allowed.text


# -- changing the grant while running ---------------------------------------------------


def test_scopes_can_change_on_a_running_simulator(restricted: GongSimulator) -> None:
    assert restricted.scopes == {FLOWS_READ}
    assert statuses(restricted) == expected_statuses(frozenset({FLOWS_READ}))
    restricted.grant(USERS_READ)
    assert restricted.scopes == {FLOWS_READ, USERS_READ}
    assert statuses(restricted) == expected_statuses(frozenset({FLOWS_READ, USERS_READ}))
    restricted.revoke(FLOWS_READ)
    assert restricted.scopes == {USERS_READ}
    assert statuses(restricted) == expected_statuses(frozenset({USERS_READ}))
    restricted.scopes = [TASKS_READ]
    assert statuses(restricted) == expected_statuses(frozenset({TASKS_READ}))
    restricted.scopes = None
    assert statuses(restricted) == expected_statuses(None)
    restricted.grant("api:calls:read:basic")  # everything is granted already
    assert restricted.scopes is None
    restricted.revoke(TASKS_READ)
    assert restricted.scopes == {FLOWS_READ, USERS_READ}
    assert statuses(restricted) == expected_statuses(frozenset({FLOWS_READ, USERS_READ}))
    restricted.scopes = ()
    assert statuses(restricted) == expected_statuses(frozenset())


def test_switching_scopes_under_load_gives_only_200_or_403() -> None:
    stop = threading.Event()
    with GongSimulator(DATASET, rate_limit_per_second=None, daily_limit=None) as simulator:

        def toggle() -> None:
            while not stop.is_set():
                simulator.scopes = {FLOWS_READ}
                simulator.scopes = None

        toggler = threading.Thread(target=toggle)
        toggler.start()
        try:
            with requests.Session() as session:
                session.auth = BASIC_AUTH
                seen = [session.get(simulator.url + "/v2/users", timeout=5) for _ in range(40)]
        finally:
            stop.set()
            toggler.join()
    assert {response.status_code for response in seen} <= {200, 403}
    for response in seen:
        if response.status_code == 403:
            assert_insufficient_scope(response, USERS_READ)


def test_scopes_must_be_a_collection_of_scope_names() -> None:
    with pytest.raises(TypeError, match="one string"):
        GongSimulator(DATASET, scopes=USERS_READ)
    with pytest.raises(ValueError, match="not a scope name"):
        GongSimulator(DATASET, scopes=["api:users:read api:flows:read"])
    with pytest.raises(ValueError, match="not a scope name"):
        GongSimulator(DATASET, scopes=[""])
    simulator = GongSimulator(DATASET, scopes=iter([USERS_READ, USERS_READ]))
    assert simulator.scopes == {USERS_READ}


# -- command line -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "granted"),
    [
        (f"{FLOWS_READ},{TASKS_READ}", frozenset({FLOWS_READ, TASKS_READ})),
        (f" {USERS_READ} , ", frozenset({USERS_READ})),
        ("", frozenset()),
    ],
    ids=["two", "blanks", "empty"],
)
def test_cli_grants_the_scopes_it_is_given(
    tmp_path: Path, option: str, granted: frozenset[str]
) -> None:
    dataset = GongDataset(20)
    args = ("--prospects", "20", "--no-rate-limit", "--scopes", option)
    with simulator_cli(*args, cwd=tmp_path) as (process, line):
        url = line.strip().rsplit(" ", 1)[-1]
        answered = {
            (path, scheme): call(url, path, scheme, dataset=dataset).status_code
            for path in EXPECTED_SCOPES
            for scheme in ("basic", "bearer")
        }
        assert answered == expected_statuses(granted)
        if USERS_READ not in granted:
            assert_insufficient_scope(call(url, "/v2/users", dataset=dataset), USERS_READ)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=5)
        assert process.returncode == 0
        assert "Traceback" not in stderr


def test_cli_without_scopes_grants_everything(tmp_path: Path) -> None:
    dataset = GongDataset(20)
    with simulator_cli("--prospects", "20", "--no-rate-limit", cwd=tmp_path) as (process, line):
        url = line.strip().rsplit(" ", 1)[-1]
        for path in EXPECTED_SCOPES:
            assert call(url, path, dataset=dataset).status_code == 200, path
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=5)
        assert process.returncode == 0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tap_gong_flows.simulator", *args],
        capture_output=True, text=True, env=env, timeout=10, check=False,
    )  # fmt: skip


def test_cli_help_mentions_scopes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "--scopes" in result.stdout
    assert "403" in result.stdout


def test_cli_refuses_malformed_scopes() -> None:
    result = run_cli("--scopes", "api:users:read api:flows:read")
    assert result.returncode == 2
    assert "--scopes" in result.stderr
    assert result.stdout == ""
