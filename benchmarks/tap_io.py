"""The tap's catalog and output as the benchmarks need them.

:func:`select_streams` turns the catalog ``--discover`` printed into one with the chosen
streams selected; :func:`record_digest` sums up the RECORD messages of a captured output,
so that two runs can be checked for the same records, in the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

# Every stream of the tap, in the order the SDK syncs them (by name).
ALL_STREAMS = (
    "assigned_flows",
    "flow_folders",
    "flow_steps",
    "flows",
    "prospects",
    "tasks",
    "users",
)


def select_streams(discovered: Path, selected: Collection[str], out: Path) -> Path:
    """Write ``discovered`` with exactly ``selected`` streams selected; returns ``out``.

    Raises ValueError when the catalog is not usable or names a stream it lacks.
    """
    try:
        catalog = json.loads(discovered.read_text())
        names = set()
        for entry in catalog["streams"]:
            name = entry.get("tap_stream_id", entry.get("stream"))
            names.add(name)
            for item in entry.get("metadata", []):
                if item.get("breadcrumb") == []:
                    item.setdefault("metadata", {})["selected"] = name in selected
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"--discover printed no usable catalog: {exc!r}") from exc
    missing = set(selected) - names
    if missing:
        raise ValueError(f"the discovered catalog lacks the streams {sorted(missing)}")
    out.write_text(json.dumps(catalog))
    return out


@dataclass(frozen=True)
class RecordDigest:
    """The RECORD messages of one output: a hash of their sequence, and counts per stream.

    ``time_extracted`` and ``version`` are left out of the hash: they differ from run to
    run by design. The record itself and its stream, in output order, are hashed.
    """

    sha256: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        return ", ".join(f"{n:,} {stream}" for stream, n in sorted(self.counts.items()))


def record_digest(captured: Path) -> RecordDigest:
    decoder = msgspec.json.Decoder()
    encoder = msgspec.json.Encoder(order="sorted")
    digest = hashlib.sha256()
    counts: Counter[str] = Counter()
    with captured.open("rb") as handle:
        for line in handle:
            if b'"RECORD"' not in line[:40]:
                continue
            message: dict[str, Any] = decoder.decode(line)
            if message.get("type") != "RECORD":
                continue
            stream = str(message.get("stream"))
            counts[stream] += 1
            digest.update(encoder.encode([stream, message.get("record")]))
            digest.update(b"\n")
    return RecordDigest(digest.hexdigest(), dict(counts))
