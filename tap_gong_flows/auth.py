"""Gong authentication: Basic with an access key pair, or an OAuth bearer token."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import requests


class GongAuth(requests.auth.AuthBase):
    """Sets the Authorization header; its repr never shows the credential."""

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

    @property
    def header_value(self) -> str:
        """The full header value, for redaction lists only."""
        return self._header_value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header_value
        return request

    def __repr__(self) -> str:
        return f"GongAuth({self.scheme}, credential hidden)"
