"""What the simulator sends back: a transport-neutral description of one answer."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

_REQUEST_ID_ALPHABET = string.ascii_lowercase + string.digits
REQUEST_ID_LENGTH = 19
_REQUEST_ID_BITS = 98  # just under 36**19: all 19 characters come out (nearly) uniform
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def new_request_id() -> str:
    """A fresh Gong-style request reference: 19 lowercase alphanumeric characters."""
    # One draw of random bits, spelled in base 36: a draw per character would cost a
    # system call each, most of the simulator's time per answer.
    value = secrets.randbits(_REQUEST_ID_BITS)
    characters = []
    for _ in range(REQUEST_ID_LENGTH):
        value, digit = divmod(value, len(_REQUEST_ID_ALPHABET))
        characters.append(_REQUEST_ID_ALPHABET[digit])
    return "".join(characters)


@dataclass(frozen=True)
class Reply:
    """One answer to send.

    ``status=None`` means closing the connection without answering. ``body_cutoff``
    sends only that many body bytes (Content-Length still announces the whole body)
    and then closes the connection.
    """

    status: int | None
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body_cutoff: int | None = None

    @property
    def closes_connection(self) -> bool:
        return self.status is None or self.body_cutoff is not None


def encode_json(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as Gong sends it."""
    return msgspec.json.encode(payload)


def json_reply(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(
        status,
        encode_json(payload),
        JSON_CONTENT_TYPE,
        tuple((headers or {}).items()),
    )


def error_reply(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    """A Gong-style error answer: ``{"requestId": ..., "errors": [message]}``."""
    return json_reply(status, {"requestId": new_request_id(), "errors": [message]}, headers)


def success_payload(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"requestId": new_request_id(), "prospectsAssigned": records}


@dataclass(frozen=True)
class Answer:
    """A successful answer before it is encoded, with what record-level faults need.

    ``items_key`` names the payload's list of items; ``foreign_items`` makes items the
    request did not ask for; ``tamper`` gives one item an unknown field (and, where the
    item has an enumerated field, an unknown value).
    """

    payload: dict[str, Any]
    items_key: str
    foreign_items: Callable[[], list[dict[str, Any]]]
    tamper: Callable[[dict[str, Any]], None]
