"""A shorter path for RECORD messages of streams whose records need no changes.

Per record, the SDK removes deselected fields, conforms types, runs the stream maps and
builds a ``RecordMessage`` before encoding it: several microseconds, most of a record's
cost in ``assigned_flows``. When every field is selected, no stream map or flattening
is configured and type conformance is off (the stream keeps only its schema's fields
itself), none of that changes the record, and it is encoded as it is. Otherwise the
SDK's path runs unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Record
from singer_sdk.mapper import SameRecordTransform
from typing_extensions import override

from tap_gong_flows.output import RecordBatchingWriter
from tap_gong_flows.sdk_hooks import HookedStream


class PlainRecords(HookedStream):
    """Writes each record straight to the tap's writer when nothing would change it.

    ``time_extracted`` is the time of :meth:`mark_extracted`, which the stream calls when
    an answer arrives: the records of one answer were extracted at the same moment.
    """

    _extracted_at: datetime | None = None

    def mark_extracted(self) -> None:
        """The records written from now on were extracted now."""
        self._extracted_at = datetime.now(UTC)

    @cached_property
    def _writes_plain_records(self) -> bool:
        maps = self.stream_maps
        return (
            self.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.NONE
            and isinstance(self.tap_writer, RecordBatchingWriter)
            and len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and maps[0].stream_alias == self.name
            and not maps[0].flattening_enabled
            and all(self.mask.values())
        )

    @override
    def write_record_message(self, record: Record) -> None:
        if not self._writes_plain_records:
            super().write_record_message(record)
            return
        if self._extracted_at is None:
            self._extracted_at = datetime.now(UTC)
        writer = self.tap_writer
        assert isinstance(writer, RecordBatchingWriter)
        writer.write_record(self.name, record, self.stream_version, self._extracted_at)
        self.mark_state_unflushed()
