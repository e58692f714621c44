"""Where CRM prospect IDs come from, and how they are cleaned, de-duplicated and batched.

Every source is an iterable of raw IDs with a name. Sources are read lazily, line by line,
so a file of a million IDs is never held in memory as a list.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Protocol

from tap_gong_flows.errors import GongError

_SNIFF_BYTES = 64 * 1024
_QUOTES = ('"', "'")


class IdFileError(GongError):
    """A prospect-ID file that cannot be used; ``setting`` names the config entry to fix."""

    def __init__(self, message: str, setting: str = "crm_prospect_ids_file") -> None:
        super().__init__(message)
        self.setting = setting


def normalize_prospect_id(raw: str) -> str | None:
    """Trim whitespace and one pair of surrounding quotes; ``None`` for a blank ID."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES:
        value = value[1:-1].strip()
    return value or None


class ProspectIdSource(Protocol):
    """Anything that yields raw CRM prospect IDs."""

    @property
    def name(self) -> str: ...

    def __iter__(self) -> Iterator[str]: ...


@dataclass(frozen=True)
class ConfigIds:
    """IDs listed in the ``crm_prospect_ids`` setting."""

    ids: Sequence[str]
    name: str = "crm_prospect_ids"

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)


class ProspectIdFile:
    """IDs from ``crm_prospect_ids_file``: one per line, or one column of a .csv with a header."""

    name = "crm_prospect_ids_file"

    def __init__(self, path: str | Path, column: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.column = column or None
        self.is_csv = self.path.suffix.lower() == ".csv"

    def check(self) -> None:
        """Fail with an :class:`IdFileError` now rather than mid-sync."""
        if not self.is_csv and self.column:
            raise IdFileError(
                "only applies to a .csv crm_prospect_ids_file", setting="crm_prospect_ids_column"
            )
        if not self.path.exists():
            raise IdFileError(f"no such file: {self.path}")
        if not self.path.is_file():
            raise IdFileError(f"not a regular file: {self.path}")
        try:
            with self.path.open("rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        except OSError as exc:
            raise IdFileError(f"cannot read {self.path}: {exc.strerror}") from None
        if not head.strip():
            raise IdFileError(f"{self.path} is empty: it holds no prospect IDs")
        if b"\x00" in head:
            raise IdFileError(
                f"{self.path} looks binary (it contains NUL bytes), not a list of IDs"
            )
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a multi-byte character cut by the sniff
                raise IdFileError(
                    f"{self.path} is not UTF-8 text (bad byte at offset {exc.start})"
                ) from None
        if self.is_csv:
            self._column_index()

    def _column_index(self) -> int:
        with self._open() as handle:
            header = next(csv.reader(handle), None)
        if not header:
            raise IdFileError(f"{self.path} is empty: a .csv needs a header row")
        if self.column is None:
            return 0
        names = [name.strip() for name in header]
        if self.column not in names:
            raise IdFileError(
                f"column {self.column!r} is not in the header of {self.path}; "
                f"it has {', '.join(repr(n) for n in names)}",
                setting="crm_prospect_ids_column",
            )
        return names.index(self.column)

    def _open(self) -> io.TextIOWrapper:
        # utf-8-sig drops the byte-order mark spreadsheet programs write.
        return self.path.open("r", encoding="utf-8-sig", newline="")

    def __iter__(self) -> Iterator[str]:
        try:
            if self.is_csv:
                yield from self._iter_csv()
            else:
                yield from self._iter_lines()
        except UnicodeDecodeError as exc:
            raise IdFileError(f"{self.path} is not UTF-8 text: {exc.reason}") from None
        except OSError as exc:
            raise IdFileError(f"cannot read {self.path}: {exc.strerror}") from None

    def _iter_lines(self) -> Iterator[str]:
        with self._open() as handle:
            for line in handle:
                if not line.lstrip().startswith("#"):
                    yield line

    def _iter_csv(self) -> Iterator[str]:
        index = self._column_index()
        with self._open() as handle:
            rows = csv.reader(handle)
            next(rows, None)  # header
            for row in rows:
                if len(row) > index:
                    yield row[index]


def unique_prospect_ids(sources: Iterable[ProspectIdSource]) -> Iterator[tuple[str, str]]:
    """Clean IDs from every source, each once, in first-seen order, with the source's name.

    The set of seen IDs grows with the number of distinct IDs (about 100 bytes each).
    """
    seen: set[str] = set()
    for source in sources:
        for raw in source:
            prospect_id = normalize_prospect_id(raw)
            if prospect_id is not None and prospect_id not in seen:
                seen.add(prospect_id)
                yield prospect_id, source.name


def batched(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive lists of at most ``size`` IDs, in order."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    iterator = iter(ids)
    while batch := list(islice(iterator, size)):
        yield batch
