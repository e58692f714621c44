"""The checks a config passes before any request is sent.

Every problem is reported as ``"<setting>: <what is wrong>"`` so a user knows which line of
their config to change. Values of secret settings are never echoed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft7Validator, ValidationError

from tap_gong_flows.oauth_refresh import uses_refresh_flow
from tap_gong_flows.prospect_ids import (
    IdFileError,
    ProspectIdFile,
    ProspectSourceError,
    SqlQueryIds,
    normalize_prospect_id,
)
from tap_gong_flows.settings import SECRET_SETTINGS, setting_value
from tap_gong_flows.token_file import TokenFile
from tap_gong_flows.urls import api_url_problems, token_url_problems

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
    if uses_refresh_flow(config):
        if has_token or has_key or has_secret:
            return [
                "refresh_token: set one kind of credentials: client_id, client_secret and "
                "refresh_token (OAuth that renews itself), access_token, or access_key "
                "with access_key_secret"
            ]
        return refresh_flow_problems(config)
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


def refresh_flow_problems(config: Mapping[str, Any]) -> list[str]:
    """What keeps the OAuth refresh flow from starting: it must be able to keep the rotated
    refresh token before it spends the first one."""
    problems = [
        f"{name}: missing; OAuth with a refresh token needs client_id and client_secret"
        for name in ("client_id", "client_secret")
        if not _present(config, name)
    ]
    path = config.get("oauth_token_file")
    if not _present(config, "oauth_token_file"):
        problems.append(
            "oauth_token_file: required with refresh_token. Gong's refresh tokens are "
            "single-use: the first refresh would spend this one and lose the rotated token. "
            "Set it to a file the tap may write, e.g. .secrets/gong-oauth.json"
        )
    elif isinstance(path, str):
        token_file = TokenFile(path)
        problems += [f"oauth_token_file: {problem}" for problem in token_file.problems()]
        if not _present(config, "refresh_token") and not token_file.path.is_file():
            problems.append(
                f"refresh_token: missing, and {token_file} does not exist yet; set it to the "
                "refresh token from authorizing the app in Gong"
            )
    problems += token_url_problems(setting_value(config, "oauth_token_url"))
    return problems


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
    problems += api_url_problems(setting_value(config, "api_url"))
    if not any(
        p.startswith(("crm_prospect_ids_file", "crm_prospect_ids_column")) for p in problems
    ):
        problems += prospect_file_problems(config)
    problems += sql_source_problems(config)
    problems += prospect_list_problems(config.get("crm_prospect_ids"))
    return problems
