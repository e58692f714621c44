"""What went wrong talking to Gong, in Gong's own words (its errors[] and requestId)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

_MAX_BODY_EXCERPT = 300


@dataclass(frozen=True)
class GongErrorBody:
    """The parts of an error answer that help a person: Gong's messages and its request ID."""

    errors: tuple[str, ...] = ()
    request_id: str | None = None
    excerpt: str | None = None  # start of a body that was not Gong's JSON (HTML from a proxy)

    @classmethod
    def from_response(cls, response: requests.Response) -> GongErrorBody:
        text = response.text if response.content else ""
        try:
            body: Any = json.loads(text) if text else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            raw_errors = body.get("errors")
            errors: Iterable[Any] = raw_errors if isinstance(raw_errors, list) else ()
            request_id = body.get("requestId")
            return cls(
                errors=tuple(str(e) for e in errors),
                request_id=str(request_id) if request_id else None,
            )
        excerpt = " ".join(text.split())[:_MAX_BODY_EXCERPT] or None
        return cls(excerpt=excerpt)

    def describe(self) -> str:
        parts = []
        if self.errors:
            parts.append("Gong says: " + "; ".join(self.errors))
        if self.excerpt:
            parts.append(f"body: {self.excerpt!r}")
        if self.request_id:
            parts.append(f"requestId {self.request_id}")
        return " (" + ", ".join(parts) + ")" if parts else ""


def describe_http_error(response: requests.Response) -> str:
    """``POST /v2/flows/prospects answered 401 Unauthorized (Gong says: ..., requestId ...)``."""
    request = response.request
    method = request.method if request is not None else "?"
    path = urlsplit(response.url).path or "?"
    reason = f" {response.reason}" if response.reason else ""
    detail = GongErrorBody.from_response(response).describe()
    return f"{method} {path} answered {response.status_code}{reason}{detail}"


class GongError(Exception):
    """Base of the errors that end a sync with a clear message and no traceback."""

    def with_context(self, context: str) -> GongError:
        """Add where it happened (which batch, which user) to the message, in place."""
        if self.args:
            self.args = (f"{self.args[0]} [{context}]", *self.args[1:])
        else:
            self.args = (f"[{context}]",)
        return self


class GongAPIError(FatalAPIError, GongError):
    """Gong refused the request (4xx): retrying would not help."""

    def __init__(
        self, message: str, status: int | None = None, *, answer: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        # Gong's answer alone (``GET /v2/users answered 403 Forbidden (Gong says: ...)``),
        # without the advice the message adds.
        self.answer = answer if answer is not None else message


class GongReauthorizationNeeded(GongAPIError):
    """The OAuth refresh token is dead (``invalid_grant``) or the app's credentials are
    refused: only a person can mend it, by authorizing the app again."""


class GongDailyLimitError(GongAPIError):
    """A 429 whose Retry-After is longer than the tap is allowed to wait."""


class GongTransientError(RetriableAPIError):
    """A failure worth retrying: 429, 5xx, or a 200 whose body is not usable JSON.

    ``retry_after`` is Gong's Retry-After in seconds when it sent one; the retry then
    waits exactly that long. ``rate_limited`` marks a 429: its wait holds back every
    request, not only this one.
    """

    def __init__(
        self,
        message: str,
        response: requests.Response | None = None,
        retry_after: float | None = None,
        *,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message, response)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class GongRequestFailed(GongError):
    """A request that kept failing until its retries ran out."""


class GongBudgetExceeded(GongError):
    """The sync reached ``max_requests_per_sync``."""


class GongSyncStopped(GongError):
    """A request given up because the sync is already failing for another reason."""
