"""The Airbyte source commands: ``spec``, ``check``, ``discover`` and ``read``.

Each drives :class:`~tap_gong_flows.tap.TapGongFlows` in this process. Everything goes to
stdout as Airbyte messages, log lines included; a failure ends with an Airbyte TRACE error
and exit code 1, never a bare traceback. A ``check`` that fails (bad credentials, bad
settings) is a FAILED connection status with exit code 0, as the Airbyte CDK does.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.metrics import METRICS_LOGGER_NAME

from tap_gong_flows.airbyte.protocol import (
    AirbyteStreamStatus,
    FailureType,
    MessageOutput,
    catalog_message,
    connection_status_message,
    error_message,
    spec_message,
    stream_status_message,
)
from tap_gong_flows.airbyte.translate import (
    InputError,
    StreamPlan,
    airbyte_stream,
    connection_specification,
    read_configured_catalog,
    singer_catalog,
    singer_state,
    stream_plans,
)
from tap_gong_flows.airbyte.writer import AirbyteLogHandler, AirbyteMessageWriter
from tap_gong_flows.errors import (
    GongAPIError,
    GongBudgetExceeded,
    GongError,
    GongReauthorizationNeeded,
)
from tap_gong_flows.prospect_ids import ProspectSourceError, SqlQueryIds
from tap_gong_flows.redaction import SecretRedactor
from tap_gong_flows.settings import SETTINGS_SCHEMA
from tap_gong_flows.tap import TapGongFlows

COMMAND = "source-gong-flows"
_LOGGER = logging.getLogger("tap_gong_flows.airbyte")
_FAILED = {"spec": "Spec failed", "check": "Check failed", "discover": "Discover failed"}
_FAILED["read"] = "Sync failed"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="log at DEBUG level")
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Gong Engage flows as an Airbyte source."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("spec", parents=[common], help="print the connection specification")
    for name, text in (
        ("check", "check that the credentials and the API URL work"),
        ("discover", "print the catalog of streams"),
        ("read", "sync the streams of a configured catalog"),
    ):
        command = commands.add_parser(name, parents=[common], help=text)
        command.add_argument("--config", required=True, help="path of the config JSON file")
        if name == "read":
            command.add_argument(
                "--catalog", required=True, help="path of the configured catalog JSON file"
            )
            command.add_argument("--state", help="path of the state JSON file")
    return parser


def run(argv: Sequence[str], stdout: TextIO) -> int:
    """Run one command; Airbyte messages go to ``stdout``. Returns the exit code."""
    args = _parser().parse_args(list(argv))
    output = MessageOutput(stdout)
    with _logging_to(output, debug=args.debug):
        try:
            if args.command == "spec":
                output.emit(spec_message(connection_specification(SETTINGS_SCHEMA)))
                return 0
            if args.command == "check":
                return _check(output, args.config)
            if args.command == "discover":
                return _discover(output, args.config)
            return _read(output, args.config, args.catalog, args.state)
        except Exception as exc:
            output.emit(_error_trace(_FAILED[args.command], exc))
            return 1


# Commands


def _check(output: MessageOutput, config_path: str) -> int:
    """The tap's preflight for every stream (a check has no catalog): one cheap request per
    endpoint, through the tap's request engine. Its table goes out as LOG messages; the
    status is SUCCEEDED only when every stream can run. Settings that the tap refuses are
    a FAILED status too."""
    try:
        config = _read_config(config_path)
        discovered = _discovery_tap(config, quiet=True)
        # Selecting users alone lets a config without prospect IDs check the other streams.
        plans = {"users": StreamPlan("users", incremental=False)}
        with _default_stop_signals():
            tap = TapGongFlows(
                config=config,
                catalog=singer_catalog(discovered.catalog, plans),
                validate_config=True,
            )
        sources = tap.prospect_id_sources()
        for source in sources:
            if isinstance(source, SqlQueryIds):
                source.probe()  # the database and the query, before any Gong request
        streams = [s for s in tap.streams if sources or s not in ("prospects", "assigned_flows")]
        report = tap.preflight_report(streams=streams)
    except (InputError, ConfigValidationError, GongError, ProspectSourceError) as exc:
        output.emit(connection_status_message(False, _describe(exc)))
        return 0
    for line in report.lines():
        _LOGGER.info("%s", line)
    if not report.ok:
        output.emit(connection_status_message(False, _redact(report.failure_message())))
        return 0
    message = "Preflight passed: every stream can run. " + (
        report.plan.summary() if report.plan is not None else ""
    )
    if not sources:
        message += (
            "; no prospect IDs are configured, so the prospects and assigned_flows streams "
            "cannot be synced"
        )
    output.emit(connection_status_message(True, message.strip()))
    return 0


def _discover(output: MessageOutput, config_path: str) -> int:
    tap = _discovery_tap(_read_config(config_path), quiet=False)
    output.emit(catalog_message([airbyte_stream(stream) for stream in tap.streams.values()]))
    return 0


def _read(
    output: MessageOutput, config_path: str, catalog_path: str, state_path: str | None
) -> int:
    config = _read_config(config_path)
    configured = read_configured_catalog(_read_json(catalog_path, "catalog"))
    state_data = _read_json(state_path, "state") if state_path else None
    discovered = _discovery_tap(config, quiet=True)
    plan = stream_plans(configured, discovered.streams.values())
    for level, note in plan.notes:
        _LOGGER.log(level, note)
    for name in plan.unknown:
        # As the CDK does: the sync goes on, and the platform sees that stream unfinished.
        output.emit(stream_status_message(name, AirbyteStreamStatus.INCOMPLETE))
    plans = plan.streams
    writer = AirbyteMessageWriter(output, plans)
    try:
        tap = TapGongFlows(
            config=config,
            catalog=singer_catalog(discovered.catalog, plans),
            state=singer_state(state_data, plans),
            validate_config=True,
            message_writer=writer,
        )
        if plans:  # an empty catalog still has its settings checked, like the CDK's
            tap.sync_all()
    except Exception:
        writer.fail()
        raise
    writer.finish(tap.state)
    return 0


# Helpers


def _discovery_tap(config: Mapping[str, Any], *, quiet: bool) -> TapGongFlows:
    """A tap that only lists its streams; ``quiet``: without logging the config problems
    (the tap that syncs reports them)."""
    with _quiet(TapGongFlows.logger, quiet), _default_stop_signals():
        tap = TapGongFlows(config=dict(config), validate_config=False, setup_mapper=False)
        _ = tap.streams, tap.catalog  # discovered now, inside the quiet block
    return tap


@contextmanager
def _default_stop_signals() -> Iterator[None]:
    """The stop signals' handlers as they were before the taps made inside.

    The SDK's handlers write a Singer STATE and exit. For a tap that only checks or lists
    streams there is no state to keep, and PyAirbyte stops ``check`` with SIGTERM as soon as
    it has the status: the process should simply end.
    """
    stop_signals = [signal.SIGINT, signal.SIGTERM]
    before = [signal.getsignal(number) for number in stop_signals]
    try:
        yield
    finally:
        for number, handler in zip(stop_signals, before, strict=True):
            signal.signal(number, handler)


@contextmanager
def _quiet(logger: logging.Logger, quiet: bool) -> Iterator[None]:
    level = logger.level
    if quiet:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_json(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what}: cannot read {path}: {exc}") from None
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{what}: {path} is not valid JSON: {exc}") from None


def _read_config(path: str) -> dict[str, Any]:
    config = _read_json(path, "config")
    if not isinstance(config, dict):
        raise InputError(f"config: {path} must hold a JSON object of settings")
    return config


class _NotMetrics(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != METRICS_LOGGER_NAME or record.levelno >= logging.WARNING


@contextmanager
def _logging_to(output: MessageOutput, *, debug: bool) -> Iterator[None]:
    """Every log line of this command as an Airbyte LOG message on ``output``."""
    root = logging.getLogger()
    handler = AirbyteLogHandler(output)
    for existing in root.filters:
        if isinstance(existing, SecretRedactor):
            handler.addFilter(existing)
    if not debug:
        # The SDK's METRIC lines (several per request): Airbyte counts records itself.
        handler.addFilter(_NotMetrics())
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.setLevel(level)
        root.removeHandler(handler)


def _redact(text: str) -> str:
    for existing in logging.getLogger().filters:
        if isinstance(existing, SecretRedactor):
            text = existing.redact(text)
    return text


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConfigValidationError) and exc.errors:
        return _redact("Config validation failed: " + "; ".join(exc.errors))
    return _redact(str(exc) or type(exc).__name__)


def _failure_type(exc: BaseException) -> Any:
    """config_error: something the user fixes in the settings; system_error: the rest."""
    if isinstance(exc, InputError | ConfigValidationError | ProspectSourceError):
        return FailureType.config_error
    if isinstance(exc, GongBudgetExceeded):
        return FailureType.config_error  # max_requests_per_sync: raise it or run again later
    if isinstance(exc, GongReauthorizationNeeded):
        return FailureType.config_error  # a person authorizes the OAuth app again
    status = exc.status if isinstance(exc, GongAPIError) else None
    if status is not None and (status in (401, 403) or 300 <= status < 400):
        return FailureType.config_error  # the credentials, or api_url
    return FailureType.system_error


def _error_trace(prefix: str, exc: BaseException) -> Any:
    known = isinstance(exc, InputError | ConfigValidationError | GongError)
    stack = None if known else _redact("".join(traceback.format_exception(exc)))
    text = _describe(exc) if known else f"{type(exc).__name__}: {_describe(exc)}"
    return error_message(
        f"{prefix}: {text}",
        _failure_type(exc),
        internal_message=_redact(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"),
        stack_trace=stack,
    )
