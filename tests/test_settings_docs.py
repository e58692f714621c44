"""The settings' text is written once: meltano.yml and the README are generated from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from tap_gong_flows.settings import SECRET_SETTINGS, SETTINGS

# Freshly built: a tap started by another test adds the SDK's built-in settings to the
# schema object it is given.
SETTINGS_SCHEMA = SETTINGS.to_dict()

REPO_ROOT = Path(__file__).resolve().parent.parent


def _settings_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "settings_docs", REPO_ROOT / "tools" / "settings_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_meltano_yml_and_readme_are_what_the_declaration_generates() -> None:
    for path, text in _settings_docs().generated_files().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} drifted from tap_gong_flows/settings.py; "
            f"run python tools/settings_docs.py --write"
        )


def _meltano_settings() -> dict[str, dict[str, Any]]:
    project = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (tap,) = (p for p in project["plugins"]["extractors"] if p["name"] == "tap-gong-flows")
    return {setting["name"]: setting for setting in tap["settings"]}


def test_meltano_yml_declares_every_setting_with_its_text_and_secrecy() -> None:
    settings = _meltano_settings()
    properties = SETTINGS_SCHEMA["properties"]
    assert list(settings) == list(properties)
    for name, spec in properties.items():
        assert settings[name]["label"] == spec["title"]
        assert settings[name]["description"] == spec["description"]
        assert settings[name].get("sensitive", False) == (name in SECRET_SETTINGS)
        if spec.get("default") is not None:
            assert settings[name]["value"] == spec["default"]


def test_the_readme_table_has_one_row_per_setting_in_order() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(SETTINGS_SCHEMA["properties"])
