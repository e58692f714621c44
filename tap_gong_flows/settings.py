"""The tap's settings, declared once: names, types, defaults, titles and descriptions.

This declaration is the public contract. ``--about`` prints it, and the settings of
``meltano.yml`` and the README's configuration table are generated from it
(``python -m tools.settings_docs --write``; a test fails when they drift). The checks run
on a config before any request are in :mod:`tap_gong_flows.config_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

DEFAULT_API_URL = "https://api.gong.io"
DEFAULT_OAUTH_TOKEN_URL = "https://app.gong.io/oauth2/generate-customer-token"

SETTINGS = th.PropertiesList(
    th.Property(
        "access_key",
        th.StringType,
        secret=True,
        title="Access key",
        description=(
            "Gong API access key (Company settings > Ecosystem > API). Used with "
            "access_key_secret for Basic auth. Leave empty when using access_token."
        ),
    ),
    th.Property(
        "access_key_secret",
        th.StringType,
        secret=True,
        title="Access key secret",
        description="Secret that belongs to access_key.",
    ),
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        title="OAuth access token",
        description=(
            "OAuth bearer token, as an alternative to the access key pair. Scopes: "
            "api:flows:read (assigned_flows, flows, folders, steps), api:users:read (every "
            "stream but prospects and assigned_flows), api:tasks:read (tasks); --test checks them."
        ),
    ),
    th.Property(
        "client_id",
        th.StringType,
        title="OAuth client ID",
        description=(
            "Client ID of your Gong OAuth app. With client_secret and refresh_token, the tap "
            "gets and renews its own access tokens."
        ),
    ),
    th.Property(
        "client_secret",
        th.StringType,
        secret=True,
        title="OAuth client secret",
        description="Client secret of your Gong OAuth app.",
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        title="OAuth refresh token",
        description=(
            "The refresh token from authorizing the app. Single-use: the tap keeps each "
            "rotated one in oauth_token_file, which is read first on the next run."
        ),
    ),
    th.Property(
        "oauth_token_file",
        th.StringType,
        title="OAuth token file",
        description=(
            "Where the tap keeps the rotated refresh token (and the access token) between "
            "runs, mode 0600. Required with refresh_token. One file per Gong connection."
        ),
    ),
    th.Property(
        "oauth_token_url",
        th.StringType,
        default=DEFAULT_OAUTH_TOKEN_URL,
        title="OAuth token URL",
        description="Gong's token endpoint, where refresh tokens are exchanged.",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API base URL",
        description=(
            "Your company's Gong API base URL (api_base_url_for_customer when you use "
            "OAuth), without a path; a trailing slash is fine. http:// is accepted only "
            "for loopback hosts. Left at the default with refresh_token, the tap uses the "
            "api_base_url_for_customer of Gong's token answers."
        ),
    ),
    th.Property(
        "crm_prospect_ids",
        th.ArrayType(th.StringType),
        title="CRM prospect IDs",
        description=(
            "CRM IDs of the prospects (contacts, leads) whose flows to extract, e.g. "
            "Salesforce contact or lead IDs, HubSpot contact IDs."
        ),
    ),
    th.Property(
        "crm_prospect_ids_file",
        th.StringType,
        title="CRM prospect IDs file",
        description=(
            "Path to a file of CRM prospect IDs: one per line (blank lines and lines "
            "starting with # are skipped), or a .csv file with a header row."
        ),
    ),
    th.Property(
        "crm_prospect_ids_column",
        th.StringType,
        title="CSV column of the IDs",
        description=(
            "Header of the column that holds the IDs in a .csv crm_prospect_ids_file. "
            "Default: the first column."
        ),
    ),
    th.Property(
        "crm_prospect_ids_sql_url",
        th.StringType,
        secret=True,
        title="SQL URL for prospect IDs",
        description=(
            "SQLAlchemy URL of a database to read prospect IDs from, e.g. "
            "postgresql+psycopg://user:password@host:5432/warehouse (install the extra: "
            "pip install 'tap-gong-flows[postgres]'). Used with crm_prospect_ids_sql_query."
        ),
    ),
    th.Property(
        "crm_prospect_ids_sql_query",
        th.StringType,
        title="SQL query for prospect IDs",
        description=(
            "Query whose first column is the CRM prospect ID, read in chunks with a "
            "server-side cursor. Give it an ORDER BY so that an interrupted sync resumes "
            "exactly where it stopped."
        ),
    ),
    th.Property(
        "crm_prospect_ids_from_tasks",
        th.BooleanType,
        default=False,
        title="Prospect IDs from Gong tasks",
        description=(
            "Also ask about every prospect that Gong's Engage flow tasks mention (open and "
            "done): GET /v2/users, then POST /v2/tasks per user."
        ),
    ),
    th.Property(
        "workspace_id",
        th.StringType,
        title="Workspace ID",
        description=(
            "Only flows, folders and tasks of this Gong workspace. Default: all workspaces."
        ),
    ),
    th.Property(
        "track_finished_flows",
        th.BooleanType,
        default=False,
        title="Track finished flows",
        description=(
            "Look up, by flowInstanceIds, the flow instances that were open in the last sync "
            "and are no longer returned, and emit them to assigned_flows with their final "
            "status. Keeps the open instance IDs in the state."
        ),
    ),
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType,
        default=False,
        title="Emit ACTIVATE_VERSION",
        description=(
            "Full refresh, overwrite: after each complete sync of a full-table stream, tell "
            "the target to drop (or mark deleted) the rows this sync did not send, such as "
            "flow instances that are no longer open."
        ),
    ),
    th.Property(
        "max_requests_per_sync",
        th.IntegerType(minimum=1),
        title="Max requests per sync",
        description=(
            "Stop with a clear message (and a state to resume from) before this sync makes "
            "more requests. Gong allows 10,000 per day per company, shared by every "
            "integration. Default: no limit."
        ),
    ),
    th.Property(
        "prospect_ids_per_request",
        th.IntegerType(minimum=1),
        default=100,
        title="Prospect IDs per request",
        description=(
            "How many CRM prospect IDs go into one POST /v2/flows/prospects (at least 1). "
            "100 is the batch size Gong documents for its other prospect endpoints."
        ),
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType(exclusive_minimum=0),
        default=3,
        title="Max requests per second",
        description=(
            "Client-side pacing across all streams. Gong's default company limit is 3 calls "
            "per second, shared with every other integration of the company."
        ),
    ),
    th.Property(
        "max_requests_in_flight",
        th.IntegerType(minimum=1),
        default=24,
        title="Max requests in flight",
        description=(
            "The most requests sent side by side. The tap keeps as many in flight as "
            "max_requests_per_second needs at Gong's measured answer time (rate x answer "
            "time, plus a margin), up to this cap. Request starts stay paced either way."
        ),
    ),
    th.Property(
        "max_retry_after_seconds",
        th.NumberType(minimum=0),
        default=300,
        title="Max Retry-After to wait (s)",
        description=(
            "A 429 whose Retry-After is longer than this fails at once instead of sleeping: "
            "the company's daily limit (10,000 calls) is most likely used up."
        ),
    ),
    th.Property(
        "request_timeout_seconds",
        th.NumberType(exclusive_minimum=0),
        default=60,
        title="Request timeout (s)",
        description="How long to wait for Gong to answer one request before retrying it.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType(minimum=0),
        default=6,
        title="Max retries per request",
        description=(
            "Retries of one request after a 429, 5xx, timeout or dropped connection before "
            "the sync fails."
        ),
    ),
    th.Property(
        "metrics_log",
        th.BooleanType,
        default=False,
        title="Log the SDK's METRIC lines",
        description=(
            "Also log the Singer SDK's METRIC lines (request durations, record counts, sync "
            "timers as JSON). Off by default: the log then shows the progress lines, one line "
            "per stream start and end, warnings and errors."
        ),
    ),
)

SETTINGS_SCHEMA: dict[str, Any] = SETTINGS.to_dict()

# What an unset setting without a default means, as the README's table shows it.
UNSET_MEANS = {
    "crm_prospect_ids_column": "first column",
    "workspace_id": "all",
    "max_requests_per_sync": "no limit",
}

# The settings whose values are never shown: marked secret in the declaration above.
SECRET_SETTINGS = tuple(
    name for name, spec in SETTINGS_SCHEMA["properties"].items() if spec.get("secret")
)


def setting_value(config: Mapping[str, Any], name: str) -> Any:
    """A setting's value, or its default from the schema above (defaults live only there)."""
    value = config.get(name)
    if value is None:
        return SETTINGS_SCHEMA["properties"][name].get("default")
    return value


def secret_values(config: Mapping[str, Any]) -> Iterable[str]:
    """The secret strings in a config, for redaction."""
    for name in SECRET_SETTINGS:
        value = config.get(name)
        if isinstance(value, str) and value:
            yield value
    password = _url_password(config.get("crm_prospect_ids_sql_url"))
    if password:
        yield password


def _url_password(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None
