"""Reading requests: the parsed parts every endpoint sees, and the errors they raise."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NOT_JSON: Any = object()
"""What :func:`decode_json` returns for an empty body or one that is not JSON."""


class ApiError(Exception):
    """The request cannot be answered normally; the message goes to the client."""

    status = 400


class BadRequest(ApiError):
    """The request breaks the endpoint's contract (400)."""


class NotFound(ApiError):
    """The request names things that do not exist where the API answers 404 for that."""

    status = 404


@dataclass(frozen=True)
class ApiRequest:
    """One request as endpoints see it: ``params`` is the decoded query string and
    ``body`` the decoded JSON body (:data:`NOT_JSON` when absent or not JSON)."""

    method: str
    path: str
    params: Mapping[str, list[str]]
    body: Any
    arrived: float

    def param(self, name: str) -> str | None:
        """A query parameter given at most once (BadRequest if repeated), or ``None``."""
        values = self.params.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise BadRequest(f"Query parameter {name} must be given only once")
        return values[0]

    def required_param(self, name: str) -> str:
        """A query parameter that must be given, once, and not blank."""
        value = self.param(name)
        if value is None:
            raise BadRequest(f"Missing required query parameter {name}")
        if not value.strip():
            raise BadRequest(f"Query parameter {name} must not be empty")
        return value

    def boolean_param(self, name: str) -> bool | None:
        value = self.param(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise BadRequest(f"Query parameter {name} must be true or false, got {value!r}")
        return value.lower() == "true"

    def json_object(self) -> dict[str, Any]:
        """The body, which must be a JSON object."""
        if self.body is NOT_JSON:
            raise BadRequest("Request body must be a JSON object")
        if not isinstance(self.body, dict):
            raise BadRequest(f"Request body must be a JSON object, got {json_type(self.body)}")
        return self.body


def decode_json(body: bytes) -> Any:
    """The parsed body, or :data:`NOT_JSON` when it is empty or not JSON."""
    if not body.strip():
        return NOT_JSON
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return NOT_JSON


def loggable(parsed: Any) -> Any:
    """The parsed body as the request log keeps it (``None`` when it was not JSON)."""
    return None if parsed is NOT_JSON else parsed


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
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


def string_list(container: Mapping[str, Any], field: str, *, label: str | None = None) -> list[str]:
    """``container[field]``, which must be an array of strings (possibly empty)."""
    name = label or field
    value = container.get(field)
    if value is None:
        raise BadRequest(f"{name} is required")
    if not isinstance(value, list):
        raise BadRequest(f"{name} must be an array of strings, got {json_type(value)}")
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise BadRequest(f"{name}[{position}] must be a string, got {json_type(item)}")
    return value
