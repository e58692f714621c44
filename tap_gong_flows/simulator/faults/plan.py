"""Misbehaviours the simulator can inject, and the plan deciding which request gets which."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

FaultKind = Literal[
    "status",
    "rate_limited",
    "drop_connection",
    "reset_mid_body",
    "slow",
    "non_json",
    "truncated_json",
    "missing_records",
    "null_records",
    "extra_fields",
    "foreign_records",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

# Kinds a well-behaved client is expected to recover from by retrying.
_TRANSIENT_KINDS = frozenset({"rate_limited", "drop_connection", "reset_mid_body", "slow"})
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour; build it with the class methods named after the kinds.

    ``body``/``content_type`` override the payload of ``status`` and ``non_json`` faults,
    ``headers`` are added to any answer the fault produces; ``delay_seconds`` delays it.
    """

    kind: FaultKind
    status_code: int = 500
    body: str | bytes | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    retry_after: int | None = None
    delay_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind: {self.kind!r}")
        if not 100 <= self.status_code <= 599:
            raise ValueError(f"not an HTTP status code: {self.status_code}")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if self.delay_seconds < 0:
            raise ValueError("delay_seconds must not be negative")

    @classmethod
    def status(
        cls,
        status_code: int,
        body: str | bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer with ``status_code``; without ``body``, a Gong-style JSON error body."""
        return cls("status", status_code, body, content_type, dict(headers or {}))

    @classmethod
    def rate_limited(cls, retry_after: int | None = 1) -> Fault:
        """Answer 429; ``retry_after=None`` leaves out the Retry-After header."""
        return cls("rate_limited", 429, retry_after=retry_after)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection without answering."""
        return cls("drop_connection")

    @classmethod
    def reset_mid_body(cls) -> Fault:
        """Send the status line, headers and half the announced body, then close."""
        return cls("reset_mid_body", 200)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` and then handle the request normally."""
        return cls("slow", 200, delay_seconds=seconds)

    @classmethod
    def non_json(cls, body: str | bytes | None = None, content_type: str | None = None) -> Fault:
        """Answer 200 with a body that is not JSON."""
        return cls("non_json", 200, body, content_type)

    @classmethod
    def truncated_json(cls) -> Fault:
        """Answer 200 with the normal JSON cut short (Content-Length matches the cut)."""
        return cls("truncated_json", 200)

    @classmethod
    def missing_records(cls) -> Fault:
        """Answer 200 with a body lacking ``prospectsAssigned``."""
        return cls("missing_records", 200)

    @classmethod
    def null_records(cls) -> Fault:
        """Answer 200 with ``prospectsAssigned: null``."""
        return cls("null_records", 200)

    @classmethod
    def extra_fields(cls) -> Fault:
        """Answer 200 with records carrying an unknown field and an unknown status."""
        return cls("extra_fields", 200)

    @classmethod
    def foreign_records(cls) -> Fault:
        """Answer 200 with extra records about prospects the request did not name."""
        return cls("foreign_records", 200)

    @property
    def is_transient(self) -> bool:
        if self.kind == "status":
            return self.status_code in _TRANSIENT_STATUSES
        return self.kind in _TRANSIENT_KINDS


_HTML_GATEWAY_PAGE = (
    "<html><head><title>{code} {reason}</title></head>"
    "<body><center><h1>{code} {reason}</h1></center><hr><center>nginx</center></body></html>"
)

TRANSIENT_FAULTS: tuple[Fault, ...] = (
    Fault.status(500),
    Fault.status(
        502,
        _HTML_GATEWAY_PAGE.format(code=502, reason="Bad Gateway"),
        "text/html",
    ),
    Fault.status(503),
    Fault.status(
        504,
        _HTML_GATEWAY_PAGE.format(code=504, reason="Gateway Time-out"),
        "text/html",
    ),
    Fault.rate_limited(retry_after=1),
    Fault.drop_connection(),
    Fault.reset_mid_body(),
)


@dataclass
class _QueuedFault:
    fault: Fault
    path: str | None
    remaining: int
    body_contains: bytes | None = None


class FaultPlan:
    """Decides, request by request, whether to misbehave and how. Thread-safe.

    Queued faults go first, in the order they were queued, to the requests whose path
    they match. Requests that no queued fault claims are faulted at random with
    probability ``random_rate``, drawing from ``kinds`` (transient faults only, so a
    retrying client can always get through eventually). A ``seed`` makes that
    sequence repeatable.
    """

    def __init__(
        self,
        random_rate: float = 0.0,
        seed: int | None = None,
        kinds: Iterable[Fault] | None = None,
    ) -> None:
        if not 0.0 <= random_rate <= 1.0:
            raise ValueError(f"random_rate must be within [0, 1]: {random_rate}")
        self._random_faults = tuple(TRANSIENT_FAULTS if kinds is None else kinds)
        if not self._random_faults:
            raise ValueError("kinds must not be empty")
        lasting = [fault for fault in self._random_faults if not fault.is_transient]
        if lasting:
            raise ValueError(f"random faults must be transient, got {lasting}")
        self._random_rate = random_rate
        self._random = random.Random(seed)
        self._queue: list[_QueuedFault] = []
        self._lock = threading.Lock()

    @property
    def random_rate(self) -> float:
        return self._random_rate

    def enqueue(
        self,
        fault: Fault,
        path: str | None = None,
        times: int = 1,
        *,
        body_contains: str | None = None,
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests for ``path`` (any path if None).

        With ``body_contains``, only requests whose body holds that text count (say, one
        prospect ID): the fault meets the same batch however requests are interleaved.
        """
        if times < 1:
            raise ValueError(f"times must be at least 1: {times}")
        needle = None if body_contains is None else body_contains.encode()
        with self._lock:
            self._queue.append(_QueuedFault(fault, path, times, needle))

    def clear(self) -> None:
        """Forget all queued faults (random mode stays as configured)."""
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> int:
        """How many more requests the queued faults will claim."""
        with self._lock:
            return sum(entry.remaining for entry in self._queue)

    def next_fault(self, path: str, body: bytes = b"") -> Fault | None:
        """The fault for a request to ``path`` (with ``body``) arriving now, if any."""
        with self._lock:
            for position, entry in enumerate(self._queue):
                if entry.body_contains is not None and entry.body_contains not in body:
                    continue
                if entry.path is None or entry.path == path:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        del self._queue[position]
                    return entry.fault
            if self._random_rate and self._random.random() < self._random_rate:
                return self._random.choice(self._random_faults)
            return None
