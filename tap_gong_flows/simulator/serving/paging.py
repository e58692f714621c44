"""Cursor paging as Gong does it: a ``records`` summary, plus a cursor while more remain.

Cursors are opaque to clients but carry the offset of the next page, signed with a key
private to one simulator run, so forged, edited or foreign cursors are refused. A cursor
is bound to the endpoint and the request's other parameters (Gong requires a paging
client to repeat them unchanged) and expires ``ttl_seconds`` after it was issued.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from tap_gong_flows.simulator.serving.request_parsing import BadRequest

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 3
DEFAULT_CURSOR_TTL_SECONDS = 600.0
_SIGNATURE_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorBook:
    """Issues and checks the cursors of one simulator run. Stateless apart from its key."""

    def __init__(self, ttl_seconds: float | None = DEFAULT_CURSOR_TTL_SECONDS) -> None:
        if ttl_seconds is not None and ttl_seconds <= 0:
            raise ValueError(f"cursor ttl_seconds must be positive (or None): {ttl_seconds}")
        self._ttl_seconds = ttl_seconds
        self._key = secrets.token_bytes(32)

    def issue(self, scope: str, offset: int, now: float) -> str:
        payload = json.dumps(
            {"s": _scope_digest(scope), "o": offset, "t": round(now, 3)}, separators=(",", ":")
        ).encode("ascii")
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def redeem(self, cursor: str, scope: str, now: float) -> int:
        """The offset ``cursor`` points at; BadRequest if it is not valid for ``scope``."""
        body, _, signature = cursor.partition(".")
        try:
            payload = _unb64(body)
            valid = hmac.compare_digest(_unb64(signature), self._sign(payload))
            fields = json.loads(payload) if valid else None
        except (binascii.Error, ValueError):
            fields = None
        if not isinstance(fields, dict):
            raise BadRequest("Invalid cursor: it was not issued by this server")
        if fields.get("s") != _scope_digest(scope):
            raise BadRequest(
                "Invalid cursor: it belongs to a request with other parameters; "
                "repeat the original request's parameters with the cursor"
            )
        issued = fields.get("t")
        offset = fields.get("o")
        if not isinstance(issued, int | float) or not isinstance(offset, int):
            raise BadRequest("Invalid cursor")
        if self._ttl_seconds is not None and now - issued > self._ttl_seconds:
            raise BadRequest("Cursor has expired; start again without a cursor")
        return offset

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _scope_digest(scope: str) -> str:
    return hashlib.sha256(scope.encode("utf-8")).hexdigest()[:24]


def request_scope(path: str, params: Mapping[str, str | None]) -> str:
    """What a cursor is bound to: the endpoint and every parameter but the cursor."""
    given = {name: value for name, value in params.items() if value is not None}
    return json.dumps([path, sorted(given.items())], ensure_ascii=False)


def page(
    items: Sequence[T],
    *,
    cursor: str | None,
    scope: str,
    page_size: int,
    book: CursorBook,
    now: float,
) -> tuple[list[T], dict[str, Any]]:
    """The page of ``items`` that ``cursor`` (``None``: the first) asks for, and the
    ``records`` object describing it, with a cursor only if more pages follow."""
    # An empty cursor is taken as none: some clients send the parameter on every call.
    offset = 0 if not cursor else book.redeem(cursor, scope, now)
    if offset != 0 and not (offset < len(items) and offset % page_size == 0):
        raise BadRequest("Invalid cursor: it points past the last record")
    chunk = list(items[offset : offset + page_size])
    records: dict[str, Any] = {
        "totalRecords": len(items),
        "currentPageSize": len(chunk),
        "currentPageNumber": offset // page_size,
    }
    if offset + page_size < len(items):
        records["cursor"] = book.issue(scope, offset + page_size, now)
    return chunk, records
