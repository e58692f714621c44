"""The simulator's answer times: seeded, skewed like a network's, capped."""

from __future__ import annotations

import statistics

import pytest
import requests

from tap_gong_flows.simulator import AnswerDelay, GongDataset, GongSimulator

from .support import FakeClock, simulator_cli


def test_draws_are_seeded_skewed_and_capped() -> None:
    first = [AnswerDelay(0.6, seed=4).draw() for _ in range(1)]
    again = AnswerDelay(0.6, seed=4)
    draws = [again.draw() for _ in range(2001)]
    assert draws[0] == first[0]  # the same seed, the same answer times
    assert draws != [AnswerDelay(0.6, seed=5).draw() for _ in range(2001)]
    assert statistics.median(draws) == pytest.approx(0.6, rel=0.1)
    assert statistics.mean(draws) > statistics.median(draws)  # a long tail of slow answers
    assert max(draws) <= 0.6 * 5
    assert min(draws) > 0


def test_no_latency_means_no_wait() -> None:
    assert {AnswerDelay(0).draw() for _ in range(10)} == {0.0}
    with pytest.raises(ValueError, match="negative"):
        AnswerDelay(-1)


def test_each_answer_waits_its_draw() -> None:
    delay = AnswerDelay(0.05, seed=1)
    twin = AnswerDelay(0.05, seed=1)
    expected = [twin.draw() for _ in range(3)]
    clock = FakeClock()
    dataset = GongDataset(prospect_count=10)
    with GongSimulator(dataset, latency=delay, clock=clock, sleep=clock.sleep) as sim:
        auth = ("sim-access-key", "sim-access-key-secret")
        for _ in range(3):
            assert requests.get(f"{sim.url}/v2/users", auth=auth, timeout=5).status_code == 200
        log = sim.request_log
    assert clock.slept == expected  # one draw per answer, in order
    # Each answer is stamped after its own wait, and the next request arrives after it.
    stamps = [stamp for entry in log for stamp in (entry.arrived, entry.answered)]
    assert stamps == [
        0.0,
        expected[0],
        expected[0],
        expected[0] + expected[1],
        expected[0] + expected[1],
        expected[0] + expected[1] + expected[2],
    ]
    assert sim.most_in_flight() == 1  # one after the other


def test_cli_takes_a_latency(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with simulator_cli("--port", "0", "--latency", "0.01", "--latency-seed", "2", cwd=tmp_path) as (
        _process,
        line,
    ):
        assert "listening on http://127.0.0.1:" in line
