"""Between the tap's Singer world and Airbyte's: settings to spec, streams to catalog, the
configured catalog to a Singer catalog, and states both ways."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from singer_sdk import Stream
from singer_sdk.singerlib import Catalog

from tap_gong_flows.airbyte.protocol import (
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    ConfiguredAirbyteCatalog,
    SyncMode,
    dump_model,
    parse_model,
)
from tap_gong_flows.streams import AssignedFlowsStream
from tap_gong_flows.streams.assigned_flows import OPEN_INSTANCES_KEY

SPEC_TITLE = "Gong Engage flows"
JSON_SCHEMA_DRAFT_07 = "http://json-schema.org/draft-07/schema#"

# Full-refresh streams whose state is a position inside one sync: a retried attempt of the
# same Airbyte sync continues after the prospects already done instead of starting over.
RESUMABLE_FULL_REFRESH = frozenset({AssignedFlowsStream.name})

# Kept in a full-refresh stream's state: which Airbyte sync wrote it. Only a retry of that
# sync resumes from it; any other sync starts the stream from the beginning, as a full
# refresh must (with "overwrite", a sync that skipped rows would lose them).
SYNC_ID_KEY = "airbyte_sync_id"

# The parts of a full-refresh stream's state that belong to the next sync rather than to a
# position inside this one: track_finished_flows' list of the instances open at the end of
# the last sync. They are read back whichever sync wrote them.
CARRIED_TO_NEXT_SYNC: Mapping[str, frozenset[str]] = {
    AssignedFlowsStream.name: frozenset({OPEN_INSTANCES_KEY}),
}


class InputError(Exception):
    """A file Airbyte passed (config, catalog, state) that cannot be used as it is."""


# The connection specification


def _single_type(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with ``["string", "null"]`` types narrowed to ``"string"`` (Airbyte's form
    builder wants one type per field; an optional field is simply left out), recursively."""
    result = dict(schema)
    types = result.get("type")
    if isinstance(types, list):
        non_null = [t for t in types if t != "null"] or ["null"]
        result["type"] = non_null[0] if len(non_null) == 1 else non_null
    if isinstance(result.get("items"), Mapping):
        result["items"] = _single_type(result["items"])
    if isinstance(result.get("properties"), Mapping):
        result["properties"] = {k: _single_type(v) for k, v in result["properties"].items()}
    return result


def connection_specification(settings_schema: Mapping[str, Any]) -> dict[str, Any]:
    """The tap's settings as Airbyte's ``connectionSpecification``, in the tap's order,
    secrets (``"secret": true``) marked ``airbyte_secret``."""
    properties: dict[str, Any] = {}
    for order, (name, setting) in enumerate(settings_schema.get("properties", {}).items()):
        prop = _single_type(setting)
        if setting.get("secret"):
            prop["airbyte_secret"] = True
        prop["order"] = order
        properties[name] = prop
    return {
        "$schema": JSON_SCHEMA_DRAFT_07,
        "title": SPEC_TITLE,
        "type": "object",
        "required": list(settings_schema.get("required", [])),
        "additionalProperties": True,
        "properties": properties,
    }


# The catalog


def airbyte_stream(stream: Stream) -> Any:
    """One of the tap's streams as an ``AirbyteStream``."""
    fields: dict[str, Any] = {
        "name": stream.name,
        "json_schema": copy.deepcopy(stream.schema),
        "supported_sync_modes": [SyncMode.full_refresh],
        "source_defined_primary_key": [[key] for key in stream.primary_keys or ()],
    }
    if stream.replication_key:
        fields["supported_sync_modes"].append(SyncMode.incremental)
        fields["source_defined_cursor"] = True
        fields["default_cursor_field"] = [stream.replication_key]
    if stream.name in RESUMABLE_FULL_REFRESH:
        fields["is_resumable"] = True
    return AirbyteStream(**fields)


@dataclass(frozen=True)
class StreamPlan:
    """How one stream of the configured catalog is read."""

    name: str
    incremental: bool
    sync_id: int | None = None  # the Airbyte sync this read belongs to, when the platform says
    carried: frozenset[str] = frozenset()  # state keys that any later sync reads back

    def state_blob(self, bookmark: Mapping[str, Any]) -> dict[str, Any]:
        """The Airbyte stream state for the tap's bookmark of this stream."""
        blob = copy.deepcopy(dict(bookmark))
        if not self.incremental and self.sync_id is not None:
            blob[SYNC_ID_KEY] = self.sync_id
        return blob

    def bookmark(self, blob: Mapping[str, Any]) -> dict[str, Any] | None:
        """The tap's bookmark from an Airbyte stream state, or ``None`` when this read starts
        the stream from the beginning with nothing carried over."""
        bookmark = dict(blob)
        written_by = bookmark.pop(SYNC_ID_KEY, None)
        if not self.incremental and (self.sync_id is None or written_by != self.sync_id):
            # Another sync's (or an unknown one's): its position is not ours to resume from.
            bookmark = {key: bookmark[key] for key in self.carried if key in bookmark}
            return bookmark or None
        return bookmark


def read_configured_catalog(data: Any) -> Any:
    if not isinstance(data, Mapping):
        raise InputError("catalog: not a JSON object with a list of streams")
    try:
        return parse_model(ConfiguredAirbyteCatalog, data)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise InputError(f"catalog: not a configured Airbyte catalog: {exc}") from None


@dataclass(frozen=True)
class ReadPlan:
    """What a configured catalog asks for, read the way Airbyte's CDK reads one.

    ``notes``: a log line (level, text) for each way the catalog is taken otherwise than
    it reads (the CDK does the same things, mostly without a word).
    """

    streams: dict[str, StreamPlan]
    unknown: tuple[str, ...]
    notes: tuple[tuple[int, str], ...]


