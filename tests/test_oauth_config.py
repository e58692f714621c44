"""OAuth refresh settings: mistakes found before any request, each naming its setting and
echoing no secret; the new settings in --about, the Airbyte spec and meltano.yml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from singer_sdk.exceptions import ConfigValidationError

from tap_gong_flows.airbyte.translate import connection_specification
from tap_gong_flows.settings import SETTINGS_SCHEMA
from tap_gong_flows.simulator import GongSimulator
from tap_gong_flows.tap import TapGongFlows

from .support import ACCESS_KEY, CLIENT_ID, CLIENT_SECRET, REPO_ROOT, run_cli

REFRESH_TOKEN = "rt-configured-0123456789"
NEW_SETTINGS = (
    "client_id",
    "client_secret",
    "refresh_token",
    "oauth_token_file",
    "oauth_token_url",
)


def config_with(tmp_path: Path, **change: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "oauth_token_file": str(tmp_path / "gong-oauth.json"),
        "crm_prospect_ids": ["0035g0000000000OH5"],
    }
    config.update(change)
    return {k: v for k, v in config.items() if v is not None}


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigValidationError) as failure:
        TapGongFlows(config=config, validate_config=True)
    return list(failure.value.errors)


def test_a_complete_refresh_config_passes(tmp_path: Path) -> None:
    TapGongFlows(config=config_with(tmp_path), validate_config=True)
    # A later run: the token file is there, and the config may drop the spent token.
    (tmp_path / "gong-oauth.json").write_text(json.dumps({"refresh_token": "rt-rotated"}))
    TapGongFlows(config=config_with(tmp_path, refresh_token=None), validate_config=True)


def test_a_refresh_token_without_a_token_file_is_refused_and_says_why(tmp_path: Path) -> None:
    found = problems(config_with(tmp_path, oauth_token_file=None))
    assert len(found) == 1
    assert found[0].startswith("oauth_token_file: required with refresh_token")
    assert "single-use" in found[0]
    assert "lose the rotated token" in found[0]


@pytest.mark.parametrize(
    ("change", "start"),
    [
        ({"client_secret": None}, "client_secret: missing"),
        ({"client_id": None}, "client_id: missing"),
        ({"access_key": ACCESS_KEY}, "refresh_token: set one kind of credentials"),
        ({"access_token": "at-static-0123"}, "refresh_token: set one kind of credentials"),
        ({"refresh_token": None}, "refresh_token: missing, and "),
        ({"oauth_token_file": "/nowhere/at/all/t.json"}, "oauth_token_file: the directory"),
        ({"oauth_token_url": "http://app.gong.io/oauth2/x"}, "oauth_token_url: plain http://"),
        ({"oauth_token_url": "https://app.gong.io/x?code=1"}, "oauth_token_url: must not carry"),
        ({"refresh_token": 12345678}, "refresh_token: must be a string"),
    ],
)
def test_refresh_config_mistakes_name_the_setting(
    tmp_path: Path, change: dict[str, Any], start: str
) -> None:
    found = problems(config_with(tmp_path, **change))
    assert [p for p in found if p.startswith(start)], found
    assert not [p for p in found if REFRESH_TOKEN in p or CLIENT_SECRET in p or "12345678" in p]


def test_a_broken_token_file_is_reported_before_any_request(
    tmp_path: Path, simulator: GongSimulator
) -> None:
    token_file = tmp_path / "gong-oauth.json"
    token_file.write_text("{not json")
    config = config_with(tmp_path, oauth_token_url=simulator.url + "/oauth2/x")
    result = run_cli(config=config, tmp_path=tmp_path)
    assert result.returncode != 0
    assert f"oauth_token_file: {token_file}: not JSON" in result.stderr
    assert "Traceback" not in result.stderr
    assert REFRESH_TOKEN not in result.stderr
    assert CLIENT_SECRET not in result.stderr
    assert simulator.request_log == []


def test_the_new_settings_are_in_about_the_airbyte_spec_and_meltano_yml() -> None:
    about = TapGongFlows(config={}, validate_config=False).config_jsonschema["properties"]
    assert set(NEW_SETTINGS) <= set(about)
    assert {n for n in NEW_SETTINGS if about[n].get("secret")} == {"client_secret", "refresh_token"}
    assert about["oauth_token_url"]["default"] == (
        "https://app.gong.io/oauth2/generate-customer-token"
    )
    spec = connection_specification(SETTINGS_SCHEMA)["properties"]
    assert {n for n in NEW_SETTINGS if spec[n].get("airbyte_secret")} == {
        "client_secret",
        "refresh_token",
    }
    project = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text())
    settings = {s["name"]: s for s in project["plugins"]["extractors"][0]["settings"]}
    assert {n for n in NEW_SETTINGS if settings[n].get("sensitive")} == {
        "client_secret",
        "refresh_token",
    }
