"""``source-gong-flows`` (or ``python -m tap_gong_flows.airbyte``): the Airbyte source."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from tap_gong_flows.airbyte.source import run
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("airbyte_protocol", "pydantic"):
            raise
        print(
            "source-gong-flows needs the airbyte extra: pip install 'tap-gong-flows[airbyte]'",
            file=sys.stderr,
        )
        sys.exit(1)
    # Airbyte reads messages from stdout: anything else printed goes to stderr instead.
    messages = sys.stdout
    sys.stdout = sys.stderr
    try:
        code = run(sys.argv[1:], messages)
    finally:
        sys.stdout = messages
    sys.exit(code)


if __name__ == "__main__":
    main()
