"""The simulator's prospects and flow instances: identifiers, determinism, the mix of
statuses, record shapes."""

from __future__ import annotations

import collections
import itertools
import re
from datetime import UTC, datetime

import pytest

from tap_gong_flows.simulator import (
    GongDataset,
    parse_prospect_index,
    prospect_id,
)

from .fixed_records import (
    OPEN_STATUS_NAMES,
    SMALL_FINISHED,
    SMALL_IDS,
    SMALL_INSTANCES,
    SMALL_OPEN,
    SMALL_PROSPECT_COUNT,
    SMALL_SEED,
    SPEC_STATUSES,
)
from .prospects_api import ALL_IDS, DATASET, FINISHED_INSTANCES, RECORD_FIELDS

# -- identifiers and dataset ----------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1, 61, 62, 3843, 999_999, 123_456_789, 62**9 - 1])
def test_prospect_id_round_trips(index: int) -> None:
    crm_id = prospect_id(index)
    assert len(crm_id) == 18
    assert crm_id.startswith("003")
    assert crm_id.isalnum()
    assert parse_prospect_index(crm_id) == index


def test_prospect_ids_are_distinct_and_reject_tampering() -> None:
    ids = [prospect_id(index) for index in range(5000)]
    assert len(set(ids)) == len(ids)
    tampered = ids[42][:-1] + ("A" if ids[42][-1] != "A" else "B")
    assert parse_prospect_index(tampered) is None
    swapped_body = ids[42][:10] + ids[43][10:15] + ids[42][15:]
    assert parse_prospect_index(swapped_body) is None
    for garbage in ["", "a5V1Q00A120DP4CVAW", ids[42][:15], ids[42] + "X", "0035g0!!!!!!!!!ABC"]:
        assert parse_prospect_index(garbage) is None
    with pytest.raises(ValueError, match="out of range"):
        prospect_id(-1)


def test_dataset_is_deterministic_and_seed_dependent() -> None:
    ids = ALL_IDS[:100]
    again = GongDataset(300, seed=7)
    other_seed = GongDataset(300, seed=8)
    assert list(again.prospect_ids()) == ALL_IDS
    assert [again.assigned_flows(i) for i in ids] == [DATASET.assigned_flows(i) for i in ids]
    assert [other_seed.assigned_flows(i) for i in ids] != [DATASET.assigned_flows(i) for i in ids]


def test_instance_counts_follow_the_intended_mix() -> None:
    dataset = GongDataset(4000, seed=1)
    counts = collections.Counter(len(dataset.assigned_flows(i)) for i in dataset.prospect_ids())
    share = {count: counts[count] / 4000 for count in range(4)}
    assert set(counts) == {0, 1, 2, 3}
    assert 0.26 < share[0] < 0.34
    assert 0.41 < share[1] < 0.49
    assert 0.17 < share[2] < 0.23
    assert 0.03 < share[3] < 0.07


def test_records_are_well_formed_and_varied() -> None:
    records = [record for crm_id in ALL_IDS for record in DATASET.assigned_flows(crm_id)]
    shapes = set()
    for crm_id in ALL_IDS:
        flows = DATASET.assigned_flows(crm_id)
        assert len({record["flowId"] for record in flows}) == len(flows)
        assert all(record["crmProspectId"] == crm_id for record in flows)
    for record in records:
        assert list(record) == list(RECORD_FIELDS)
        assert all(isinstance(record[key], kind) for key, kind in RECORD_FIELDS.items())
        assert re.fullmatch(r"\d{19}", record["flowId"])
        assert re.fullmatch(r"\d{19}", record["flowInstanceId"])
        created = datetime.fromisoformat(record["flowInstanceCreateDate"])
        assert created.tzinfo is not None
        assert datetime(2025, 1, 1, tzinfo=UTC) <= created < datetime(2027, 1, 1, tzinfo=UTC)
        text = record["flowInstanceCreateDate"]
        shapes.add(("Z" if text.endswith("Z") else "offset", len(text.split(".")[-1])))
    assert {shape for shape, _ in shapes} == {"Z", "offset"}
    assert {r["flowInstanceStatus"] for r in records} == SPEC_STATUSES  # all six, no other
    assert len({r["flowInstanceId"] for r in records}) == len(records)
    assert len({r["flowInstanceOwnerEmail"] for r in records}) >= 5
    assert {r["exclusive"] for r in records} == {True, False}


def test_a_small_dataset_holds_exactly_the_records_written_out() -> None:
    small = GongDataset(SMALL_PROSPECT_COUNT, seed=SMALL_SEED)
    assert list(small.prospect_ids()) == SMALL_IDS
    for crm_id in SMALL_IDS:
        assert small.assigned_flows(crm_id) == SMALL_INSTANCES[crm_id]
        written_open = [
            r for r in SMALL_INSTANCES[crm_id] if r["flowInstanceStatus"] in OPEN_STATUS_NAMES
        ]
        assert small.open_assigned_flows(crm_id) == written_open
    assert small.expected_open_records(SMALL_IDS) == SMALL_OPEN
    assert small.expected_open_records(SMALL_IDS[::-1]) == [
        SMALL_OPEN[2],
        SMALL_OPEN[1],
        SMALL_OPEN[0],
    ]
    finished_ids = [record["flowInstanceId"] for record in SMALL_FINISHED]
    assert small.expected_instance_records([*finished_ids, "1700000000000000000"]) == SMALL_FINISHED
    assert [small.instance(r["flowInstanceId"]) for r in SMALL_OPEN] == SMALL_OPEN


def test_open_flows_exclude_finished_instances_and_unknown_ids() -> None:
    for crm_id in ALL_IDS:
        everything = DATASET.assigned_flows(crm_id)
        opened = DATASET.open_assigned_flows(crm_id)
        assert opened == [r for r in everything if r["flowInstanceStatus"] in OPEN_STATUS_NAMES]
    assert FINISHED_INSTANCES
    assert DATASET.open_assigned_flows(prospect_id(300)) == []  # just past the dataset
    assert DATASET.open_assigned_flows("not-a-crm-id") == []


def test_open_instance_of_an_exclusive_flow_is_the_only_open_one() -> None:
    dataset = GongDataset(3000, seed=2)
    exclusive_prospects = 0
    for crm_id in dataset.prospect_ids():
        opened = dataset.open_assigned_flows(crm_id)
        if any(record["exclusive"] for record in opened):
            exclusive_prospects += 1
            assert len(opened) == 1, opened
    assert exclusive_prospects > 100


def test_instances_resolve_by_id_whatever_their_status() -> None:
    for crm_id in ALL_IDS:
        for record in DATASET.assigned_flows(crm_id):
            assert DATASET.instance(record["flowInstanceId"]) == record
    some_id = FINISHED_INSTANCES[0]["flowInstanceId"]
    assert DATASET.instance(some_id[:-1] + str((int(some_id[-1]) + 1) % 10)) is None
    assert DATASET.instance("1234567890") is None
    outside = GongDataset(10, seed=7)
    assert outside.instance(FINISHED_INSTANCES[-1]["flowInstanceId"]) is None


def test_large_datasets_cost_nothing_up_front() -> None:
    dataset = GongDataset(5_000_000)
    assert list(itertools.islice(dataset.prospect_ids(), 3)) == [prospect_id(i) for i in range(3)]
    assert dataset.prospect_index(prospect_id(4_999_999)) == 4_999_999
    assert dataset.prospect_index(prospect_id(5_000_000)) is None
