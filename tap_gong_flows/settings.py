"""The tap's settings: their schema (the public contract) and the checks run before any request.

Every problem is reported as ``"<setting>: <what is wrong>"`` so a user knows which line of
their config to change. Values of secret settings are never echoed back.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator, ValidationError
from singer_sdk import typing as th

from tap_gong_flows.prospect_ids import (
    IdFileError,
    ProspectIdFile,
    ProspectSourceError,
    SqlQueryIds,
    normalize_prospect_id,
)

DEFAULT_API_URL = "https://api.gong.io"

SECRET_SETTINGS = ("access_key", "access_key_secret", "access_token", "crm_prospect_ids_sql_url")

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
            "OAuth bearer token with the api:flows:read scope, as an alternative to the "
            "access key pair."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API base URL",
        description=(
            "Your company's Gong API base URL (api_base_url_for_customer when you use "
            "OAuth), without a path. http:// is accepted only for loopback hosts."
        ),
    ),
    th.Property(
        "crm_prospect_ids",
        th.ArrayType(th.StringType),
        title="CRM prospect IDs",
        description="CRM IDs of the prospects (contacts, leads) whose flows to extract.",
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
        description="How many CRM prospect IDs go into one POST /v2/flows/prospects.",
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
)

SETTINGS_SCHEMA: dict[str, Any] = SETTINGS.to_dict()


def setting_value(config: Mapping[str, Any], name: str) -> Any:
    """A setting's value, or its default from the schema above (defaults live only there)."""
    value = config.get(name)
    if value is None:
        return SETTINGS_SCHEMA["properties"][name].get("default")
    return value


_JSON_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


def _describe_type(expected: Any) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    words = [_JSON_TYPE_WORDS.get(name, name) for name in names if name != "null"]
    return " or ".join(words) or "null"


def _schema_problem(error: ValidationError) -> str:
    """One schema violation, phrased for a person; secret values are not repeated."""
    path = [str(part) for part in error.absolute_path]
    setting = path[0] if path else "config"
    where = setting + "".join(f"[{part}]" for part in path[1:])
    secret = setting in SECRET_SETTINGS
    shown = "" if secret else f" (got {error.instance!r})"
    if error.validator == "type":
        return f"{where}: must be {_describe_type(error.validator_value)}{shown}"
    if error.validator == "minimum":
        return f"{where}: must be at least {error.validator_value}{shown}"
    if error.validator == "exclusiveMinimum":
        return f"{where}: must be greater than {error.validator_value}{shown}"
    if secret:
        return f"{where}: invalid value"
    return f"{where}: {error.message}"


def schema_problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    validator = Draft7Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    return [_schema_problem(error) for error in errors]


def unknown_settings(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    known = set(schema.get("properties", {}))
    return sorted(name for name in config if name not in known)


def _present(config: Mapping[str, Any], name: str) -> bool:
    value = config.get(name)
    return value is not None and value != ""


def credential_problems(config: Mapping[str, Any]) -> list[str]:
    has_key, has_secret = _present(config, "access_key"), _present(config, "access_key_secret")
    has_token = _present(config, "access_token")
    if has_token and (has_key or has_secret):
        return [
            "access_token: set either access_token (OAuth) or access_key with "
            "access_key_secret (Basic auth), not both"
        ]
    if has_token:
        return []
    if has_key and not has_secret:
        return ["access_key_secret: missing; access_key needs its access_key_secret"]
    if has_secret and not has_key:
        return ["access_key: missing; access_key_secret needs its access_key"]
    if not has_key:
        return ["access_key: no credentials; set access_key and access_key_secret, or access_token"]
    return []


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_url_problems(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []  # the schema check reports the type
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return [f"api_url: not a valid URL ({exc}): {value!r}"]
    if parts.scheme not in ("https", "http") or not host:
        return [f"api_url: not an http(s) URL with a host, e.g. {DEFAULT_API_URL}: {value!r}"]
    if parts.username or parts.password:
        return ["api_url: must not contain credentials; use access_key/access_token"]
    if parts.path.rstrip("/"):
        return [
            f"api_url: must be the base URL without a path (the tap adds /v2/...); "
            f"got path {parts.path!r} in {value!r}"
        ]
    if parts.query or parts.fragment:
        return [f"api_url: must not have a query string or fragment: {value!r}"]
    if parts.scheme == "http" and not is_loopback_host(host):
        return [
            f"api_url: plain http:// is only allowed to loopback hosts (localhost, 127.0.0.0/8, "
            f"::1); use https:// for {host}"
        ]
    return []


def normalized_api_url(value: str) -> str:
    return value.strip().rstrip("/")


def prospect_file_problems(config: Mapping[str, Any]) -> list[str]:
    path = config.get("crm_prospect_ids_file")
    column = config.get("crm_prospect_ids_column")
    if not isinstance(path, str) or not path:
        if column:
            return ["crm_prospect_ids_column: only applies to a .csv crm_prospect_ids_file"]
        return []
    try:
        ProspectIdFile(path, column=column).check()
    except IdFileError as exc:
        return [str(exc)]
    return []


def sql_source_problems(config: Mapping[str, Any]) -> list[str]:
    url, query = config.get("crm_prospect_ids_sql_url"), config.get("crm_prospect_ids_sql_query")
    if not url and not query:
        return []
    if not url:
        return ["crm_prospect_ids_sql_url: missing; crm_prospect_ids_sql_query needs it"]
    if not isinstance(query, str) or not query.strip():
        return ["crm_prospect_ids_sql_query: missing; crm_prospect_ids_sql_url needs a query"]
    if not isinstance(url, str):
        return []  # the schema check reports the type
    try:
        SqlQueryIds(url, query).check()
    except ProspectSourceError as exc:
        return [str(exc)]
    return []


def prospect_list_problems(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []  # the schema check reports the type
    problems = []
    for position, raw in enumerate(value, 1):
        if isinstance(raw, str):
            try:
                normalize_prospect_id(raw)
            except ValueError as reason:
                problems.append(f"crm_prospect_ids item {position}: {reason}")
    return problems


def check_settings(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """All problems with a configuration, schema violations first."""
    problems = schema_problems(config, schema)
    problems += credential_problems(config)
    problems += api_url_problems(config.get("api_url", DEFAULT_API_URL))
    if not any(
        p.startswith(("crm_prospect_ids_file", "crm_prospect_ids_column")) for p in problems
    ):
        problems += prospect_file_problems(config)
    problems += sql_source_problems(config)
    problems += prospect_list_problems(config.get("crm_prospect_ids"))
    return problems


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
