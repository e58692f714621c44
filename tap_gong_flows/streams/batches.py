"""How ``prospects`` hands ``assigned_flows`` its batches of IDs, and their answers.

The SDK syncs a child once per parent record; to keep one request (and one SCHEMA
message) per batch rather than per prospect, the parent cuts the IDs into batches, has
the child's requests sent side by side through the engine, and lets the child sync each
batch once its answer is in, in batch order. This object is the whole contract between
the two streams: the parent owns it, the child fills in its side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tap_gong_flows.record import Record


@dataclass(frozen=True)
class ProspectBatch:
    """One request's worth of prospect IDs and where it sits in the sync's ID sequence."""

    number: int
    first_position: int  # 1-based, among the sync's distinct IDs
    ids: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def last_position(self) -> int:
        return self.first_position + len(self.ids) - 1

    def label(self) -> str:
        """How an error names this batch."""
        return (
            f"batch {self.number}: prospect IDs #{self.first_position}-#{self.last_position} "
            f"of the sync, first {self.ids[0]!r}"
        )


def _unset(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("assigned_flows has not joined the batch handoff")


class BatchHandoff:
    """The parent's batches and the child's answers to them, passed one batch at a time.

    The child sets :attr:`ask` (send one batch's request, on an engine worker),
    :attr:`resume_position` (how many distinct prospects an interrupted sync finished),
    :attr:`sync_starting` (its start, before any answer is awaited) and
    :attr:`sync_finished` (its end of a sync, complete or failed).
    """

    def __init__(self) -> None:
        self.ask: Callable[[ProspectBatch], list[Record]] = _unset
        self.sync_starting: Callable[[], None] = _unset
        self.resume_position: Callable[[], int] = _unset
        self.sync_finished: Callable[[bool], None] = _unset
        self.table_version: int | None = None
        self._ready: dict[int, tuple[ProspectBatch, list[Record]]] = {}

    def put(self, batch: ProspectBatch, answer: list[Record]) -> None:
        self._ready[batch.number] = (batch, answer)

    def take(self, number: int) -> tuple[ProspectBatch, list[Record]]:
        """For the child: the batch its context names, and its answer (each taken once)."""
        return self._ready.pop(number)
