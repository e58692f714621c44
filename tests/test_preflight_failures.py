"""The preflight's advice for each way the first contact can fail other than a missing
scope: refused credentials, an unreachable or wrong base URL, an outage, the daily limit.
Each is what the simulator answers on loopback; no probe is sent after one that cannot
be got past."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tap_gong_flows.preflight import PreflightReport
from tap_gong_flows.simulator import Fault, FaultPlan, GongDataset, GongSimulator
from tap_gong_flows.tap import TapGongFlows

from .support import catalog_selecting

STREAMS = ("users", "assigned_flows")


def _report(config: dict[str, Any]) -> PreflightReport:
    tap = TapGongFlows(config=config, catalog=catalog_selecting(config, *STREAMS))
    return tap.preflight_report()


def _config(base_config: dict[str, Any], dataset: GongDataset, **settings: Any) -> dict[str, Any]:
    return {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:10], **settings}


def _unused_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_refused_credentials_say_which_settings_to_check_and_stop_the_probes(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    report = _report(_config(base_config, dataset, access_key_secret="not-the-secret"))

    assert not report.ok
    text = "\n".join(report.lines())
    assert "GET /v2/users failed: 401 Unauthorized (Gong says: " in text
    assert "Gong refused the credentials: check access_key and access_key_secret" in text
    assert "not sent: GET /v2/users answered 401" in text
    assert "not-the-secret" not in text
    assert [entry.path for entry in simulator.request_log] == ["/v2/users"]


def test_an_unreachable_base_url_names_it(
    dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    url = f"http://127.0.0.1:{_unused_loopback_port()}"
    report = _report(_config(base_config, dataset, api_url=url, max_retries=0))

    assert not report.ok
    assert f"Gong could not be reached at {url}: check api_url" in "\n".join(report.lines())


@pytest.mark.parametrize(
    ("fault", "advice"),
    [
        (
            Fault.status(302, "", headers={"Location": "https://app.gong.io/"}),
            "redirects: it is not Gong's API host",
        ),
        (Fault.status(503), "Gong kept answering 503 until the retries ran out"),
        (Fault.rate_limited(retry_after=3600), "the company's 10,000 calls a day are used up"),
    ],
)
def test_each_other_failure_comes_with_what_to_do(
    simulator: GongSimulator,
    faults: FaultPlan,
    dataset: GongDataset,
    base_config: dict[str, Any],
    fault: Fault,
    advice: str,
) -> None:
    faults.enqueue(fault, path="/v2/users", times=5)
    report = _report(_config(base_config, dataset, max_retries=1))

    assert not report.ok
    assert report.blocked == list(STREAMS)
    assert advice in "\n".join(report.lines())


def test_a_failure_that_is_only_missing_scopes_gets_no_other_advice(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    simulator.scopes = {"api:flows:read"}
    report = _report(_config(base_config, dataset))

    assert report.blocked == ["users"]
    text = "\n".join(report.lines())
    assert "Missing scopes: api:users:read." in text
    assert "/v2/users failed:" not in text
    assert not any(words in text for words in ("refused the credentials", "could not be reached"))
