"""The tap: its settings, its streams, and how a sync starts and ends."""

from __future__ import annotations

import copy
import logging
import sys
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
from tap_gong_flows.oauth_refresh import auth_from_config
from tap_gong_flows.output import RecordBatchingWriter
from tap_gong_flows.prospect_ids import (
    ConfigIds,
    ProspectIdFile,
    ProspectIdSource,
    ProspectSourceError,
    SqlQueryIds,
)
from tap_gong_flows.prospect_ids.gong_tasks import TaskProspectIds
from tap_gong_flows.sdk_hooks import HookedTap
from tap_gong_flows.settings import SETTINGS_SCHEMA, secret_values
from tap_gong_flows.streams import (
    AssignedFlowsStream,
    FlowFoldersStream,
    FlowsStream,
    FlowStepsStream,
    ProspectsStream,
    TasksStream,
    UsersStream,
)
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
