"""Prospect IDs from a file: one per line, or one column of a .csv with a header.

The file is streamed, never held as a list, and checked whole before the first request.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from tap_gong_flows.prospect_ids.cleaning import MAX_ID_LENGTH, normalize_prospect_id
from tap_gong_flows.prospect_ids.errors import IdFileError

_SNIFF_BYTES = 64 * 1024
# Lines of plain IDs only: no quote or comment mark first, optional CR before the LF.
_PLAIN_LINES = re.compile(f"(?:[!$-&(-~][!-~]{{0,{MAX_ID_LENGTH - 1}}}\r?\n)*".encode("ascii"))
_PLAIN_BLOCK_BYTES = 1 << 16  # the regular expression keeps state per line: about 1 MB here
MAX_LINE_CHARS = 4096  # far beyond any ID: a longer line means this is not an ID list


class ProspectIdFile:
    """IDs from ``crm_prospect_ids_file``: one per line, or one column of a .csv with a header."""

    name = "crm_prospect_ids_file"

    def __init__(self, path: str | Path, column: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.column = column or None
        self.is_csv = self.path.suffix.lower() == ".csv"
        self.item_label = "row" if self.is_csv else "line"
        self._line_count: int | None = None

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
        self._validate_every_id()

    def _validate_every_id(self) -> None:
        # One streaming pass before the sync: a bad line 900,000 is reported before the
        # first request, not after 9,000 of them.
        if not self.is_csv:
            plain = self._count_plain_lines()
            if plain is not None:
                self._line_count = plain
                return
        count = 0
        for position, raw in enumerate(self, 1):
            try:
                if normalize_prospect_id(raw) is not None:
                    count += 1
            except ValueError as reason:
                raise IdFileError(f"{self.path}, {self.item_label} {position}: {reason}") from None
        self._line_count = count

    def _count_plain_lines(self) -> int | None:
        """How many lines the file has when every one is a plain ID, else ``None``.

        A plain line is what :func:`normalize_prospect_id` keeps as it is: printable
        ASCII without spaces, not starting with a quote or ``#``. Checked 64 KiB at a
        time by one regular expression: a file of a million IDs takes about 50 ms;
        any other file gets the line-by-line pass, which names the line at fault.
        """
        lines = 0
        tail = b""
        with self.path.open("rb") as handle:
            while block := handle.read(_PLAIN_BLOCK_BYTES):
                block = tail + block
                cut = block.rfind(b"\n") + 1
                block, tail = block[:cut], block[cut:]
                if len(tail) > MAX_LINE_CHARS or not _PLAIN_LINES.fullmatch(block):
                    return None
                lines += block.count(b"\n")
        if tail:
            if not _PLAIN_LINES.fullmatch(tail + b"\n"):
                return None
            lines += 1
        return lines

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

    def size_hint(self) -> int | None:
        """IDs before de-duplication: exact after :meth:`check`, else counted on raw bytes."""
        if self._line_count is None and not self.is_csv:
            try:
                self._line_count = self._count_plain_lines()
            except OSError:
                return None
        if self._line_count is None:
            try:
                with self.path.open("rb") as handle:
                    lines = sum(1 for line in handle if line.strip() and not line.startswith(b"#"))
            except OSError:
                return None
            self._line_count = max(0, lines - 1) if self.is_csv else lines
        return self._line_count

    def _iter_lines(self) -> Iterator[str]:
        with self._open() as handle:
            number = 0
            while line := handle.readline(MAX_LINE_CHARS + 1):
                number += 1
                if len(line) > MAX_LINE_CHARS:
                    raise IdFileError(
                        f"{self.path}, line {number} is longer than {MAX_LINE_CHARS:,} "
                        f"characters: this is not a list of IDs"
                    )
                # Comments count as lines (yielded blank) so positions are line numbers.
                yield "" if line.lstrip().startswith("#") else line

    def _iter_csv(self) -> Iterator[str]:
        index = self._column_index()
        with self._open() as handle:
            rows = csv.reader(handle)
            next(rows, None)  # header
            for row in rows:
                if len(row) > index:
                    yield row[index]
