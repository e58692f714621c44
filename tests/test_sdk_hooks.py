"""The private SDK members the tap depends on are still there, with the same parameters."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from tap_gong_flows.sdk_hooks import (
    PRIVATE_ATTRIBUTES,
    PRIVATE_FUNCTIONS,
    PRIVATE_HOOKS,
    SDK_VERSIONS_CHECKED,
    HookedStream,
    HookedTap,
)


@pytest.mark.parametrize(
    ("owner", "name", "parameters"),
    PRIVATE_HOOKS,
    ids=[f"{owner.__name__}.{name}" for owner, name, _ in PRIVATE_HOOKS],
)
def test_each_private_hook_keeps_its_signature(
    owner: type, name: str, parameters: tuple[str, ...]
) -> None:
    member = getattr(owner, name, None)
    assert callable(member), (
        f"singer-sdk {version('singer-sdk')} has no {owner.__name__}.{name}; "
        f"tap_gong_flows/sdk_hooks.py was checked against {SDK_VERSIONS_CHECKED}"
    )
    found = tuple(inspect.signature(member).parameters)
    assert found == parameters, (
        f"{owner.__name__}.{name} now takes {found}, not {parameters}: "
        f"review tap_gong_flows/sdk_hooks.py"
    )


@pytest.mark.parametrize(("owner", "name"), PRIVATE_ATTRIBUTES)
def test_each_private_attribute_is_still_there(owner: type, name: str) -> None:
    assert any(name in vars(klass) for klass in owner.__mro__), f"{owner.__name__}.{name} is gone"


@pytest.mark.parametrize(("function", "parameters"), PRIVATE_FUNCTIONS)
def test_each_private_function_keeps_its_signature(
    function: object, parameters: tuple[str, ...]
) -> None:
    assert callable(function)
    assert tuple(inspect.signature(function).parameters) == parameters


def test_the_installed_sdk_is_the_one_the_hooks_were_checked_against() -> None:
    major_minor = ".".join(version("singer-sdk").split(".")[:2])
    assert SDK_VERSIONS_CHECKED.startswith(major_minor + ".")


def test_every_private_override_is_declared() -> None:
    """The hooked classes override exactly the private methods listed, nothing more."""
    declared = {name for _owner, name, _ in PRIVATE_HOOKS} | {n for _o, n in PRIVATE_ATTRIBUTES}
    for hooked in (HookedStream, HookedTap):
        overridden = {
            name
            for name in vars(hooked)
            if name.startswith("_")
            and not name.startswith("__")
            and name not in ("_stream_version", "_abc_impl")
        }
        assert overridden <= declared, overridden - declared


def test_no_other_module_reaches_into_the_sdk() -> None:
    package = Path(__file__).resolve().parent.parent / "tap_gong_flows"
    private_names = [name for _owner, name, _ in PRIVATE_HOOKS] + [
        n for _o, n in PRIVATE_ATTRIBUTES
    ]
    private_use = re.compile(
        r"from singer_sdk[\w.]*\._\w+|import singer_sdk[\w.]*\._\w+|self\._tap\b"
        r"|self\._(?:config|stream_version|initialized_at)\b|\b(?:"
        + "|".join(re.escape(name) for name in private_names)
        + r")\b"
    )
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "sdk_hooks.py" or "simulator" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if private_use.search(line):
                offenders.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
