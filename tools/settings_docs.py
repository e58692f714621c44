"""Write the settings of ``meltano.yml`` and the README's configuration table from the
declaration in ``tap_gong_flows/settings.py``, so that a setting's text is written once.

Usage (from the repository root, with the project's venv)::

    python tools/settings_docs.py           # exit 1 and say which file drifted
    python tools/settings_docs.py --write   # rewrite both generated blocks

Each generated block sits between a begin and an end marker; the rest of both files is
left alone. ``tests/test_settings_docs.py`` fails when a block differs from what this
script would write.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tap_gong_flows.settings import SETTINGS, UNSET_MEANS  # noqa: E402

# Freshly built: the SDK adds its built-in settings to the tap's schema object at run time.
SETTINGS_SCHEMA = SETTINGS.to_dict()

MELTANO_YML = REPO_ROOT / "meltano.yml"
README = REPO_ROOT / "README.md"

MELTANO_BEGIN = (
    "    # Generated from tap_gong_flows/settings.py: python tools/settings_docs.py --write\n"
)
MELTANO_END = "    # End of the generated settings.\n"
README_BEGIN = (
    "<!-- Generated from tap_gong_flows/settings.py: python tools/settings_docs.py --write -->\n"
)
README_END = "<!-- End of the generated settings table. -->\n"

# Meltano 4.4 fails on `kind: decimal` values set from the environment; the tap itself
# takes fractions from a config file, so number settings are integers to Meltano.
_MELTANO_KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "integer",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}
_DECIMAL_NOTE = (
    "  # Meltano 4.4 fails on decimal values from the environment; "
    "the tap takes fractions from a config file"
)


def _json_type(spec: dict[str, Any]) -> str:
    types = spec["type"]
    names = [types] if isinstance(types, str) else list(types)
    return next(name for name in names if name != "null")


def _yaml_scalar(value: Any) -> str:
    dumped = yaml.safe_dump(value, default_flow_style=True, width=1 << 20, allow_unicode=True)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def meltano_settings() -> str:
    """The extractor's ``settings:`` list, as it stands in ``meltano.yml``."""
    lines = ["    settings:"]
    for name, spec in SETTINGS_SCHEMA["properties"].items():
        json_type = _json_type(spec)
        lines.append(f"    - name: {name}")
        note = _DECIMAL_NOTE if json_type == "number" else ""
        lines.append(f"      kind: {_MELTANO_KINDS[json_type]}{note}")
        if "default" in spec and spec["default"] is not None:
            lines.append(f"      value: {_yaml_scalar(spec['default'])}")
        if spec.get("secret"):
            lines.append("      sensitive: true")
        lines.append(f"      label: {_yaml_scalar(spec['title'])}")
        lines.append(f"      description: {_yaml_scalar(spec['description'])}")
    return "\n".join(lines) + "\n"


def _code_names(text: str) -> str:
    """Setting names, paths and URLs in backticks, for Markdown."""
    names = sorted(SETTINGS_SCHEMA["properties"], key=len, reverse=True)
    words = "|".join(re.escape(name) for name in names)
    pattern = (
        rf"(?<![\w`/.-])({words}|/v2/[\w/]+|https?://[^\s,)]+|[\w.-]*\.csv|Retry-After)(?![\w`])"
    )
    return re.sub(pattern, r"`\1`", text)


def _shown_default(name: str, spec: dict[str, Any]) -> str:
    default = spec.get("default")
    if default is None:
        return UNSET_MEANS.get(name, "")
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


def readme_table() -> str:
    """The README's configuration table."""
    rows = ["| Setting | Default | Description |", "|:--------|:-------:|:------------|"]
    for name, spec in SETTINGS_SCHEMA["properties"].items():
        description = _code_names(spec["description"]).replace("|", "\\|")
        if spec.get("secret"):
            description += " Secret: never logged or shown."
        rows.append(f"| `{name}` | {_shown_default(name, spec)} | {description} |")
    return "\n".join(rows) + "\n"


def _replace_block(text: str, begin: str, end: str, block: str, where: Path) -> str:
    start = text.find(begin)
    stop = text.find(end, start)
    if start < 0 or stop < 0:
        raise SystemExit(f"{where.name}: the generated-block markers are missing")
    return text[: start + len(begin)] + block + text[stop:]


def generated_files() -> dict[Path, str]:
    """Each file as this script would write it."""
    meltano = MELTANO_YML.read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    return {
        MELTANO_YML: _replace_block(
            meltano, MELTANO_BEGIN, MELTANO_END, meltano_settings(), MELTANO_YML
        ),
        README: _replace_block(readme, README_BEGIN, README_END, readme_table(), README),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated blocks")
    args = parser.parse_args(argv)
    drifted = []
    for path, text in generated_files().items():
        if path.read_text(encoding="utf-8") != text:
            drifted.append(path.name)
            if args.write:
                path.write_text(text, encoding="utf-8")
    if drifted and not args.write:
        print(f"out of date: {', '.join(drifted)}; run python tools/settings_docs.py --write")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
