"""End to end with real Meltano and OAuth: five scheduled-style `meltano run`s in a row,
each longer than an access token lives (5 s), all from one initial refresh token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tap_gong_flows.simulator import TOKEN_PATH, GongDataset, GongSimulator, OAuthIssuer

from .support import CLIENT_ID, CLIENT_SECRET, meltano, meltano_environment

pytestmark = pytest.mark.e2e

RUNS = 5
TOKEN_SECONDS = 5.0


def test_five_meltano_runs_longer_than_a_token_all_succeed_from_one_refresh_token(
    tmp_path: Path,
) -> None:
    home = tmp_path / "meltano"
    home.mkdir()
    env = meltano_environment(home)
    meltano("install", "extractor", "tap-gong-flows", env=env)
    meltano("install", "loader", "target-jsonl", env=env)

    issuer = OAuthIssuer(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=None,
        access_token_seconds=TOKEN_SECONDS,
    )
    dataset = GongDataset(prospect_count=300, seed=21)
    ids = list(dataset.prospect_ids())
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    token_file = tmp_path / "secrets" / "gong-oauth.json"
    token_file.parent.mkdir()
    first = issuer.new_refresh_token()
    with GongSimulator(dataset, rate_limit_per_second=None, oauth=issuer) as simulator:
        sync_env = {
            **env,
            # The simulator environment's key pair is blanked: OAuth alone opens the door.
            "TAP_GONG_FLOWS_ACCESS_KEY": "",
            "TAP_GONG_FLOWS_ACCESS_KEY_SECRET": "",
            # The default base URL: the one in the token answers (the simulator) is used.
            "TAP_GONG_FLOWS_API_URL": "https://api.gong.io",
            "TAP_GONG_FLOWS_CLIENT_ID": CLIENT_ID,
            "TAP_GONG_FLOWS_CLIENT_SECRET": CLIENT_SECRET,
            "TAP_GONG_FLOWS_REFRESH_TOKEN": first,
            "TAP_GONG_FLOWS_OAUTH_TOKEN_FILE": str(token_file),
            "TAP_GONG_FLOWS_OAUTH_TOKEN_URL": simulator.url + TOKEN_PATH,
            "TAP_GONG_FLOWS_CRM_PROSPECT_IDS_FILE": str(ids_file),
            # 60 requests at 8 a second: each run lasts about 7.5 s, longer than a token.
            "TAP_GONG_FLOWS_PROSPECT_IDS_PER_REQUEST": "5",
            "TAP_GONG_FLOWS_MAX_REQUESTS_PER_SECOND": "8",
            "TAP_GONG_FLOWS__SELECT": json.dumps(["assigned_flows.*"]),
            "TAP_GONG_FLOWS_LOGLEVEL": "DEBUG",
        }
        printed = []
        for run in range(RUNS):
            out = tmp_path / f"out-{run}"
            out.mkdir()
            sync_env["TARGET_JSONL_DESTINATION_PATH"] = str(out)
            before = len(issuer.exchanges)
            result = meltano(
                "--log-level=debug",
                "run",
                "--state-id-suffix",
                "oauth",
                "tap-gong-flows",
                "target-jsonl",
                env=sync_env,
            )
            printed.append(result.stdout + result.stderr)
            lines = (out / "assigned_flows.jsonl").read_text().splitlines()
            assert [json.loads(line) for line in lines] == dataset.expected_open_records(ids)
            assert len(issuer.exchanges) - before >= 2, "refreshed at the start and mid-run"

    exchanges = issuer.exchanges
    assert [e.error for e in exchanges] == [None] * len(exchanges)
    assert [e.spent for e in exchanges] == [first] + [e.issued for e in exchanges[:-1]]
    assert json.loads(token_file.read_text())["refresh_token"] == exchanges[-1].issued
    assert {e.status for e in simulator.request_log if not e.path.startswith(TOKEN_PATH)} == {200}
    # Meltano's debug output carries the tap's own lines (the tap logs at DEBUG too).
    assert all("OAuth: got an access token for 5 s" in text for text in printed)
    leaked = [s for s in issuer.issued_secrets() if any(s in text for text in printed)]
    assert leaked == []
