"""The tap as Meltano runs it: a separate process, config from a file or the environment."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_gong_flows.settings import SETTINGS_SCHEMA
from tap_gong_flows.simulator import Fault, FaultPlan, GongDataset, GongSimulator

from .support import (
    ACCESS_KEY,
    ACCESS_KEY_SECRET,
    ACCESS_TOKEN,
    REPO_ROOT,
    SyncOutput,
    run_cli,
)

PATH = "/v2/flows/prospects"


def _assert_clean_failure(result: Any, *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in:\n{result.stderr}"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"access_key": None, "access_key_secret": None}, "access_key: no credentials"),
        ({"access_key_secret": None}, "access_key_secret: missing"),
        ({"access_key": None}, "access_key: missing"),
        ({"access_token": "tok-123456"}, "access_token: set either access_token"),
        ({"prospect_ids_per_request": 0}, "prospect_ids_per_request: must be at least 1"),
        ({"prospect_ids_per_request": "ten"}, "prospect_ids_per_request: must be a whole number"),
        ({"max_requests_per_second": 0}, "max_requests_per_second: must be greater than 0"),
        ({"max_retry_after_seconds": -1}, "max_retry_after_seconds: must be at least 0"),
        ({"request_timeout_seconds": "soon"}, "request_timeout_seconds: must be a number"),
        ({"crm_prospect_ids": "003A"}, "crm_prospect_ids: must be a list"),
        ({"crm_prospect_ids": [1, 2]}, "crm_prospect_ids[0]: must be a string"),
        ({"crm_prospect_ids_file": "missing.txt"}, "crm_prospect_ids_file: no such file"),
        ({"crm_prospect_ids_column": "Id"}, "crm_prospect_ids_column: only applies to a .csv"),
        ({"api_url": "api.gong.io"}, "api_url: not an http(s) URL"),
        ({"api_url": "https://api.gong.io/v2"}, "api_url: must be the base URL without a path"),
        ({"api_url": "http://api.gong.io"}, "api_url: plain http:// is only allowed to loopback"),
        ({"api_url": "https://user:pw@api.gong.io"}, "api_url: must not contain credentials"),
        ({"access_key_secret": 12345678}, "access_key_secret: must be a string"),
        ({"crm_prospect_ids": ["003A", "003B 003C"]}, "crm_prospect_ids item 2: '003B 003C'"),
        ({"crm_prospect_ids": ["003Ã©"]}, "crm_prospect_ids item 1: '003Ã©' has the non-ASCII"),
        ({"max_retries": -1}, "max_retries: must be at least 0"),
        ({"crm_prospect_ids_from_tasks": "yes"}, "crm_prospect_ids_from_tasks: must be true or"),
    ],
)
def test_config_mistakes_are_reported_before_any_request(
    change: dict[str, Any], needle: str, simulator: GongSimulator, tmp_path: Path
) -> None:
    config: dict[str, Any] = {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "crm_prospect_ids": ["0035g0000000000OH5"],
    }
    config.update(change)
    config = {k: v for k, v in config.items() if v is not None}
    result = run_cli(config=config, tmp_path=tmp_path)
    _assert_clean_failure(result, needle)
    assert simulator.request_log == []
    assert "12345678" not in result.stderr  # a secret given with the wrong type is not echoed


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
        (b"003A\n" + b"9" * 10_000 + b"\n", "line 2 is longer than 4,096 characters"),
        (b"003A\n003B;003C,x y\n", "line 2: '003B;003C,x y' has whitespace"),
        (b"003A\n\xe9t\xe9\n", "not UTF-8"),
    ],
)
def test_unusable_id_files_are_reported_before_any_request(
    content: bytes, needle: str, simulator: GongSimulator, tmp_path: Path
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_bytes(content)
    config = {
        "api_url": simulator.url,
        "access_token": ACCESS_TOKEN,
        "crm_prospect_ids_file": str(ids),
    }
    result = run_cli(config=config, tmp_path=tmp_path)
    _assert_clean_failure(result, "crm_prospect_ids_file: ", needle)
    assert simulator.request_log == []


def test_unknown_setting_is_warned_about_and_the_sync_goes_on(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    config = {
        "api_url": simulator.url,
        "access_token": ACCESS_TOKEN,
        "crm_prospect_id": ["typo"],
        "crm_prospect_ids": list(dataset.prospect_ids())[:3],
    }
    result = run_cli(config=config, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Unknown setting 'crm_prospect_id' is ignored" in result.stderr


def test_no_prospect_ids_is_a_config_error(simulator: GongSimulator, tmp_path: Path) -> None:
    config = {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
    }
    result = run_cli(config=config, tmp_path=tmp_path)
    _assert_clean_failure(result, "crm_prospect_ids: no prospect IDs")
    assert simulator.request_log == []


def test_trailing_slash_in_api_url_is_accepted(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    ids = list(dataset.prospect_ids())[:5]
    config = {"api_url": simulator.url + "/", "access_token": ACCESS_TOKEN, "crm_prospect_ids": ids}
    result = run_cli(config=config, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert SyncOutput.parse(result.stdout).records() == dataset.expected_open_records(ids)
    assert [entry.path for entry in simulator.request_log] == [PATH]


def test_settings_from_environment_variables(
    simulator: GongSimulator, dataset: GongDataset, tmp_path: Path
) -> None:
    ids = list(dataset.prospect_ids())[:40]
    env = {
        "TAP_GONG_FLOWS_API_URL": simulator.url,
        "TAP_GONG_FLOWS_ACCESS_KEY": ACCESS_KEY,
        "TAP_GONG_FLOWS_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "TAP_GONG_FLOWS_CRM_PROSPECT_IDS": json.dumps(ids),
        "TAP_GONG_FLOWS_PROSPECT_IDS_PER_REQUEST": "15",
        "TAP_GONG_FLOWS_MAX_REQUESTS_PER_SECOND": "500",
    }
    result = run_cli("--config", "ENV", tmp_path=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert SyncOutput.parse(result.stdout).records() == dataset.expected_open_records(ids)
    assert len(simulator.request_log) == 3


def test_bad_number_in_environment_names_the_setting(tmp_path: Path) -> None:
    env = {
        "TAP_GONG_FLOWS_ACCESS_TOKEN": ACCESS_TOKEN,
        "TAP_GONG_FLOWS_PROSPECT_IDS_PER_REQUEST": "lots",
    }
    result = run_cli("--config", "ENV", tmp_path=tmp_path, env=env)
    _assert_clean_failure(result, "prospect_ids_per_request: must be a whole number (got 'lots')")


def test_api_failure_exits_non_zero_with_gongs_words_and_no_traceback(
    simulator: GongSimulator, tmp_path: Path
) -> None:
    config = {
        "api_url": simulator.url,
        "access_token": "wrong-token-123456",
        "crm_prospect_ids": ["0035g0000000000OH5"],
    }
    result = run_cli(config=config, tmp_path=tmp_path)
    _assert_clean_failure(result, "answered 401", "Gong says:", "requestId", "batch 1")
    assert "wrong-token-123456" not in result.stderr + result.stdout


def test_secrets_never_appear_even_at_debug_level(
    simulator: GongSimulator, faults: FaultPlan, dataset: GongDataset, tmp_path: Path
) -> None:
    ids = list(dataset.prospect_ids())[:50]
    for fault in (
        Fault.status(500),
        Fault.rate_limited(retry_after=None),
        Fault.drop_connection(),
        Fault.non_json(),
    ):
        faults.enqueue(fault, path=PATH)
    basic = base64.b64encode(f"{ACCESS_KEY}:{ACCESS_KEY_SECRET}".encode()).decode()
    good = {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "crm_prospect_ids": ids,
        "max_requests_per_second": 1000,
    }
    bad = {**good, "access_key_secret": ACCESS_KEY_SECRET[::-1]}
    token = {"api_url": simulator.url, "access_token": ACCESS_TOKEN, "crm_prospect_ids": ids}
    env = {"TAP_GONG_FLOWS_LOGLEVEL": "DEBUG"}
    outputs = []
    for config in (good, bad, token):
        result = run_cli(config=config, tmp_path=tmp_path, env=env)
        outputs.append(result.stdout + result.stderr)
        state = tmp_path / "state.json"
        state.write_text("{}")
    assert "DEBUG" in outputs[0], "the run should have logged at DEBUG"
    assert "Retrying" in outputs[0]
    everything = "\n".join(outputs)
    for secret in (ACCESS_KEY_SECRET, ACCESS_KEY_SECRET[::-1], ACCESS_TOKEN, basic):
        assert secret not in everything


def test_every_setting_is_in_about_meltano_yml_and_readme(tmp_path: Path) -> None:
    result = run_cli("--about", "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    about = json.loads(result.stdout)["settings"]["properties"]
    project = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text())
    (extractor,) = project["plugins"]["extractors"]
    declared = {setting["name"]: setting for setting in extractor["settings"]}
    readme = (REPO_ROOT / "README.md").read_text()
    for name, prop in SETTINGS_SCHEMA["properties"].items():
        assert name in about
        assert name in declared, f"{name} missing from meltano.yml"
        assert {"kind", "label", "description"} <= set(declared[name]), name
        assert bool(declared[name].get("sensitive")) == bool(prop.get("secret")), name
        assert f"`{name}`" in readme, f"{name} missing from README.md"
    assert set(declared) == set(SETTINGS_SCHEMA["properties"])


def test_discover_without_credentials(tmp_path: Path) -> None:
    result = run_cli("--discover", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    streams = {s["tap_stream_id"]: s for s in json.loads(result.stdout)["streams"]}
    assert streams["assigned_flows"]["key_properties"] == ["flowInstanceId"]
    assert streams["prospects"]["key_properties"] == ["crmProspectId"]


@pytest.fixture
def dataset() -> GongDataset:
    return GongDataset(prospect_count=100, seed=3)


_WRONG_VALUE_FOR_TYPE = {
    "string": 12345,
    "integer": "many",
    "number": "fast",
    "boolean": "yes please",
    "array": "003A,003B",
}


@pytest.mark.parametrize("name", sorted(SETTINGS_SCHEMA["properties"]))
def test_every_setting_with_a_wrong_type_is_named_in_the_error(name: str) -> None:
    from tap_gong_flows.config_checks import check_settings

    types = SETTINGS_SCHEMA["properties"][name]["type"]
    kind = next(t for t in ([types] if isinstance(types, str) else types) if t != "null")
    config = {"access_token": ACCESS_TOKEN, "crm_prospect_ids": ["003A"], name: None}
    config[name] = _WRONG_VALUE_FOR_TYPE[kind]
    problems = check_settings(config, SETTINGS_SCHEMA)
    assert any(p.startswith(f"{name}: must be") for p in problems), problems
    if SETTINGS_SCHEMA["properties"][name].get("secret"):
        assert all("12345" not in p for p in problems)
