"""The package's shape: imports run one way, no file does two jobs' worth of lines."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "tap_gong_flows"
# The entrypoints build the tap; nothing else may import it, not even for typing.
ENTRYPOINTS = {"tap_gong_flows.tap", "tap_gong_flows.__main__", "tap_gong_flows.airbyte.source"}
GENERATED = {PACKAGE / "schemas.py"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports by name, TYPE_CHECKING blocks included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found.update(name for name in names if name in known)
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def test_no_import_circle_among_the_tap_modules() -> None:
    assert _cycles(_import_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_entrypoints_import_the_tap_class() -> None:
    importers = {
        name for name, imports in _import_graph().items() if "tap_gong_flows.tap" in imports
    }
    assert importers <= ENTRYPOINTS, importers - ENTRYPOINTS


def test_no_hand_written_module_is_over_400_lines() -> None:
    roots = [PACKAGE, REPO_ROOT / "benchmarks", REPO_ROOT / "tools", REPO_ROOT / "tests"]
    long = {
        str(path.relative_to(REPO_ROOT)): lines
        for root in roots
        for path in root.rglob("*.py")
        if path not in GENERATED
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_test_modules_share_helpers_only_through_support_modules() -> None:
    """Helpers come from support modules (tests/support.py, tests/transport/servers.py...),
    never from a conftest or another test module."""
    reaching = {}
    for path in (REPO_ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                local = node.level > 0 or node.module.startswith("tests.")
                last = node.module.rsplit(".", 1)[-1]
                if local and (last == "conftest" or last.startswith("test_")):
                    reaching[str(path.relative_to(REPO_ROOT))] = node.module
    assert reaching == {}
