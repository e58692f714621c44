"""How Singer messages leave the tap."""

from __future__ import annotations

import sys

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, RecordMessage


class RecordBatchingWriter(MsgSpecWriter):
    """msgspec encoding, flushed at every message that is not a RECORD.

    The SDK's writer flushes stdout after each record: a system call, and a wake-up of
    the target, per record. Here records fill the pipe buffer and go out with the next
    SCHEMA, STATE or ACTIVATE_VERSION message (or when the buffer is full), so a target
    never sees a STATE before the records it covers.
    """

    def write_message(self, message: Message) -> None:
        sys.stdout.buffer.write(self.format_message(message))
        if not isinstance(message, RecordMessage):
            sys.stdout.flush()
