"""How records leave the tap: the batching writer, the plain-record path and sync-wide metrics."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import UTC, datetime
from typing import Any

import pytest
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_gong_flows.output import FLUSH_AT_BYTES, RecordBatchingWriter
from tap_gong_flows.simulator import Fault, FaultPlan, GongDataset
from tap_gong_flows.streams.plain_records import PlainRecords

from .support import catalog_selecting, run_tap, run_tap_capturing_failure

PATH = "/v2/flows/prospects"


def _captured() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8")


def _written(stdout: io.TextIOWrapper) -> bytes:
    stdout.flush()
    return stdout.buffer.getvalue()  # type: ignore[attr-defined, no-any-return]


def test_records_wait_for_the_next_other_message_then_leave_in_order() -> None:
    writer = RecordBatchingWriter()
    stdout = _captured()
    with redirect_stdout(stdout):
        writer.write_message(RecordMessage(stream="s", record={"n": 1}))
        writer.write_message(RecordMessage(stream="s", record={"n": 2}))
        assert _written(stdout) == b""  # nothing yet: no system call per record
        writer.write_message(StateMessage(value={"done": 2}))
        lines = [json.loads(line) for line in _written(stdout).splitlines()]
    assert [line["type"] for line in lines] == ["RECORD", "RECORD", "STATE"]
    assert [line["record"]["n"] for line in lines[:2]] == [1, 2]


def test_a_large_pile_of_records_is_written_before_it_grows_past_the_limit() -> None:
    writer = RecordBatchingWriter()
    stdout = _captured()
    record = {"text": "x" * 1000}
    with redirect_stdout(stdout):
        for _ in range(3 * FLUSH_AT_BYTES // 1000):
            writer.write_record("s", record, None, datetime.now(UTC))
        written = _written(stdout)
        assert len(written) >= 2 * FLUSH_AT_BYTES
        writer.flush()
        assert _written(stdout).count(b"\n") == 3 * FLUSH_AT_BYTES // 1000


def test_records_still_pending_are_written_when_the_process_exits() -> None:
    code = (
        "from singer_sdk.singerlib import RecordMessage\n"
        "from tap_gong_flows.output import RecordBatchingWriter\n"
        "w = RecordBatchingWriter()\n"
        "w.write_message(RecordMessage(stream='s', record={'last': True}))\n"
        "raise SystemExit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 3
    assert json.loads(done.stdout)["record"] == {"last": True}


def test_write_record_gives_the_bytes_of_the_sdk_message() -> None:
    record = {"flowInstanceId": "7", "exclusive": True, "flowName": "Ünïcode", "n": None}
    direct, through_message = RecordBatchingWriter(), RecordBatchingWriter()
    first, second = _captured(), _captured()
    with redirect_stdout(first):
        when = datetime(2026, 11, 28, tzinfo=UTC)
        direct.write_record("assigned_flows", dict(record), 1764288000, when)
        direct.flush()
    with redirect_stdout(second):
        through_message.write_message(
            RecordMessage(
                stream="assigned_flows",
                record=dict(record),
                version=1764288000,
                time_extracted=datetime.fromisoformat("2026-11-28T00:00:00+00:00"),
            )
        )
        through_message.flush()
    assert _written(first) == _written(second)


def _without_time(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "time_extracted"} for m in messages]


def test_plain_path_writes_what_the_sdk_path_writes(
    base_config: dict[str, Any], dataset: GongDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:300]}
    plain = run_tap(config)
    monkeypatch.setattr(PlainRecords, "_writes_plain_records", False)
    through_sdk = run_tap(config)
    for stream in ("prospects", "assigned_flows"):
        ours, theirs = plain.of_type("RECORD", stream), through_sdk.of_type("RECORD", stream)
        assert ours, stream
        assert _without_time(ours) == _without_time(theirs)
        assert all("time_extracted" in m for m in ours)


def _deselecting(config: dict[str, Any], field: str) -> dict[str, Any]:
    catalog = catalog_selecting(config, "prospects", "assigned_flows")
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] == "assigned_flows":
            entry["metadata"].append(
                {"breadcrumb": ["properties", field], "metadata": {"selected": False}}
            )
    return catalog


def test_a_deselected_field_is_left_out_although_nothing_else_changes_records(
    base_config: dict[str, Any], dataset: GongDataset
) -> None:
    # No stream maps: the deselection alone must take records off the plain path.
    config = {**base_config, "crm_prospect_ids": list(dataset.prospect_ids())[:100]}
    everything = run_tap(config).records()
    assert everything
    assert all("flowInstanceOwnerEmail" in r for r in everything)  # the field is real
    records = run_tap(config, catalog=_deselecting(config, "flowInstanceOwnerEmail")).records()
    assert records == [
        {k: v for k, v in r.items() if k != "flowInstanceOwnerEmail"} for r in everything
    ]


def test_stream_maps_still_apply_with_a_deselected_field(
    base_config: dict[str, Any], dataset: GongDataset
) -> None:
    config = {
        **base_config,
        "crm_prospect_ids": list(dataset.prospect_ids())[:100],
        "stream_maps": {"assigned_flows": {"flow_upper": "flowName.upper()"}},
    }
    catalog = _deselecting(config, "flowInstanceOwnerEmail")
    records = run_tap(config, catalog=catalog).records()
    assert records
    assert all("flowInstanceOwnerEmail" not in r for r in records)
    assert all("flowInstanceOwnerFullName" in r for r in records)
    assert all(r["flow_upper"] == r["flowName"].upper() for r in records)


def _metrics(caplog: pytest.LogCaptureFixture, stream: str) -> list[dict[str, Any]]:
    points = []
    for record in caplog.records:
        message = record.getMessage()
        if record.name == "singer_sdk.metrics" and message.startswith("METRIC: "):
            point = json.loads(message.removeprefix("METRIC: "))
            if point["tags"].get("stream") == stream:
                points.append(point)
    return points


def test_assigned_flows_metrics_are_one_set_per_sync(
    base_config: dict[str, Any],
    dataset: GongDataset,
    simulator: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="singer_sdk.metrics")
    ids = list(dataset.prospect_ids())[:450]
    # METRIC lines are logged only with metrics_log on.
    records = run_tap({**base_config, "metrics_log": True, "crm_prospect_ids": ids}).records()
    points = _metrics(caplog, "assigned_flows")
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        by_metric.setdefault(point["metric"], []).append(point)
    assert [p["value"] for p in by_metric["record_count"]] == [len(records)]
    assert [p["value"] for p in by_metric["http_request_count"]] == [5]
    assert [p["tags"]["status"] for p in by_metric["sync_duration"]] == ["succeeded"]
    assert len(by_metric["http_request_duration"]) == 5  # the SDK's one per request stays


def test_a_failed_sync_logs_its_duration_as_failed(
    base_config: dict[str, Any],
    dataset: GongDataset,
    faults: FaultPlan,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="singer_sdk.metrics")
    faults.enqueue(Fault.slow(0), path=PATH)
    faults.enqueue(Fault.status(400), path=PATH)
    ids = list(dataset.prospect_ids())[:300]
    config = {**base_config, "metrics_log": True, "crm_prospect_ids": ids}
    _, error = run_tap_capturing_failure(
        config, catalog=catalog_selecting(config, "assigned_flows")
    )
    assert error is not None
    durations = [p for p in _metrics(caplog, "assigned_flows") if p["metric"] == "sync_duration"]
    assert [p["tags"]["status"] for p in durations] == ["failed"]


def test_state_lines_are_the_sdk_writers_bytes() -> None:
    state = {"bookmarks": {"assigned_flows": {"prospects_done": 300, "x": None}}, "y": [1, "a"]}
    message = StateMessage(value=state)
    ours = RecordBatchingWriter().format_message(message)
    theirs = MsgSpecWriter().format_message(message)
    assert bytes(ours) == bytes(theirs)
