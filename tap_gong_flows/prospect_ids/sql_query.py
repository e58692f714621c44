"""Prospect IDs from the first column of a SQL query (a warehouse table of contacts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tap_gong_flows.prospect_ids.errors import SqlSourceError


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
