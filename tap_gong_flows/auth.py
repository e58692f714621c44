"""How a request to Gong is authorized: what the engine asks of any credentials, and the
fixed ones (Basic with an access key pair, or a static OAuth bearer token). Refreshed
OAuth tokens are in :mod:`tap_gong_flows.oauth_refresh`."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import requests


class ApiAuth:
    """The Authorization header of the next request, the base URL it goes to, and what a
    401 means. Credentials that never change need only :meth:`authorization`."""

    scheme: str  # "Basic" or "Bearer", as the Authorization header names it

    def authorization(self) -> str:
        """The Authorization header value for the next request."""
        raise NotImplementedError

    def base_url(self, configured: str) -> str:
        """The API base URL to use, given the configured one."""
        return configured

    def renew_after(self, rejected: str, response: requests.Response) -> bool:
        """``response`` refused the header value ``rejected``; True when the credentials
        were renewed and the request is worth sending once more."""
        return False

    @property
    def header_value(self) -> str:
        """A header value that carries a secret, for redaction lists only."""
        raise NotImplementedError


class GongAuth(ApiAuth):
    """Fixed credentials; its repr never shows them."""

    def __init__(self, scheme: str, credential: str) -> None:
        self.scheme = scheme
        self._header_value = f"{scheme} {credential}"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GongAuth:
        token = config.get("access_token")
        if token:
            return cls("Bearer", str(token))
        pair = f"{config['access_key']}:{config['access_key_secret']}".encode()
        return cls("Basic", base64.b64encode(pair).decode("ascii"))

    def authorization(self) -> str:
        return self._header_value

    @property
    def header_value(self) -> str:
        return self._header_value

    def __repr__(self) -> str:
        return f"GongAuth({self.scheme}, credential hidden)"
