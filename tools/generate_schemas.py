"""Generate ``tap_gong_flows/schemas.py`` from Gong's official OpenAPI document.

Usage (from the repository root)::

    python tools/generate_schemas.py path/to/gong-openapi.json

Only structure is carried over: property names, types, formats and the values an
enum documents. Gong's descriptions are not copied. Two deliberate departures
from the spec keep a sync alive when Gong grows its API without notice:

* enums become plain strings (a status Gong adds tomorrow must reach the
  warehouse); the documented values are kept as ``KNOWN_VALUES`` for docs and tests;
* string fields whose documentation says they are ISO-8601 timestamps become
  ``DateTimeType`` even where the spec forgets ``format: date-time``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

# Component name in the spec -> (Python constant in schemas.py, the stream's primary key).
# Key properties are required and never null, whatever the spec says.
COMPONENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "PublicApiAssignedFlow": ("ASSIGNED_FLOW", ("flowInstanceId",)),
    "UserMetadata": ("USER", ("id",)),
    "PublicApiFlow": ("FLOW", ("id",)),
    "PublicApiFlowStep": ("FLOW_STEP", ("id",)),
    "ReminderDataDto": ("TASK", ("id",)),
}

# The endpoints the tap calls: their requests and 200 answers, kept strict (enums included)
# for the contract tests that hold the tap and the simulator to Gong's spec.
ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("post", "/v2/flows/prospects"),
    ("get", "/v2/users"),
    ("get", "/v2/flows"),
    ("get", "/v2/flows/folders"),
    ("post", "/v2/flows/steps"),
    ("post", "/v2/tasks"),
)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tap_gong_flows" / "schemas.py"
CONTRACT = ROOT / "tests" / "contract" / "gong_endpoints.json"
_KEPT_KEYWORDS = {"type", "format", "enum", "items", "properties", "required", "uniqueItems"}
_ISO_HINT = re.compile(r"ISO[- ]?8601|date-time", re.IGNORECASE)


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    name = ref.rsplit("/", 1)[-1]
    resolved: dict[str, Any] = spec["components"]["schemas"][name]
    return resolved


def _is_timestamp(node: dict[str, Any]) -> bool:
    if node.get("format") == "date-time":
        return True
    return node.get("type") == "string" and bool(_ISO_HINT.search(node.get("description", "")))


def _type_expr(
    spec: dict[str, Any], node: dict[str, Any], path: str, known: dict[str, list[str]], depth: int
) -> str:
    node = _resolve(spec, node)
    kind = node.get("type", "object" if "properties" in node else "string")
    if "enum" in node:
        known[path] = [str(value) for value in node["enum"]]
    if kind == "string":
        return "th.DateTimeType" if _is_timestamp(node) else "th.StringType"
    if kind == "integer":
        return "th.IntegerType"
    if kind == "number":
        return "th.NumberType"
    if kind == "boolean":
        return "th.BooleanType"
    if kind == "array":
        item = _type_expr(spec, node.get("items", {}), f"{path}[]", known, depth)
        return f"th.ArrayType({item})"
    return _object_expr(spec, node, path, known, depth + 1, "th.ObjectType")


def _object_expr(
    spec: dict[str, Any],
    node: dict[str, Any],
    path: str,
    known: dict[str, list[str]],
    depth: int,
    constructor: str,
    required: tuple[str, ...] = (),
) -> str:
    indent = "    " * depth
    lines = [f"{constructor}("]
    for name, child in node.get("properties", {}).items():
        child_path = f"{path}.{name}" if path else name
        expr = _type_expr(spec, child, child_path, known, depth)
        flag = ", required=True" if name in required else ""
        lines.append(f'{indent}th.Property("{name}", {expr}{flag}),')
    lines.append("    " * (depth - 1) + ")")
    return "\n".join(lines)


def _strict_schema(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A self-contained JSON Schema: references inlined, prose and examples dropped."""
    node = _resolve(spec, node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _KEPT_KEYWORDS:
            continue
        if key == "items":
            out[key] = _strict_schema(spec, value)
        elif key == "properties":
            out[key] = {name: _strict_schema(spec, child) for name, child in value.items()}
        else:
            out[key] = value
    return out


def render_contract(spec: dict[str, Any]) -> str:
    endpoints = {}
    for method, path in ENDPOINTS:
        operation = spec["paths"][path][method]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        endpoints[f"{method.upper()} {path}"] = {
            "query": {
                p["name"]: {"required": bool(p.get("required"))}
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            },
            "request": _strict_schema(spec, body["schema"]) if body else None,
            "response": _strict_schema(spec, answer),
        }
    version = spec.get("info", {}).get("version", "")
    document = {"source": f"Gong OpenAPI {version}".strip(), "endpoints": endpoints}
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def render(spec: dict[str, Any]) -> str:
    title = spec.get("info", {}).get("title", "Gong API")
    version = spec.get("info", {}).get("version", "")
    out = [
        f'"""Stream schemas derived from Gong\'s OpenAPI document ({title} {version}).'.rstrip()
        + "\n\nGenerated by ``tools/generate_schemas.py``: edit the generator, not this file.\n"
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from singer_sdk import typing as th",
        "",
    ]
    all_known: dict[str, dict[str, list[str]]] = {}
    for component, (constant, key) in COMPONENTS.items():
        node = spec["components"]["schemas"][component]
        missing = [name for name in key if name not in node.get("properties", {})]
        if missing:
            raise SystemExit(f"{component} has no property {missing}: update COMPONENTS")
        known: dict[str, list[str]] = {}
        body = _object_expr(spec, node, "", known, 1, "th.PropertiesList", key)
        out += [f"# Gong component: {component}", f"{constant} = {body}", ""]
        all_known[constant] = known
    out.append("# Values the spec documents for enum fields. The schemas above accept any string.")
    out.append("KNOWN_VALUES: dict[str, dict[str, tuple[str, ...]]] = {")
    for constant, known in all_known.items():
        out.append(f'    "{constant}": {{')
        for path, values in known.items():
            out.append(f'        "{path}": (')
            out += [f'            "{value}",' for value in values]
            out.append("        ),")
        out.append("    },")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    OUTPUT.write_text(render(spec), encoding="utf-8")
    CONTRACT.parent.mkdir(parents=True, exist_ok=True)
    CONTRACT.write_text(render_contract(spec), encoding="utf-8")
    # The project's formatter has the last word on layout, so regenerating gives no diff.
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", str(OUTPUT)], check=True)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
