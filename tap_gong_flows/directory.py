"""The company's Engage directory (users, flows, folders), fetched once per sync on demand.

Several streams need the users (flows, folders and tasks are asked per user) and flow
steps need the flows. Fetching each list once, and only when a selected stream asks for
it, keeps a sync's cost to what its selection needs. The per-user requests run side by
side through the engine; :meth:`EngageDirectory.prefetch` starts them before the stream
that reads them, so the requests of one stream overlap the end of the one before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tap_gong_flows.engine import RequestEngine
from tap_gong_flows.fan_out import OrderedFanOut
from tap_gong_flows.gong_api import EngageApi
from tap_gong_flows.record import Record


def distinct_by_id(records: Iterable[Record]) -> list[Record]:
    """Records in first-seen order, each ``id`` once (company flows come back for every user)."""
    seen: set[str] = set()
    unique = []
    for record in records:
        key = str(record.get("id"))
        if key not in seen:
            seen.add(key)
            unique.append(record)
    return unique


class EngageDirectory:
    """Users, flows and folders of the company, each list fetched at most once."""

    def __init__(self, api: EngageApi, engine: RequestEngine) -> None:
        self._api = api
        self._engine = engine
        self._users: list[Record] | None = None
        self._lists: dict[str, list[Record]] = {}
        self._fetching: dict[str, OrderedFanOut[str, list[Record]]] = {}

    def users(self) -> list[Record]:
        """Every user of the company (``GET /v2/users``, all pages)."""
        if self._users is None:
            self._users = distinct_by_id(self._api.users())
        return self._users

    def active_user_emails(self) -> list[str]:
        """Emails of active users: flows and folders are asked per owner email."""
        return [
            str(user["emailAddress"])
            for user in self.users()
            if user.get("emailAddress") and user.get("active", True) is not False
        ]

    def _per_owner(self, name: str) -> Callable[[str], list[Record]]:
        return self._api.flows_of if name == "flows" else self._api.folders_of

    def prefetch(self, name: str) -> None:
        """Start asking for ``flows`` or ``folders`` now; :meth:`flows` or
        :meth:`folders` later picks up what has arrived."""
        if name in self._lists or name in self._fetching:
            return
        emails = self.active_user_emails()
        self._fetching[name] = self._engine.fan_out(emails, self._per_owner(name)).start()

    def _collected(self, name: str) -> list[Record]:
        if name not in self._lists:
            self.prefetch(name)
            fetching = self._fetching.pop(name)
            self._lists[name] = distinct_by_id(
                item for per_owner in fetching.results() for item in per_owner
            )
        return self._lists[name]

    def flows(self) -> list[Record]:
        """Every flow any active user can see, each once."""
        return self._collected("flows")

    def folders(self) -> list[Record]:
        """Every flow folder any active user can see, each once."""
        return self._collected("folders")
