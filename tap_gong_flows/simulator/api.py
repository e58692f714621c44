"""The prospects endpoint proper: request validation and the records it answers with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from .data import GongDataset, Record

PROSPECTS_PATH = "/v2/flows/prospects"
ROUTES: dict[str, tuple[str, ...]] = {PROSPECTS_PATH: ("POST",)}

QueryField = Literal["crmProspectsIds", "flowInstanceIds"]
_QUERY_FIELDS: tuple[QueryField, ...] = ("crmProspectsIds", "flowInstanceIds")


class BadRequest(Exception):
    """The request body breaks the endpoint's contract; the message goes to the client."""


@dataclass(frozen=True)
class ProspectsQuery:
    """A validated request: which kind of IDs were sent, and the IDs in request order."""

    field: QueryField
    ids: tuple[str, ...]


_NOT_JSON = object()


def decode_json(body: bytes) -> Any:
    """The parsed body, or a private sentinel when it is empty or not JSON."""
    if not body.strip():
        return _NOT_JSON
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NOT_JSON


def loggable(parsed: Any) -> Any:
    """The parsed body as the request log keeps it (``None`` when it was not JSON)."""
    return None if parsed is _NOT_JSON else parsed


def parse_prospects_query(parsed: Any, max_ids: int | None) -> ProspectsQuery:
    """Validate a decoded body against the endpoint's schema; raise BadRequest if off."""
    if parsed is _NOT_JSON:
        raise BadRequest("Request body must be a JSON object")
    if not isinstance(parsed, dict):
        raise BadRequest(f"Request body must be a JSON object, got {_json_type(parsed)}")
    present = [name for name in _QUERY_FIELDS if parsed.get(name) is not None]
    if not present:
        raise BadRequest("Request body must contain crmProspectsIds or flowInstanceIds")
    if len(present) > 1:
        raise BadRequest("Specify either crmProspectsIds or flowInstanceIds, not both")
    field = present[0]
    ids = parsed[field]
    if not isinstance(ids, list):
        raise BadRequest(f"{field} must be an array of strings, got {_json_type(ids)}")
    if not ids:
        raise BadRequest(f"{field} must not be empty")
    for position, item in enumerate(ids):
        if not isinstance(item, str):
            raise BadRequest(f"{field}[{position}] must be a string, got {_json_type(item)}")
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise BadRequest(f"{field} must contain unique items; {item!r} is repeated")
        seen.add(item)
    if max_ids is not None and len(ids) > max_ids:
        raise BadRequest(f"{field} may hold at most {max_ids} items, got {len(ids)}")
    return ProspectsQuery(field, tuple(ids))


def query_records(dataset: GongDataset, query: ProspectsQuery) -> list[Record]:
    """Open instances for CRM IDs; instances of any status for flow instance IDs."""
    if query.field == "crmProspectsIds":
        return dataset.expected_open_records(query.ids)
    return dataset.expected_instance_records(query.ids)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
