"""ACTIVATE_VERSION for streams whose sync can be resumed halfway.

The SDK sends ACTIVATE_VERSION when a full-table stream starts, with a version of that
run. A target then drops (or marks deleted) every row of an older version. For the
prospect streams that is wrong twice over: ``assigned_flows`` is synced once per batch,
so the message would be sent once per batch; and a run resumed after a failure gets a new
version but does not send the prospects done before the failure again, so their rows
would be dropped. Here the message is sent once, at the end of a complete sync, with the
version that the interrupted run started, kept in the state until then.
"""

from __future__ import annotations

from typing_extensions import override

from tap_gong_flows.sdk_hooks import HookedStream

# Where the prospects stream keeps the version of the sync in progress.
VERSION_KEY = "table_version"


class ActivatedAtEnd(HookedStream):
    """A full-table stream that sends ACTIVATE_VERSION once, when its sync is complete."""

    @override
    def activate_version_at_start(self, version: int) -> None:
        """Not at the start of a (child) sync: see :meth:`activate_version`."""

    def adopt_version(self, version: int | None) -> None:
        """Stamp the records of this run with the sync's version (the SDK sets its own)."""
        if self.emit_activate_version_messages:
            self.stream_version = version

    def activate_version(self) -> None:
        """The sync is complete: rows of older versions can go."""
        if self.selected and self.emit_activate_version_messages and self.stream_version:
            self.write_activate_version(self.stream_version)
