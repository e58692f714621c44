"""Why a source of prospect IDs cannot be used, naming the setting to fix."""

from __future__ import annotations

from tap_gong_flows.errors import GongError


class ProspectSourceError(GongError):
    """A source of prospect IDs that cannot be used; ``setting`` names the config entry to fix."""

    default_setting = "crm_prospect_ids"

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting or self.default_setting

    def __str__(self) -> str:
        return f"{self.setting}: {super().__str__()}"


class IdFileError(ProspectSourceError):
    default_setting = "crm_prospect_ids_file"


class SqlSourceError(ProspectSourceError):
    default_setting = "crm_prospect_ids_sql_url"
