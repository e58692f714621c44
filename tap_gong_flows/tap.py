"""The tap: its settings, its streams, and how a sync starts and ends."""

from __future__ import annotations

import copy
import logging
import os
import sys
from dataclasses import replace
from functools import cached_property
from typing import Any

from singer_sdk import Stream
from singer_sdk.exceptions import ConfigValidationError
from typing_extensions import override

from tap_gong_flows import redaction
from tap_gong_flows.auth import ApiAuth
from tap_gong_flows.client import GongStream, StreamServices
from tap_gong_flows.config_checks import check_settings, credential_problems, unknown_settings
from tap_gong_flows.engine import EngineSettings, RequestEngine
from tap_gong_flows.errors import GongError
from tap_gong_flows.instance_set import decode_instance_ids
from tap_gong_flows.meltano_select import meltano_select_rules, selected_streams
from tap_gong_flows.oauth_refresh import auth_from_config
from tap_gong_flows.output import RecordBatchingWriter
from tap_gong_flows.preflight import Preflight, PreflightReport, PreflightSettings
from tap_gong_flows.prospect_ids import (
    ConfigIds,
    ProspectIdFile,
    ProspectIdSource,
    ProspectSourceError,
    SqlQueryIds,
)
from tap_gong_flows.prospect_ids.gong_tasks import TaskProspectIds
from tap_gong_flows.scopes import FROM_TASKS_SETTING, in_reading_order
from tap_gong_flows.sdk_hooks import HookedTap
from tap_gong_flows.settings import SETTINGS_SCHEMA, secret_values, setting_value
from tap_gong_flows.streams import (
    AssignedFlowsStream,
    FlowFoldersStream,
    FlowsStream,
    FlowStepsStream,
    ProspectsStream,
    TasksStream,
    UsersStream,
)
from tap_gong_flows.streams.assigned_flows import OPEN_INSTANCES_KEY
from tap_gong_flows.streams.batches import BatchHandoff

# The streams the Engage directory feeds. (The SDK syncs streams in the order of their
# names, whatever the order here; see SyncOrder.)
DIRECTORY_STREAMS: tuple[type[GongStream], ...] = (
    UsersStream,
    FlowFoldersStream,
    FlowsStream,
    FlowStepsStream,
    TasksStream,
)


def _numeric_from_env(value: str, integer: bool) -> Any:
    try:
        return int(value) if integer else float(value)
    except ValueError:
        return value  # left as text, so validation names the setting and the bad value


