"""``users``: the company's Gong users (``GET /v2/users``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tap_gong_flows.client import GongStream
from tap_gong_flows.schemas import USER

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class UsersStream(GongStream):
    name = "users"
    primary_keys = ("id",)
    replication_key = None
    schema = USER.to_dict()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        users = self.directory.users()
        with self.syncing():
            # Copies: the SDK trims deselected fields in place, and other streams read them.
            for user in users:
                yield dict(user)
