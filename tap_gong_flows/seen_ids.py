"""A set of strings that stays small in memory however many it holds."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

_SQL_PARAMETERS = 900  # below SQLite's oldest limit of 999 parameters per statement


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
