"""The serialization floor: msgspec-encode Singer RECORD lines to stdout in a tight loop.

Reads the ``assigned_flows`` records out of a captured tap output, then writes them as
RECORD messages (same keys as the SDK's, ``time_extracted`` taken per record) to stdout,
``--repeat`` times over. No stream machinery, no conformance, no HTTP: only encoding and
writing. ``--flush-each`` flushes stdout after every line, as the SDK's ``MsgSpecWriter``
does. The loop's own wall and CPU time (start-up and loading excluded) go to ``--result``
as JSON: ``{"records": N, "seconds": wall, "cpu_seconds": user + system}``.

Run: ``python -m benchmarks.bare_serialize CAPTURED.jsonl --result out.json [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

import msgspec


def load_records(path: Path, stream: str) -> list[dict[str, Any]]:
    decoder = msgspec.json.Decoder()
    records: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for line in handle:
            message = decoder.decode(line)
            if message.get("type") == "RECORD" and message.get("stream") == stream:
                records.append(message["record"])
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("captured", type=Path, help="a tap's stdout (Singer messages)")
    parser.add_argument("--result", type=Path, required=True, help="where to write the timing")
    parser.add_argument("--stream", default="assigned_flows")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--flush-each", action="store_true")
    args = parser.parse_args(argv)

    records = load_records(args.captured, args.stream)
    if not records:
        print(f"no {args.stream} records in {args.captured}", file=sys.stderr)
        return 1
    encoder = msgspec.json.Encoder()
    out = sys.stdout.buffer
    stream, utc, now = args.stream, datetime.UTC, datetime.datetime.now
    flush_each = args.flush_each

    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(args.repeat):
        for record in records:
            message = {
                "type": "RECORD",
                "stream": stream,
                "record": record,
                "time_extracted": now(utc),
            }
            out.write(encoder.encode(message) + b"\n")
            if flush_each:
                out.flush()
    out.flush()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started

    written = len(records) * args.repeat
    args.result.write_text(
        json.dumps({"records": written, "seconds": seconds, "cpu_seconds": cpu_seconds})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
