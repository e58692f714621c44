"""OAuth with single-use refresh tokens, over HTTP against the simulator: the tap refreshes
before its first request, mid-sync before a token expires and once on a 401 that says it
expired; it keeps every rotated refresh token in the token file, and a dead one fails at
once with what a person must do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_gong_flows.errors import GongError
from tap_gong_flows.simulator import (
    TOKEN_PATH,
    Fault,
    FaultPlan,
    GongDataset,
    GongSimulator,
    OAuthIssuer,
)

from .support import CLIENT_ID, CLIENT_SECRET, SyncOutput, oauth_config, run_cli, run_tap

IDS_PER_REQUEST = 5


@pytest.fixture
def issuer() -> OAuthIssuer:
    # Each test's syncs take longer than a token lives.
    return OAuthIssuer(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=None,
        access_token_seconds=0.5,
    )


@pytest.fixture
def gong(issuer: OAuthIssuer, faults: FaultPlan) -> Iterator[GongSimulator]:
    dataset = GongDataset(prospect_count=300, seed=11)
    with GongSimulator(dataset, rate_limit_per_second=None, oauth=issuer, faults=faults) as running:
        yield running


def long_sync_config(gong: GongSimulator, token_file: Path, refresh_token: str | None) -> Any:
    """60 requests at 40 a second, 6 in flight: a sync of 1.5 s, three token lives."""
    return oauth_config(
        gong,
        token_file,
        refresh_token,
        crm_prospect_ids=list(gong.dataset.prospect_ids()),
        prospect_ids_per_request=IDS_PER_REQUEST,
        max_requests_per_second=40,
        max_requests_in_flight=6,
    )


def expected_records(gong: GongSimulator) -> list[dict[str, Any]]:
    return gong.dataset.expected_open_records(list(gong.dataset.prospect_ids()))


def api_requests(gong: GongSimulator) -> list[tuple[int | None, str]]:
    return [(e.status, e.path) for e in gong.request_log if not e.path.startswith(TOKEN_PATH)]


def stored(token_file: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(token_file.read_text())
    return data


def spend(gong: GongSimulator, token: str) -> None:
    answer = requests.post(
        gong.url + TOKEN_PATH,
        params={"grant_type": "refresh_token", "refresh_token": token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert answer.status_code == 200


def test_a_sync_longer_than_a_token_refreshes_mid_sync_and_loses_nothing(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    token_file = tmp_path / "gong-oauth.json"
    first = issuer.new_refresh_token()
    output = run_tap(long_sync_config(gong, token_file, first))

    assert output.records() == expected_records(gong)
    exchanges = issuer.exchanges
    assert len(exchanges) >= 3, "refreshed before the first request and again mid-sync"
    assert [e.error for e in exchanges] == [None] * len(exchanges)
    # Every refresh spent the token the one before it got: none lost, none spent twice.
    assert [e.spent for e in exchanges] == [first] + [e.issued for e in exchanges[:-1]]
    assert stored(token_file)["refresh_token"] == exchanges[-1].issued
    requests_sent = len(list(gong.dataset.prospect_ids())) // IDS_PER_REQUEST
    assert [status for status, _ in api_requests(gong)].count(200) == requests_sent


def test_three_syncs_in_a_row_each_start_from_the_file_the_last_one_left(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    token_file = tmp_path / "gong-oauth.json"
    first = issuer.new_refresh_token()
    config = long_sync_config(gong, token_file, first)  # the same config every time
    left_behind = [first]
    for _run in range(3):
        before = len(issuer.exchanges)
        assert run_tap(config).records() == expected_records(gong)
        this_run = issuer.exchanges[before:]
        assert this_run, "each sync outlives a token"
        assert this_run[0].spent == left_behind[-1]
        assert stored(token_file)["refresh_token"] == this_run[-1].issued
        left_behind.append(stored(token_file)["refresh_token"])
    assert [e.spent for e in issuer.exchanges].count(first) == 1
    assert {e.error for e in issuer.exchanges} == {None}


def test_the_customers_base_url_from_the_token_answer_is_used(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    config = oauth_config(gong, tmp_path / "t.json", issuer.new_refresh_token())
    config["crm_prospect_ids"] = list(gong.dataset.prospect_ids())[:10]
    assert "api_url" not in config  # the default, https://api.gong.io, would not answer
    expected = gong.dataset.expected_open_records(config["crm_prospect_ids"])
    assert expected
    assert run_tap(config).records() == expected
    assert stored(tmp_path / "t.json")["api_base_url"] == gong.url


@pytest.fixture
def long_lived(issuer: OAuthIssuer) -> None:
    issuer.access_token_seconds = 3600


def short_config(gong: GongSimulator, token_file: Path, token: str | None) -> dict[str, Any]:
    ids = list(gong.dataset.prospect_ids())[:10]
    return oauth_config(gong, token_file, token, crm_prospect_ids=ids)


@pytest.mark.usefixtures("long_lived")
def test_a_token_left_in_the_file_is_used_without_a_refresh(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    config = short_config(gong, tmp_path / "t.json", issuer.new_refresh_token())
    run_tap(config)
    run_tap(config)
    assert len(issuer.exchanges) == 1
    assert {status for status, _ in api_requests(gong)} == {200}


@pytest.mark.usefixtures("long_lived")
def test_a_401_that_says_expired_renews_once_and_the_request_goes_through(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    config = short_config(gong, tmp_path / "t.json", issuer.new_refresh_token())
    expected = run_tap(config).records()
    issuer.expire_access_tokens()  # the file still says an hour: only Gong knows
    gong.reset_log()
    assert run_tap(config).records() == expected
    assert [status for status, _ in api_requests(gong)] == [401, 200]
    assert len(issuer.exchanges) == 2


@pytest.mark.usefixtures("long_lived")
def test_a_401_that_does_not_say_expired_fails_without_a_refresh(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    config = short_config(gong, tmp_path / "t.json", issuer.new_refresh_token())
    run_tap(config)
    issuer.revoke_access_tokens()
    with pytest.raises(GongError, match=r"401 Unauthorized.*Invalid access token"):
        run_tap(config)
    assert len(issuer.exchanges) == 1


def test_a_reused_refresh_token_fails_at_once_with_the_reauthorize_message(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    token = issuer.new_refresh_token()
    spend(gong, token)  # another connector, or a copy of the config, spent it
    token_file = tmp_path / "gong-oauth.json"
    with pytest.raises(GongError) as failure:
        run_tap(short_config(gong, token_file, token))
    message = str(failure.value)
    assert "invalid_grant" in message
    assert "re-authorize the app" in message
    assert str(token_file) in message
    assert not any(secret in message for secret in issuer.issued_secrets())
    assert [e.error for e in issuer.exchanges] == [None, "invalid_grant"]  # no retry
    assert api_requests(gong) == []
    assert not token_file.exists()


def test_a_spent_token_in_the_file_names_the_file(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    token_file = tmp_path / "gong-oauth.json"
    token_file.write_text(json.dumps({"refresh_token": "rt-spent-long-ago"}))
    with pytest.raises(GongError, match=f"from the token file {token_file}.*delete {token_file}"):
        run_tap(short_config(gong, token_file, None))


@pytest.mark.parametrize(
    "fault", [Fault.drop_connection(), Fault.status(503), Fault.rate_limited(retry_after=0)]
)
def test_a_network_error_during_a_refresh_is_retried(
    gong: GongSimulator, issuer: OAuthIssuer, faults: FaultPlan, tmp_path: Path, fault: Fault
) -> None:
    faults.enqueue(fault, path=TOKEN_PATH)
    config = short_config(gong, tmp_path / "t.json", issuer.new_refresh_token())
    output = run_tap(config)
    assert output.records() == gong.dataset.expected_open_records(config["crm_prospect_ids"])
    token_calls = [e.status for e in gong.request_log if e.path.startswith(TOKEN_PATH)]
    assert token_calls[0] != 200
    assert token_calls[1] == 200
    assert [e.error for e in issuer.exchanges][:1] == [None]


def test_no_secret_in_state_or_records(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    output: SyncOutput = run_tap(
        long_sync_config(gong, tmp_path / "t.json", issuer.new_refresh_token())
    )
    text = json.dumps(output.messages)
    assert output.of_type("STATE")
    assert not [secret for secret in issuer.issued_secrets() if secret in text]


def test_the_preflight_gets_a_token_keeps_the_rotated_one_and_probes_the_customers_url(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    first = issuer.new_refresh_token()
    config = short_config(gong, tmp_path / "t.json", first)
    result = run_cli("--test", config=config, tmp_path=tmp_path, streams=None)
    assert result.returncode == 0, result.stderr
    assert f"Preflight against {gong.url} with an OAuth access token (Bearer)" in result.stderr
    kept = stored(tmp_path / "t.json")
    assert kept["refresh_token"] != first  # rotated, and kept for the sync that follows
    assert first not in result.stderr + result.stdout
    assert {path for _, path in api_requests(gong)} >= {"/v2/users", "/v2/flows/prospects"}
    assert run_tap(config).records() == gong.dataset.expected_open_records(
        config["crm_prospect_ids"]
    )
