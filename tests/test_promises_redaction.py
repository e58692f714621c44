"""The README's promise that a log filter masks secrets even in text the tap did not write:
a real run (the CLI, logging at DEBUG) meets a proxy error page that echoes the request's
credentials, and the retry line that quotes the page shows them masked.

Without the filter the tap installs, the page's text would reach stderr as it came."""

from __future__ import annotations

import base64
from pathlib import Path

from tap_gong_flows.redaction import MASK
from tap_gong_flows.simulator import PROSPECTS_PATH, Fault, FaultPlan, GongDataset, GongSimulator

from .support import ACCESS_KEY, ACCESS_KEY_SECRET, run_cli


def test_a_secret_echoed_by_a_proxy_is_masked_in_a_debug_run(
    simulator: GongSimulator, faults: FaultPlan, dataset: GongDataset, tmp_path: Path
) -> None:
    basic = base64.b64encode(f"{ACCESS_KEY}:{ACCESS_KEY_SECRET}".encode()).decode()
    echo_page = (
        "<html><body><h1>502 Bad Gateway</h1><pre>upstream request: POST /v2/flows/prospects "
        f"Authorization: Basic {basic} key={ACCESS_KEY} secret={ACCESS_KEY_SECRET}"
        "</pre></body></html>"
    )
    faults.enqueue(Fault.status(502, echo_page, "text/html"), path=PROSPECTS_PATH)
    config = {
        "api_url": simulator.url,
        "access_key": ACCESS_KEY,
        "access_key_secret": ACCESS_KEY_SECRET,
        "crm_prospect_ids": list(dataset.prospect_ids())[:20],
        "max_requests_per_second": 1000,
    }
    result = run_cli(config=config, tmp_path=tmp_path, env={"TAP_GONG_FLOWS_LOGLEVEL": "DEBUG"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DEBUG" in result.stderr, "the run should have logged at DEBUG"
    (retry_line,) = [line for line in result.stderr.splitlines() if "Retrying POST" in line]
    assert "upstream request" in retry_line  # the page's text did reach a log line
    assert f"Authorization: {MASK} key={MASK} secret={MASK}" in retry_line
    for secret in (ACCESS_KEY_SECRET, basic):
        assert secret not in result.stderr
        assert secret not in result.stdout
