"""Every place the tap reaches past the Singer SDK's documented surface, in one room.

Some of what the tap needs can only be had through the SDK's private hooks: a RECORD
path without per-record transforms, one SCHEMA and one ACTIVATE_VERSION per sync of a
stream that is synced per batch, children synced per batch, numbers read from the
environment without a traceback. Private hooks carry no deprecation promise, so each is
overridden here once, with ``@override``, and handed on to a method of ours whose name
says what it is for; the rest of the tap overrides or calls those. Private attributes
are read here only, too.

Checked against singer-sdk :data:`SDK_VERSIONS_CHECKED`. ``tests/test_sdk_hooks.py``
compares :data:`PRIVATE_HOOKS` with the installed SDK and fails, naming the hook, when
one is gone or takes other parameters.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, Any

import click
from singer_sdk import Stream, Tap, metrics
from singer_sdk.configuration._dict_config import parse_environment_config
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.helpers.types import Context, Record
from singer_sdk.io_base import GenericSingerWriter
from singer_sdk.plugin_base import _ConfigInput
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

SDK_VERSIONS_CHECKED = "0.54.x"
_PREFLIGHT_REQUESTED = "tap_gong_flows.preflight"

# (owner, name, parameter names) of every private SDK member used below.
PRIVATE_HOOKS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (Stream, "_write_record_message", ("self", "record")),
    (Stream, "_write_schema_message", ("self",)),
    (Stream, "_write_activate_version_message", ("self", "full_table_version")),
    (Stream, "_sync_children", ("self", "child_context")),
    (Tap, "_validate_config", ("self", "raise_errors")),
    (metrics.Counter, "_pop", ("self",)),
)
# Private members that are not methods: attributes and class properties.
PRIVATE_ATTRIBUTES: tuple[tuple[type, str], ...] = (
    (Tap, "_env_var_config"),
    (Tap, "_env_var_prefix"),
)
# Private types imported above, with the attributes read from them.
PRIVATE_TYPES: tuple[tuple[type, tuple[str, ...]], ...] = ((_ConfigInput, ("config", "parse_env")),)
# Private modules imported above.
PRIVATE_FUNCTIONS: tuple[tuple[Callable[..., Any], tuple[str, ...]], ...] = (
    (parse_environment_config, ("config_schema", "prefix", "dotenv_path")),
)


class HookedStream(Stream):
    """A stream whose private SDK hooks are named methods.

    Override :meth:`write_record_message`, :meth:`write_schema_message` or
    :meth:`activate_version_at_start` to change what the SDK does; call
    :meth:`sync_children_of_batch` and :meth:`write_activate_version` to do it.
    """

    _stream_version: int | None

    records_written = 0  # by this stream since :meth:`count_records_from_now`

    @override
    def _write_record_message(self, record: Record) -> None:
        self.records_written += 1
        self.write_record_message(record)

    def count_records_from_now(self) -> None:
        self.records_written = 0

    def write_record_message(self, record: Record) -> None:
        """One record out: the SDK's path (selection, conformance, maps, RECORD)."""
        super()._write_record_message(record)

    @override
    def _write_schema_message(self) -> None:
        self.write_schema_message()

    def write_schema_message(self) -> None:
        """This stream's SCHEMA: the SDK writes one each time the stream syncs."""
        super()._write_schema_message()

    @override
    def _write_activate_version_message(self, full_table_version: int) -> None:
        self.activate_version_at_start(full_table_version)

    def activate_version_at_start(self, version: int) -> None:
        """The SDK's ACTIVATE_VERSION at the start of a full-table sync."""
        super()._write_activate_version_message(version)

    def write_activate_version(self, version: int) -> None:
        """An ACTIVATE_VERSION message now, whatever the start-of-sync hook does."""
        super()._write_activate_version_message(version)

    def sync_children_of_batch(self, context: Context) -> None:
        """Sync the child streams once, for a context of ours (not one parent record)."""
        self._sync_children(context)

    @property
    def stream_version(self) -> int | None:
        """The version the RECORD messages of this run carry."""
        return self._stream_version

    @stream_version.setter
    def stream_version(self, version: int | None) -> None:
        self._stream_version = version

    @property
    def tap_writer(self) -> GenericSingerWriter[Any, Any]:
        """The tap's message writer, the one every stream writes through."""
        writer: GenericSingerWriter[Any, Any] = self._tap.message_writer
        return writer

    @property
    def tap_started_at_ms(self) -> int:
        """When the tap started, in milliseconds since the epoch (the SDK's version base)."""
        return self._tap.initialized_at

    def mark_state_unflushed(self) -> None:
        """A record went out past the SDK's writer: the state is due to be written."""
        self.state_manager.is_flushed = False


class HookedTap(Tap):
    """A tap whose private config hooks are named methods."""

    @classproperty
    def _env_var_config(cls) -> dict[str, Any]:
        return cls.config_from_environment()

    @classmethod
    def config_from_environment(cls) -> dict[str, Any]:
        """The config ``--config ENV`` reads: the SDK's parse of ``TAP_GONG_FLOWS_*``."""
        return cls.parse_environment(cls.config_jsonschema)

    @classmethod
    def parse_environment(cls, schema: dict[str, Any]) -> dict[str, Any]:
        """The SDK's reading of the environment variables for the settings in ``schema``."""
        return parse_environment_config(schema, cls._env_var_prefix)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        return self.validate_settings(raise_errors=raise_errors)

    def validate_settings(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check of the config."""
        return super()._validate_config(raise_errors=raise_errors)

    # --test: the SDK's callback builds a tap without the catalog (every stream selected)
    # and syncs a record of each. The callback only notes the request here; invoke, which
    # gets the config, the catalog and the state, runs the preflight instead of a sync.

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        if value == CliTestOptionValue.All.value:
            ctx.meta[_PREFLIGHT_REQUESTED] = True
            return
        super().cb_test(ctx, param, value)  # --test=schema, and no --test, as the SDK has them

    @classmethod
    @override
    def invoke(  # type: ignore[override]  # the SDK's Tap.invoke has these parameters too
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        state: IO[str] | None = None,
        catalog: IO[str] | None = None,
    ) -> None:
        context = click.get_current_context(silent=True)
        if about or context is None or not context.meta.get(_PREFLIGHT_REQUESTED):
            super().invoke(
                about=about, about_format=about_format, config=config, state=state, catalog=catalog
            )
            return
        cls.print_version(print_fn=cls.logger.info)
        given = config or _ConfigInput()
        tap = cls(
            config=given.config,
            catalog=None if catalog is None else json.loads(catalog.read()),
            state=None if state is None else json.loads(state.read() or "{}"),
            parse_env_config=given.parse_env,
            validate_config=True,
        )
        sys.exit(0 if tap.run_preflight() else 1)

    def run_preflight(self) -> bool:
        """Check the selected streams can run; True if every one can."""
        raise NotImplementedError

    def fill_default(self, name: str, value: Any) -> None:
        """Set a setting the config leaves out to its default, for the whole run."""
        self._config[name] = value


def log_counter_now(counter: metrics.Counter) -> None:
    """Log a counter's value now and start it again from zero."""
    counter._pop()
