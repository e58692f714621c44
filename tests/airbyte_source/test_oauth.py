"""The Airbyte source with OAuth refresh: check and read renew their own tokens, and a dead
refresh token is a config error that says a person must re-authorize the app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_gong_flows.simulator import TOKEN_PATH, GongDataset, GongSimulator, OAuthIssuer

from ..support import CLIENT_ID, CLIENT_SECRET, oauth_config
from .protocol import configured_catalog, source


@pytest.fixture
def issuer() -> OAuthIssuer:
    return OAuthIssuer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=None)


@pytest.fixture
def gong(issuer: OAuthIssuer) -> Iterator[GongSimulator]:
    with GongSimulator(
        GongDataset(prospect_count=30, seed=4), rate_limit_per_second=None, oauth=issuer
    ) as running:
        yield running


def config_for(gong: GongSimulator, tmp_path: Path, token: str) -> dict[str, Any]:
    ids = list(gong.dataset.prospect_ids())
    return oauth_config(gong, tmp_path / "gong-oauth.json", token, crm_prospect_ids=ids)


def test_check_gets_a_token_and_keeps_the_rotated_one(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    config = config_for(gong, tmp_path, issuer.new_refresh_token())
    result = source("check", tmp_path, config=config, subprocess_run=True)
    (status,) = result.of_type("CONNECTION_STATUS")
    assert status["status"] == "SUCCEEDED"
    (exchange,) = issuer.exchanges
    saved = json.loads((tmp_path / "gong-oauth.json").read_text())
    assert saved["refresh_token"] == exchange.issued
    printed = json.dumps(result.messages) + result.stderr
    assert [s for s in issuer.issued_secrets() if s in printed] == []


def test_a_spent_refresh_token_is_a_config_error_saying_what_to_do(
    gong: GongSimulator, issuer: OAuthIssuer, tmp_path: Path
) -> None:
    token = issuer.new_refresh_token()
    spent = requests.post(
        gong.url + TOKEN_PATH,
        params={"grant_type": "refresh_token", "refresh_token": token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert spent.status_code == 200
    config = config_for(gong, tmp_path, token)
    catalog = configured_catalog(tmp_path, config, {"assigned_flows": "full_refresh"})

    result = source("read", tmp_path, config=config, catalog=catalog)

    assert result.code == 1
    (trace,) = result.traces("ERROR")
    assert trace["error"]["failure_type"] == "config_error"
    assert "invalid_grant" in trace["error"]["message"]
    assert "re-authorize the app" in trace["error"]["message"]
    assert not result.of_type("RECORD")
    assert [s for s in issuer.issued_secrets() if s in json.dumps(result.messages)] == []
