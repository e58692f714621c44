"""Where CRM prospect IDs come from, and how they are cleaned, de-duplicated and batched.

Every source is an iterable of raw IDs with a name. Sources are read lazily, line by line,
so a file of a million IDs is never held in memory as a list.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tap_gong_flows.errors import GongError

T = TypeVar("T")

_SNIFF_BYTES = 64 * 1024
_QUOTE_PAIRS = {('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019")}
_INVISIBLE = "\ufeff\u200b"
MAX_ID_LENGTH = 255
_PLAIN_ID = re.compile(f"[!-~]{{1,{MAX_ID_LENGTH}}}")  # printable ASCII without spaces
# Lines of plain IDs only: no quote or comment mark first, optional CR before the LF.
_PLAIN_LINES = re.compile(f"(?:[!$-&(-~][!-~]{{0,{MAX_ID_LENGTH - 1}}}\r?\n)*".encode("ascii"))
_PLAIN_BLOCK_BYTES = 1 << 16  # the regular expression keeps state per line: about 1 MB here
MAX_LINE_CHARS = 4096  # far beyond any ID: a longer line means this is not an ID list
_DEDUPLICATION_CHUNK = 1000  # IDs cleaned and checked against those seen, per step
_SQL_PARAMETERS = 900  # below SQLite's oldest limit of 999 parameters per statement


class ProspectSourceError(GongError):
    """A source of prospect IDs that cannot be used; ``setting`` names the config entry to fix."""

    default_setting = "crm_prospect_ids"

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting or self.default_setting

    def __str__(self) -> str:
        return f"{self.setting}: {super().__str__()}"


class IdFileError(ProspectSourceError):
    default_setting = "crm_prospect_ids_file"


class SqlSourceError(ProspectSourceError):
    default_setting = "crm_prospect_ids_sql_url"


def normalize_prospect_id(raw: str) -> str | None:
    """The clean form of one raw ID, ``None`` for a blank one.

    Trims whitespace (zero-width and byte-order marks too) and one pair of surrounding
    quotes, straight or typographic. Raises ``ValueError`` with the reason for a value
    that cannot be a CRM ID: whitespace or control characters inside (two IDs on one
    line?), non-ASCII characters (a file read in the wrong encoding?), or a huge length.
    """
    value = raw.strip()
    # Nearly every ID is already clean: printable ASCII, no quotes around it. One regular
    # expression says so; the full checks run only for the others.
    if _PLAIN_ID.fullmatch(value) and not (value[0] == value[-1] and value[0] in "\"'"):
        return value
    return _normalize_unusual(value)


def _normalize_unusual(raw: str) -> str | None:
    """:func:`normalize_prospect_id` for any value, without the shortcut for clean ones."""
    value = raw.strip().strip(_INVISIBLE).strip()
    if len(value) >= 2 and (value[0], value[-1]) in _QUOTE_PAIRS:
        value = value[1:-1].strip()
    if not value:
        return None
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"is {len(value):,} characters long; CRM IDs are short")
    if not value.isascii():
        odd = next(c for c in value if not c.isascii())
        raise ValueError(
            f"{value!r} has the non-ASCII character {odd!r}; CRM IDs are ASCII "
            f"(is the file in another encoding than UTF-8?)"
        )
    # ASCII by now: the only whitespace isprintable() lets through is the plain space.
    if " " in value or not value.isprintable():
        raise ValueError(f"{value!r} has whitespace or control characters inside; one ID each")
    return value


class ProspectIdSource(Protocol):
    """Anything that yields raw CRM prospect IDs."""

    @property
    def name(self) -> str: ...

    @property
    def item_label(self) -> str:
        """What one position of this source is called in messages: item, line, row."""
        ...

    def __iter__(self) -> Iterator[str]: ...

    def size_hint(self) -> int | None:
        """About how many IDs this source holds (before de-duplication), if cheap to know."""
        ...


@dataclass(frozen=True)
class ConfigIds:
    """IDs listed in the ``crm_prospect_ids`` setting."""

    ids: Sequence[str]
    name: str = "crm_prospect_ids"
    item_label: str = "item"

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def size_hint(self) -> int:
        return len(self.ids)


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


class SqlQueryIds:
    """IDs from the first column of a SQL query, read in chunks through a server-side cursor.

    SQLAlchemy is imported only when this source is configured. Errors never show the
    URL's password.
    """

    name = "crm_prospect_ids_sql_query"
    item_label = "row"

    def __init__(self, url: str, query: str, chunk_size: int = 10_000) -> None:
        self.url = url
        self.query = query
        self.chunk_size = chunk_size

    def _redact(self, text: str) -> str:
        from sqlalchemy.engine import make_url

        try:
            password = make_url(self.url).password
        except Exception:
            return text
        return text.replace(str(password), "***") if password else text

    def check(self) -> None:
        """Fail now on a URL that cannot be parsed or a driver that is not installed."""
        try:
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError, NoSuchModuleError
        except ModuleNotFoundError:
            raise SqlSourceError(
                "needs SQLAlchemy; install the extra: pip install 'tap-gong-flows[postgres]'"
            ) from None
        try:
            url = make_url(self.url)
        except ArgumentError:
            raise SqlSourceError(
                "not a SQLAlchemy URL (e.g. postgresql+psycopg://user:password@host:5432/db)"
            ) from None
        shown = url.render_as_string(hide_password=True)
        try:
            url.get_dialect().import_dbapi()
        except NoSuchModuleError:
            raise SqlSourceError(f"unknown database dialect in {shown}") from None
        except ImportError as exc:
            raise SqlSourceError(
                f"the database driver for {shown} is not installed ({exc.name or exc}); for "
                f"PostgreSQL: pip install 'tap-gong-flows[postgres]'"
            ) from None

    def _rows(self, sql: str) -> Iterator[Any]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError

        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                yield from connection.execution_options(
                    stream_results=True, yield_per=self.chunk_size
                ).execute(text(sql))
        except SQLAlchemyError as exc:
            original = getattr(exc, "orig", None) or exc
            detail = " ".join(str(original).split())
            setting = (
                "crm_prospect_ids_sql_query"
                if type(exc).__name__ in ("ProgrammingError", "DataError")
                else "crm_prospect_ids_sql_url"
            )
            raise SqlSourceError(f"{type(exc).__name__}: {self._redact(detail)}", setting) from None
        finally:
            engine.dispose()

    def probe(self) -> None:
        """Connect and plan the query without reading a row: a wrong password or a typo in
        the query is then reported before any request to Gong."""
        self.check()
        inner = self.query.strip().rstrip(";")
        for _ in self._rows(f"SELECT * FROM ({inner}) AS prospect_ids LIMIT 0"):
            pass

    def __iter__(self) -> Iterator[str]:
        self.check()
        for row in self._rows(self.query):
            if row[0] is not None:
                yield str(row[0])

    def size_hint(self) -> None:
        return None


class SeenIds:
    """Exact membership for the IDs a sync has met, in bounded memory.

    Up to ``memory_limit`` IDs live in a set; past that they move to a throwaway
    SQLite file with a small page cache, so a million IDs cost disk, not RAM.
    """

    def __init__(self, memory_limit: int = 50_000) -> None:
        self._memory_limit = memory_limit
        self._in_memory: set[str] | None = set()
        self._db: sqlite3.Connection | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.count = 0

    def add(self, prospect_id: str) -> bool:
        """Record ``prospect_id``; False if it was seen before."""
        if self._in_memory is not None:
            if prospect_id in self._in_memory:
                return False
            self._in_memory.add(prospect_id)
            self.count += 1
            if len(self._in_memory) > self._memory_limit:
                self._spill()
            return True
        assert self._db is not None
        cursor = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (prospect_id,))
        if cursor.rowcount:
            self.count += 1
            return True
        return False

    def add_new(self, ids: Sequence[str]) -> list[str]:
        """Record ``ids``; return those not seen before, each once, in order.

        The bulk form of :meth:`add`: past the memory limit, one query and one insert
        per call instead of a statement per ID.
        """
        if self._in_memory is not None:
            memory = self._in_memory
            new = []
            for prospect_id in ids:
                if prospect_id not in memory:
                    memory.add(prospect_id)
                    new.append(prospect_id)
            self.count += len(new)
            if len(memory) > self._memory_limit:
                self._spill()
            return new
        assert self._db is not None
        candidates = list(dict.fromkeys(ids))
        known: set[str] = set()
        for start in range(0, len(candidates), _SQL_PARAMETERS):
            part = candidates[start : start + _SQL_PARAMETERS]
            marks = ",".join("?" * len(part))
            query = f"SELECT id FROM seen WHERE id IN ({marks})"  # placeholders only
            known.update(row[0] for row in self._db.execute(query, part))
        new = [prospect_id for prospect_id in candidates if prospect_id not in known]
        self._db.executemany("INSERT INTO seen VALUES (?)", ((i,) for i in new))
        self.count += len(new)
        return new

    def _spill(self) -> None:
        assert self._in_memory is not None
        self._tmpdir = tempfile.TemporaryDirectory(prefix="tap-gong-flows-")
        self._db = sqlite3.connect(Path(self._tmpdir.name) / "seen.db", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA cache_size=-4096")  # KiB: keeps the page cache at 4 MB
        self._db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self._db.execute("BEGIN")  # one transaction for the whole sync: no fsync per ID
        self._db.executemany("INSERT INTO seen VALUES (?)", ((i,) for i in self._in_memory))
        self._in_memory = None

    def __contains__(self, prospect_id: object) -> bool:
        if self._in_memory is not None:
            return prospect_id in self._in_memory
        assert self._db is not None
        found = self._db.execute("SELECT 1 FROM seen WHERE id = ?", (prospect_id,)).fetchone()
        return found is not None

    def __iter__(self) -> Iterator[str]:
        """Every ID, in no particular order."""
        if self._in_memory is not None:
            yield from list(self._in_memory)
            return
        assert self._db is not None
        for (value,) in self._db.execute("SELECT id FROM seen"):
            yield value

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None


def unique_prospect_ids(
    sources: Iterable[ProspectIdSource], seen: SeenIds | None = None
) -> Iterator[tuple[str, str]]:
    """Clean IDs from every source, each once, in first-seen order, with the source's name."""
    seen = seen or SeenIds()
    try:
        for source in sources:
            numbered = enumerate(source, 1)
            # A chunk at a time: one membership query per chunk once IDs are on disk.
            while chunk := list(islice(numbered, _DEDUPLICATION_CHUNK)):
                clean = []
                for position, raw in chunk:
                    try:
                        prospect_id = normalize_prospect_id(raw)
                    except ValueError as reason:
                        raise ProspectSourceError(
                            f"{source.item_label} {position}: {reason}", setting=source.name
                        ) from None
                    if prospect_id is not None:
                        clean.append(prospect_id)
                for prospect_id in seen.add_new(clean):
                    yield prospect_id, source.name
    finally:
        seen.close()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items, in order."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
