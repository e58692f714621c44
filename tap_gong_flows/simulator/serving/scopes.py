"""The OAuth scopes a company's credentials hold, as Gong grants them to an access key or
an app's token. Which scope each endpoint needs is listed in :mod:`.routes`."""

from __future__ import annotations

import threading
from collections.abc import Iterable


def normalized_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """``scopes`` as a set, after checking each one looks like a scope name.

    A lone string is refused: iterating it would grant its characters, not the scope.
    """
    if isinstance(scopes, str):
        raise TypeError(f"scopes must be a collection of scope names, not one string: {scopes!r}")
    result = frozenset(scopes)
    for scope in result:
        if not isinstance(scope, str):
            raise TypeError(f"a scope name must be a string: {scope!r}")
        if not scope or scope != scope.strip() or any(char.isspace() for char in scope):
            raise ValueError(f"not a scope name: {scope!r}")
    return result


def parse_scope_list(text: str) -> frozenset[str]:
    """Scopes from a comma-separated list, e.g. ``api:flows:read,api:users:read``.

    Blanks around names and empty items are ignored, so an empty text grants nothing.
    """
    return normalized_scopes(item.strip() for item in text.split(",") if item.strip())


class ScopeGrant:
    """The scopes granted to the simulator's credentials; ``None`` grants every scope.

    Thread-safe: the grant can change while requests are being answered, and each
    request sees either the old grant or the new one.
    """

    def __init__(self, scopes: Iterable[str] | None = None) -> None:
        self._scopes = None if scopes is None else normalized_scopes(scopes)
        self._lock = threading.Lock()

    @property
    def scopes(self) -> frozenset[str] | None:
        with self._lock:
            return self._scopes

    def replace(self, scopes: Iterable[str] | None) -> None:
        granted = None if scopes is None else normalized_scopes(scopes)
        with self._lock:
            self._scopes = granted

    def grant(self, scopes: Iterable[str]) -> None:
        """Add ``scopes``; nothing changes while every scope is granted."""
        added = normalized_scopes(scopes)
        with self._lock:
            if self._scopes is not None:
                self._scopes = self._scopes | added

    def revoke(self, scopes: Iterable[str], known: Iterable[str]) -> None:
        """Withdraw ``scopes``. When every scope was granted, what stays granted is the
        ``known`` scopes (those the endpoints need) minus the withdrawn ones."""
        removed = normalized_scopes(scopes)
        everything = frozenset(known)
        with self._lock:
            current = everything if self._scopes is None else self._scopes
            self._scopes = current - removed

    def allows(self, scope: str) -> bool:
        with self._lock:
            return self._scopes is None or scope in self._scopes
