"""Checks the Authorization header the way Gong accepts it: Basic key:secret, or Bearer
(the configured token, or one the OAuth token endpoint issued and that has not expired)."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from tap_gong_flows.simulator.serving.oauth import BearerCheck


@dataclass(frozen=True)
class AuthResult:
    """Whether the caller got in, and the scheme it tried (lowercase; None if no header).
    ``expired`` marks an issued OAuth access token whose time is up."""

    authorized: bool
    scheme: str | None
    problem: str = ""
    expired: bool = False


@dataclass(frozen=True)
class Credentials:
    access_key: str
    access_key_secret: str
    access_token: str

    def check(
        self,
        authorization: str | None,
        issued_bearer: Callable[[str], BearerCheck] | None = None,
    ) -> AuthResult:
        if not authorization or not authorization.strip():
            return AuthResult(False, None, "Missing Authorization header")
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "basic":
            return AuthResult(self._basic_matches(value), scheme, "Invalid access key or secret")
        if scheme == "bearer":
            if _same(value, self.access_token):
                return AuthResult(True, scheme)
            issued = issued_bearer(value) if issued_bearer is not None else BearerCheck(False)
            if issued.expired:
                return AuthResult(False, scheme, "The access token has expired", expired=True)
            return AuthResult(issued.known, scheme, "Invalid access token")
        return AuthResult(False, scheme, f"Unsupported authorization scheme {scheme!r}")

    def _basic_matches(self, value: str) -> bool:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        key, separator, secret = decoded.partition(":")
        # Evaluate both comparisons so timing does not reveal which half was wrong.
        key_ok = _same(key, self.access_key)
        secret_ok = _same(secret, self.access_key_secret)
        return bool(separator) and key_ok and secret_ok


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