def _names(names: Iterable[str]) -> str:
    return ", ".join(names)


def stream_plans(configured: Any, streams: Iterable[Stream]) -> ReadPlan:
    """The configured streams, checked against the tap's streams as the CDK checks them.

    - A stream the source does not have is skipped (the CDK marks it INCOMPLETE).
    - Incremental on a stream without a cursor runs as a full refresh.
    - The cursor is the stream's own (``source_defined_cursor``); a cursor field in the
      catalog does not change it.
    - A primary key in the catalog is the destination's concern; records do not change.
    - No stream at all: nothing to read, and no error.
    """
    known = {stream.name: stream for stream in streams}
    plans: dict[str, StreamPlan] = {}
    unknown: list[str] = []
    as_full_refresh: list[str] = []
    notes: list[tuple[int, str]] = []
    for entry in configured.streams:
        name = entry.stream.name
        stream = known.get(name)
        if stream is None:
            unknown.append(name)
            continue
        incremental = entry.sync_mode == SyncMode.incremental
        if incremental and not stream.replication_key:
            incremental = False
            as_full_refresh.append(name)
        cursor = [part for part in entry.cursor_field or () if part]
        if incremental and cursor and cursor != [stream.replication_key]:
            info = (
                f"{name}: the catalog's cursor field {'.'.join(cursor)!r} is not used; "
                f"the source defines the cursor, {stream.replication_key!r}"
            )
            notes.append((logging.INFO, info))
        own_key = [[key] for key in stream.primary_keys or ()]
        if entry.primary_key and entry.primary_key != own_key:
            info = (
                f"{name}: the catalog's primary key {entry.primary_key} is left to the "
                f"destination; the records are the same (the source's key is {own_key})"
            )
            notes.append((logging.INFO, info))
        plans[name] = StreamPlan(
            name,
            incremental,
            getattr(entry, "sync_id", None),
            CARRIED_TO_NEXT_SYNC.get(name, frozenset()),
        )
    if as_full_refresh:
        info = "Read as full refresh, the only mode they have (asked for incremental): "
        notes.insert(0, (logging.INFO, info + _names(as_full_refresh)))
    if unknown:
        warning = "Not streams of this source, skipped (run discover again): "
        notes.append((logging.WARNING, warning + _names(unknown)))
    if not plans:
        warning = "The configured catalog has no stream of this source: nothing to read"
        notes.append((logging.WARNING, warning))
    return ReadPlan(plans, tuple(unknown), tuple(notes))


def singer_catalog(discovered: Catalog, plans: Mapping[str, StreamPlan]) -> Catalog:
    """The tap's catalog with the configured streams selected, and full-table replication
    for a stream with a replication key that is configured as full refresh."""
    catalog = Catalog.from_dict(copy.deepcopy(discovered.to_dict()))
    for name, entry in catalog.items():
        plan = plans.get(name)
        root = entry.metadata.root
        root.selected = plan is not None
        if plan is not None and not plan.incremental:
            entry.replication_key = None
            root.replication_key = None
            entry.replication_method = "FULL_TABLE"
            root.forced_replication_method = "FULL_TABLE"
    return catalog


# State


def _blob(model: Any) -> dict[str, Any] | None:
    return None if model is None else dump_model(model)


def airbyte_stream_states(data: Any) -> dict[str, dict[str, Any] | None]:
    """Each stream's state blob from an Airbyte state file (``None``: the stream was reset).

    Reads what the platform passes (a list of STREAM or GLOBAL state messages), a single
    state message, and the tap's own Singer state (``{"bookmarks": {...}}``, or wrapped in
    ``{"singer_state": ...}`` as ``meltano state get`` prints it), so a state from a Meltano
    run can seed the first Airbyte sync.
    """
    if data is None or data == [] or data == {}:
        return {}
    if isinstance(data, Mapping) and isinstance(data.get("singer_state"), Mapping):
        data = data["singer_state"]  # as `meltano state get` prints it
    if isinstance(data, Mapping) and isinstance(data.get("bookmarks"), Mapping):
        return {str(name): dict(bookmark) for name, bookmark in data["bookmarks"].items()}
    items = data if isinstance(data, list) else [data]
    blobs: dict[str, dict[str, Any] | None] = {}
    for position, item in enumerate(items, 1):
        try:
            message = parse_model(AirbyteStateMessage, item)
        except ValueError as exc:
            raise InputError(
                f"state item {position}: not an Airbyte state message: {exc}"
            ) from None
        if message.type == AirbyteStateType.STREAM and message.stream is not None:
            stream_state = message.stream
            blobs[stream_state.stream_descriptor.name] = _blob(stream_state.stream_state)
        elif message.type == AirbyteStateType.GLOBAL and message.global_ is not None:
            for stream_state in message.global_.stream_states:
                blobs[stream_state.stream_descriptor.name] = _blob(stream_state.stream_state)
        elif isinstance(message.data, Mapping) and isinstance(
            message.data.get("bookmarks"), Mapping
        ):
            blobs.update(airbyte_stream_states(message.data))
        else:
            raise InputError(
                f"state item {position}: neither a STREAM or GLOBAL Airbyte state message "
                "nor a Singer state with bookmarks"
            )
    return blobs


def singer_state(data: Any, plans: Mapping[str, StreamPlan]) -> dict[str, Any]:
    """The tap's Singer state for this read, from the Airbyte state file's content."""
    bookmarks: dict[str, Any] = {}
    for name, blob in airbyte_stream_states(data).items():
        plan = plans.get(name)
        if plan is None or blob is None:
            continue
        bookmark = plan.bookmark(blob)
        if bookmark is not None:
            bookmarks[name] = bookmark
    return {"bookmarks": bookmarks} if bookmarks else {}
