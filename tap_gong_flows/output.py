"""How Singer messages leave the tap."""

from __future__ import annotations

import atexit
import sys
import weakref
from datetime import datetime
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.contrib.msgspec import encoder as _ENCODER
from singer_sdk.singerlib import Message, RecordMessage, StateMessage

# Pending RECORD lines are written out once they reach this many bytes, so a batch that
# is huge does not sit in memory (and a target starts loading it) before its STATE.
FLUSH_AT_BYTES = 1 << 16


class RecordBatchingWriter(MsgSpecWriter):
    """msgspec encoding; RECORD lines are collected and written with the next other message.

    The SDK's writers write and flush stdout once per record: a system call, and a
    wake-up of the target, for every record (and with ``PYTHONUNBUFFERED``, which
    Meltano and many containers set, every write is a system call whatever the
    writer does). Here RECORD lines pile up in one buffer of the tap's own and go out
    in a single write just before the next SCHEMA, STATE or ACTIVATE_VERSION message,
    or at 64 KiB, so a target never sees a STATE before the records it covers.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        # A sync that fails between two STATE messages still hands over the records it
        # read: they go out when the process exits (the tap's own exit, or a crash).
        atexit.register(_flush_if_alive, weakref.ref(self))

    def serialize_message(self, message: Message) -> bytearray:
        if isinstance(message, StateMessage):
            # The SDK's to_dict() deep-copies the whole state through dataclasses.asdict
            # first; the state is plain JSON already, and is written after every batch.
            line = bytearray()
            _ENCODER.encode_into({"type": "STATE", "value": message.value}, line)
            line += b"\n"
            return line
        return super().serialize_message(message)

    def write_message(self, message: Message) -> None:
        self._pending += self.format_message(message)
        if isinstance(message, RecordMessage):
            self._record_added()
        else:
            self._write_pending(flush=True)

    def write_record(
        self, stream: str, record: dict[str, Any], version: int | None, time_extracted: datetime
    ) -> None:
        """A RECORD message, encoded straight into the pending lines.

        The same bytes as a ``RecordMessage`` through :meth:`write_message` (given an
        aware UTC ``time_extracted``), without building the message object first.
        """
        message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = time_extracted
        _ENCODER.encode_into(message, self._pending, -1)
        self._pending += b"\n"
        self._record_added()

    def flush(self) -> None:
        """Write out the RECORD lines still pending (a sync that ends early calls this)."""
        if self._pending:
            self._write_pending(flush=True)

    def _record_added(self) -> None:
        if len(self._pending) >= FLUSH_AT_BYTES:
            self._write_pending(flush=False)

    def _write_pending(self, *, flush: bool) -> None:
        # stdout is looked up at each write: tests and the Airbyte wrapper swap it.
        out = sys.stdout.buffer
        out.write(self._pending)
        self._pending.clear()
        if flush:
            sys.stdout.flush()


def _flush_if_alive(writer: weakref.ref[RecordBatchingWriter]) -> None:
    alive = writer()
    if alive is not None:
        alive.flush()