class TapGongFlows(HookedTap):
    """Gong Engage flows, for the CRM prospects you name."""

    name = "tap-gong-flows"
    config_jsonschema = SETTINGS_SCHEMA
    message_writer_class = RecordBatchingWriter

    @classmethod
    @override
    def config_from_environment(cls) -> dict[str, Any]:
        # The SDK turns TAP_GONG_FLOWS_* integers with int() (a traceback on "abc") and
        # leaves numbers as text; parse both here and let validation report bad values.
        schema = copy.deepcopy(cls.config_jsonschema)
        cls.append_builtin_config(schema)
        numeric: dict[str, bool] = {}
        for name, prop in schema.get("properties", {}).items():
            types = prop.get("type", [])
            types = [types] if isinstance(types, str) else types
            if "integer" in types or "number" in types:
                numeric[name] = "integer" in types
                prop["type"] = ["string", "null"]
        config = cls.parse_environment(schema)
        for name, is_integer in numeric.items():
            if isinstance(config.get(name), str):
                config[name] = _numeric_from_env(config[name], is_integer)
        return config

    @override
    def validate_settings(self, *, raise_errors: bool = True) -> list[str]:
        # The tap's own checks replace the SDK's: each problem names its setting.
        schema = copy.deepcopy(self.config_jsonschema)
        self.append_builtin_config(schema)
        for name, prop in schema["properties"].items():
            if "default" in prop and self.config.get(name) is None:
                self.fill_default(name, prop["default"])
        config = dict(self.config)  # jsonschema checks dicts, not read-only views
        for name in unknown_settings(config, schema):
            self.logger.warning("Unknown setting %r is ignored (check its spelling)", name)
        problems = check_settings(config, schema)
        if problems and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=problems)
        for problem in problems:
            self.logger.warning("Config: %s", problem)
        return problems

    def __init__(self, *args: Any, validate_config: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, validate_config=validate_config, **kwargs)
        secrets = list(secret_values(self.config))
        if secrets and not credential_problems(self.config):
            secrets.append(self.auth.header_value)
        redaction.install(redaction.SecretRedactor(secrets))
        if not setting_value(self.config, "metrics_log"):
            # The SDK's METRIC lines (several per request) bury the progress lines.
            self.metrics_logger.setLevel(logging.WARNING)
        if validate_config:
            self._check_selection()

    def _check_selection(self) -> None:
        """Problems that depend on which streams are selected, found before any request."""
        prospects = self.streams[ProspectsStream.name]
        if not (prospects.selected or prospects.has_selected_descendents):
            return
        sources = self.prospect_id_sources()
        for source in sources:
            if isinstance(source, SqlQueryIds):
                try:
                    source.probe()
                except ProspectSourceError as exc:
                    raise ConfigValidationError(
                        "Config validation failed", errors=[str(exc)]
                    ) from None
        if not sources:
            raise ConfigValidationError(
                "Config validation failed",
                errors=[
                    "crm_prospect_ids: no prospect IDs to ask about; set crm_prospect_ids, "
                    "crm_prospect_ids_file, crm_prospect_ids_sql_url or "
                    "crm_prospect_ids_from_tasks, or deselect the prospects and "
                    "assigned_flows streams"
                ],
            )

    def discover_streams(self) -> list[Stream]:
        services = self.services
        handoff = BatchHandoff()
        streams: list[GongStream] = [
            stream_type(self, services) for stream_type in DIRECTORY_STREAMS
        ]
        streams.append(
            ProspectsStream(
                self,
                services,
                handoff=handoff,
                id_sources=self.prospect_id_sources,
            )
        )
        streams.append(AssignedFlowsStream(self, services, handoff=handoff))
        services.order.follow(streams)
        return list(streams)

    # Shared by every stream of one sync.

    @cached_property
    def auth(self) -> ApiAuth:
        return auth_from_config(self.config)

    @cached_property
    def engine(self) -> RequestEngine:
        return RequestEngine(EngineSettings.from_config(self.config), self.auth, logger=self.logger)

    @cached_property
    def services(self) -> StreamServices:
        workspace_id = self.config.get("workspace_id") or None
        return StreamServices(lambda: self.engine, workspace_id=workspace_id)

    def prospect_id_sources(self) -> list[ProspectIdSource]:
        sources: list[ProspectIdSource] = []
        if self.config.get("crm_prospect_ids"):
            sources.append(ConfigIds(tuple(self.config["crm_prospect_ids"])))
        if self.config.get("crm_prospect_ids_file"):
            sources.append(
                ProspectIdFile(
                    self.config["crm_prospect_ids_file"],
                    column=self.config.get("crm_prospect_ids_column"),
                )
            )
        if self.config.get("crm_prospect_ids_sql_url"):
            sources.append(
                SqlQueryIds(
                    self.config["crm_prospect_ids_sql_url"],
                    self.config["crm_prospect_ids_sql_query"],
                )
            )
        if self.config.get("crm_prospect_ids_from_tasks"):
            services = self.services
            sources.append(TaskProspectIds(services.api, services.directory, services.engine))
        return sources

    # The preflight (--test, Airbyte check).

    def selected_stream_names(self) -> list[str]:
        return [name for name, stream in self.streams.items() if stream.selected]

    def preflight_report(self, streams: list[str] | None = None) -> PreflightReport:
        """Probe every endpoint ``streams`` (default: the selected ones) need."""
        engine_settings = EngineSettings.from_config(self.config)
        # The probes are not the sync's: they do not count against max_requests_per_sync.
        engine = RequestEngine(
            replace(engine_settings, max_requests_per_sync=None), self.auth, logger=self.logger
        )
        from_tasks = bool(self.config.get(FROM_TASKS_SETTING))
        settings = PreflightSettings(
            api_url=engine_settings.api_url,
            auth_scheme=self.auth.scheme,
            streams=self.selected_stream_names() if streams is None else streams,
            id_sources=[s for s in self.prospect_id_sources() if s.name != FROM_TASKS_SETTING],
            from_tasks=from_tasks,
            track_finished_flows=bool(self.config.get("track_finished_flows")),
            tracked_instances=self._tracked_instances(),
            workspace_id=self.config.get("workspace_id") or None,
            prospect_ids_per_request=int(setting_value(self.config, "prospect_ids_per_request")),
            max_requests_per_second=engine_settings.max_requests_per_second,
        )
        try:
            report = Preflight(engine, settings).run()
        finally:
            engine.close()
        # With OAuth refresh, the first token said where the company's API lives.
        settings.api_url = self.auth.base_url(settings.api_url)
        return report

    def _tracked_instances(self) -> int:
        """The open instances the state carries from the last sync (track_finished_flows)."""
        stream_state = self.streams[AssignedFlowsStream.name].stream_state
        return sum(1 for _ in decode_instance_ids(str(stream_state.get(OPEN_INSTANCES_KEY, ""))))

    @override
    def run_preflight(self) -> bool:
        rules = meltano_select_rules(os.environ)
        streams = None
        if rules is not None:  # under `meltano invoke`: its catalog is absent or stale
            streams = in_reading_order(selected_streams(rules, list(self.streams)))
            self.logger.info("Meltano's select rules %s choose: %s", rules, ", ".join(streams))
        report = self.preflight_report(streams=streams)
        failing = set() if report.ok else set(report.verdict_lines())
        for line in report.lines():
            self.logger.log(logging.ERROR if line in failing else logging.INFO, "%s", line)
        return report.ok

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        try:
            super().invoke(*args, **kwargs)
        except GongError as exc:
            # A known failure: Gong's words and where it happened, without a traceback.
            cls.logger.error("Sync failed: %s", exc)
            sys.exit(1)


# urllib3 logs every connection and request line at DEBUG; the tap's own lines say what
# matters (retries, failures, progress), so a DEBUG run stays readable.
logging.getLogger("urllib3").setLevel(logging.WARNING)
