"""The company's Engage directory (users, flows, folders), fetched once per sync on demand.

Several streams need the users (flows, folders and tasks are asked per user) and flow steps
need the flows. Fetching each list once, and only when a selected stream asks for it,
keeps a sync's cost to what its selection needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tap_gong_flows.client import GongStream
    from tap_gong_flows.tap import TapGongFlows

Record = dict[str, Any]


def distinct_by_id(records: Iterator[Record]) -> list[Record]:
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
    def __init__(self, tap: TapGongFlows) -> None:
        self._tap = tap
        self._users: list[Record] | None = None
        self._flows: list[Record] | None = None
        self._folders: list[Record] | None = None

    def _stream(self, name: str) -> GongStream:
        from tap_gong_flows.client import GongStream

        stream = self._tap.streams[name]
        assert isinstance(stream, GongStream)
        return stream

    def users(self) -> list[Record]:
        """Every user of the company (``GET /v2/users``, all pages)."""
        if self._users is None:
            self._users = distinct_by_id(iter(self._stream("users").request_records(None)))
        return self._users

    def active_user_emails(self) -> list[str]:
        """Emails of active users: flows and folders are asked per owner email."""
        return [
            str(user["emailAddress"])
            for user in self.users()
            if user.get("emailAddress") and user.get("active", True) is not False
        ]

    def _per_user(self, stream_name: str) -> list[Record]:
        stream = self._stream(stream_name)
        return distinct_by_id(
            record
            for email in self.active_user_emails()
            for record in stream.request_records({"owner_email": email})
        )

    def flows(self) -> list[Record]:
        """Every flow any active user can see, each once."""
        if self._flows is None:
            self._flows = self._per_user("flows")
        return self._flows

    def folders(self) -> list[Record]:
        """Every flow folder any active user can see, each once."""
        if self._folders is None:
            self._folders = self._per_user("flow_folders")
        return self._folders
