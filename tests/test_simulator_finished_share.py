"""The simulator's ``--finished-share``: a simulator started later in the same account, after
time passed (the demo restarts it so that a second sync finds outcomes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

from tap_gong_flows.simulator import FINISHED_STATUSES, PROSPECTS_PATH, GongDataset

from .support import simulator_cli

TOKEN = "finished-share-token"


def ask(url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = requests.post(
        url + PROSPECTS_PATH, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["prospectsAssigned"]
    return records


def test_finished_share_finishes_that_share_of_the_open_instances(tmp_path: Path) -> None:
    before = GongDataset(60, seed=3)
    ids = list(before.prospect_ids())
    open_before = before.expected_open_records(ids)
    after = GongDataset(60, seed=3)
    after.finish_instances(0.5)
    args = ("--prospects", "60", "--seed", "3", "--access-token", TOKEN, "--finished-share", "0.5")
    with simulator_cli(*args, cwd=tmp_path) as (_, line):
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        still_open = ask(match.group(0), {"crmProspectsIds": ids})
        instance_ids = [record["flowInstanceId"] for record in open_before]
        looked_up = ask(match.group(0), {"flowInstanceIds": instance_ids})

    assert still_open == after.expected_open_records(ids)
    assert 0 < len(still_open) < len(open_before)
    finished = [r for r in looked_up if r["flowInstanceStatus"] in FINISHED_STATUSES]
    assert len(finished) == len(open_before) - len(still_open)
    assert looked_up == after.expected_instance_records(instance_ids)


def test_finished_share_out_of_range_is_refused(tmp_path: Path) -> None:
    args = ("--finished-share", "1.5")
    with simulator_cli(*args, cwd=tmp_path) as (process, line):
        assert line == ""
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 2
    assert "fraction must be within [0, 1]: 1.5" in stderr
    assert "Traceback" not in stderr
