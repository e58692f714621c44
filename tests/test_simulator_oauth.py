"""Tests of the simulator's OAuth: Gong's token endpoint with client credentials,
single-use refresh tokens, and access tokens that expire into 401s."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tap_gong_flows.simulator import (
    TOKEN_PATH,
    USERS_PATH,
    GongDataset,
    GongSimulator,
    OAuthIssuer,
)

from .support import simulator_cli

CLIENT = ("app-client-id", "app-client-secret-0123")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def issuer(clock: FakeClock) -> OAuthIssuer:
    return OAuthIssuer(
        client_id=CLIENT[0],
        client_secret=CLIENT[1],
        refresh_token="first-refresh-token",
        access_token_seconds=30,
        clock=clock,
    )


@pytest.fixture
def oauth_sim(issuer: OAuthIssuer) -> Iterator[GongSimulator]:
    with GongSimulator(
        GongDataset(prospect_count=20, seed=3), rate_limit_per_second=None, oauth=issuer
    ) as running:
        yield running


def refresh(
    oauth_sim: GongSimulator,
    token: str,
    client: tuple[str, str] = CLIENT,
    grant: str = "refresh_token",
) -> requests.Response:
    return requests.post(
        oauth_sim.url + TOKEN_PATH,
        params={"grant_type": grant, "refresh_token": token},
        auth=client,
        timeout=10,
    )


def users(oauth_sim: GongSimulator, access_token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(oauth_sim.url + USERS_PATH, headers=headers, timeout=10)


def test_a_refresh_answers_a_new_pair_and_the_customers_base_url(oauth_sim: GongSimulator) -> None:
    answer = refresh(oauth_sim, "first-refresh-token")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {"access_token", "refresh_token", "expires_in", "api_base_url_for_customer"}
    assert body["refresh_token"] != "first-refresh-token"
    assert body["expires_in"] == 30
    assert body["api_base_url_for_customer"] == oauth_sim.url
    assert users(oauth_sim, body["access_token"]).status_code == 200


def test_a_refresh_token_is_single_use(oauth_sim: GongSimulator) -> None:
    first = refresh(oauth_sim, "first-refresh-token").json()
    again = refresh(oauth_sim, "first-refresh-token")
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    # The rotated one works, once.
    assert refresh(oauth_sim, first["refresh_token"]).status_code == 200
    assert refresh(oauth_sim, first["refresh_token"]).status_code == 400


def test_concurrent_refreshes_with_one_token_get_one_new_token(
    oauth_sim: GongSimulator, issuer: OAuthIssuer
) -> None:
    token = issuer.new_refresh_token()
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        status = refresh(oauth_sim, token).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 7


@pytest.mark.parametrize(
    ("client", "grant", "status", "error"),
    [
        ((CLIENT[0], "wrong-secret"), "refresh_token", 401, "invalid_client"),
        (("someone-else", CLIENT[1]), "refresh_token", 401, "invalid_client"),
        (CLIENT, "password", 400, "unsupported_grant_type"),
    ],
)
def test_the_token_endpoint_checks_the_client_and_the_grant(
    oauth_sim: GongSimulator, client: tuple[str, str], grant: str, status: int, error: str
) -> None:
    answer = refresh(oauth_sim, "first-refresh-token", client, grant)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    # A refused request spends nothing.
    assert refresh(oauth_sim, "first-refresh-token").status_code == 200


def test_access_tokens_expire_into_a_401_that_says_so(
    oauth_sim: GongSimulator, clock: FakeClock
) -> None:
    access = refresh(oauth_sim, "first-refresh-token").json()["access_token"]
    clock.now += 29.9
    assert users(oauth_sim, access).status_code == 200
    clock.now += 0.1
    expired = users(oauth_sim, access)
    assert expired.status_code == 401
    assert "expired" in expired.json()["errors"][0]
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


def test_an_unknown_bearer_token_is_refused_without_saying_expired(
    oauth_sim: GongSimulator,
) -> None:
    answer = users(oauth_sim, "at-never-issued")
    assert answer.status_code == 401
    assert "expired" not in answer.json()["errors"][0]


def test_revoked_and_expired_tokens_on_demand(
    oauth_sim: GongSimulator, issuer: OAuthIssuer
) -> None:
    first = refresh(oauth_sim, "first-refresh-token").json()
    issuer.expire_access_tokens()
    assert "expired" in users(oauth_sim, first["access_token"]).json()["errors"][0]
    second = refresh(oauth_sim, first["refresh_token"]).json()
    issuer.revoke_access_tokens()
    assert users(oauth_sim, second["access_token"]).json()["errors"] == [
        "Unauthorized: Invalid access token"
    ]
    assert [e.error for e in issuer.exchanges] == [None, None]
    assert issuer.exchanges[1].spent == first["refresh_token"]


def test_the_command_line_sets_the_app_and_the_token_life(tmp_path: Path) -> None:
    args = ("--client-id", "cli-app", "--client-secret", "cli-secret", "--refresh-token", "rt-0")
    with simulator_cli(*args, "--oauth-token-seconds", "7", cwd=tmp_path) as (_process, line):
        url = line.split()[-1]
        answer = requests.post(
            url + TOKEN_PATH,
            params={"grant_type": "refresh_token", "refresh_token": "rt-0"},
            auth=("cli-app", "cli-secret"),
            timeout=10,
        )
        assert answer.status_code == 200
        assert answer.json()["expires_in"] == 7
