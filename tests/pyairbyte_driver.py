"""Drives ``source-gong-flows`` through PyAirbyte, for ``tests/test_pyairbyte_e2e.py``.

It runs with the Python of ``.venv-pyairbyte`` (``scripts/pyairbyte_venv.sh``), where PyAirbyte
is installed, not with the project's: it imports nothing of the project.

    python pyairbyte_driver.py REQUEST.json ANSWER.json

REQUEST is ``{"command": "check", "executable": ..., "configs": [...]}`` or
``{"command": "read", "executable": ..., "config": {...}}``. ``read`` is PyAirbyte's default
read of every stream: ``select_all_streams()`` then ``read()``, into the default DuckDB cache
(under the working directory). ANSWER gets what the test checks, as JSON: for ``check`` one
outcome per config; for ``read`` the records read, every row of every stream's cache table
and the state PyAirbyte keeps for each stream.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import airbyte as ab

SOURCE_NAME = "source-gong-flows"


def _source(executable: str, config: dict[str, Any]) -> Any:
    return ab.get_source(SOURCE_NAME, config=config, local_executable=executable)


def check(executable: str, configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    outcomes = []
    for config in configs:
        try:
            _source(executable, config).check()
        except Exception as exc:  # PyAirbyte's own exception types carry the reason
            context = getattr(exc, "context", None) or {}
            outcomes.append(
                {
                    "ok": False,
                    "error": type(exc).__name__,
                    "reason": context.get("failure_reason"),
                    "text": str(exc),
                }
            )
        else:
            outcomes.append({"ok": True})
    return outcomes


def _plain(value: Any) -> Any:
    """A value from the cache as JSON can carry it: timestamps as ISO strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot pass {type(value).__name__} {value!r} to the test")


def read(executable: str, config: dict[str, Any]) -> dict[str, Any]:
    source = _source(executable, config)
    source.select_all_streams()
    result = source.read()  # PyAirbyte's defaults: incremental where it can, default cache
    cache = result.cache
    streams = {name: [dict(row) for row in cache.streams[name]] for name in result.streams}
    states = {
        state.stream_descriptor.name: state.stream_state.model_dump()
        if state.stream_state
        else None
        for state in cache.get_state_provider(SOURCE_NAME).stream_state_artifacts
    }
    return {"processed_records": result.processed_records, "streams": streams, "states": states}


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text())
    if request["command"] == "check":
        answer: Any = check(request["executable"], request["configs"])
    else:
        answer = read(request["executable"], request["config"])
    Path(sys.argv[2]).write_text(json.dumps(answer, default=_plain))


if __name__ == "__main__":
    main()
