"""What a Gong base URL may be: https, or plain http to a loopback host only."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import SplitResult, urlsplit

from tap_gong_flows.settings import DEFAULT_API_URL


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split_url(setting: str, value: str) -> tuple[SplitResult, str | None, str | None]:
    """The URL's parts and host, or the problem that it cannot be parsed (a bad port too)."""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return urlsplit(""), None, f"{setting}: not a valid URL ({exc}): {value!r}"
    return parts, host, None


def api_url_problems(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []  # the schema check reports the type
    parts, host, problem = _split_url("api_url", value)
    if problem:
        return [problem]
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


def token_url_problems(value: Any) -> list[str]:
    """The OAuth token URL: https (or http to loopback), with a path and nothing else."""
    if not isinstance(value, str):
        return []  # the schema check reports the type
    parts, host, problem = _split_url("oauth_token_url", value)
    if problem:
        return [problem]
    if parts.scheme not in ("https", "http") or not host:
        return [f"oauth_token_url: not an http(s) URL with a host: {value!r}"]
    if parts.username or parts.password or parts.query or parts.fragment:
        return ["oauth_token_url: must not carry credentials, a query string or a fragment"]
    if parts.scheme == "http" and not is_loopback_host(host):
        return [f"oauth_token_url: plain http:// only to loopback hosts; use https:// for {host}"]
    return []
