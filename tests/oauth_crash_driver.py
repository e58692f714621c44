"""Runs ``tap-gong-flows`` with a crash injected where a refresh has just saved the rotated
tokens and nothing has used them yet, for ``tests/test_oauth_runs.py``.

    python oauth_crash_driver.py --config CONFIG.json --catalog CATALOG.json

The process ends with :data:`CRASH_EXIT_CODE` at once (``os._exit``: no cleanup, no flush),
as a kill would end it.
"""

from __future__ import annotations

import os

from tap_gong_flows.oauth_refresh import RefreshingAuth
from tap_gong_flows.tap import TapGongFlows

CRASH_EXIT_CODE = 70


def _crash(_auth: RefreshingAuth) -> None:
    os._exit(CRASH_EXIT_CODE)


if __name__ == "__main__":
    RefreshingAuth.tokens_saved = _crash  # type: ignore[method-assign]
    TapGongFlows.cli()
