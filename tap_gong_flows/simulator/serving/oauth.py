"""Gong's OAuth token endpoint, as an app's refresh flow meets it.

``POST /oauth2/generate-customer-token?grant_type=refresh_token&refresh_token=...`` with
HTTP Basic auth of the app's client ID and secret answers a new access token, its
``expires_in``, a **new** refresh token and ``api_base_url_for_customer``. Refresh tokens
are single-use: the one just spent answers 400 ``invalid_grant`` from then on, as Gong
does. Access tokens stop working ``access_token_seconds`` after they were issued; the API
then answers 401 saying the token expired.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tap_gong_flows.simulator.serving.replies import Reply, json_reply

TOKEN_PATH = "/oauth2/generate-customer-token"
DEFAULT_CLIENT_ID = "sim-client-id"
DEFAULT_CLIENT_SECRET = "sim-client-secret"
DEFAULT_REFRESH_TOKEN = "sim-refresh-token"
DEFAULT_ACCESS_TOKEN_SECONDS = 86400.0  # Gong's app tokens last a day


@dataclass(frozen=True)
class BearerCheck:
    """What an issued access token is worth now: ``known`` (this issuer made it) and
    ``expired`` (its time is up)."""

    known: bool
    expired: bool = False


@dataclass(frozen=True)
class TokenExchange:
    """One answered call of the token endpoint, for tests: the refresh token spent, the one
    handed out (None when refused), and the ``error`` code of a refusal."""

    spent: str | None
    issued: str | None
    error: str | None


def _oauth_error(status: int, code: str, description: str) -> Reply:
    # OAuth 2.0 error bodies (RFC 6749 section 5.2), as Gong's token endpoint answers them.
    return json_reply(status, {"error": code, "error_description": description})


class OAuthIssuer:
    """The client credentials, the live refresh tokens and the issued access tokens.

    Thread-safe: concurrent refreshes with one refresh token get one new token between
    them; every other caller gets ``invalid_grant``.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        refresh_token: str | None = DEFAULT_REFRESH_TOKEN,
        access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if access_token_seconds <= 0:
            raise ValueError(f"access_token_seconds must be positive: {access_token_seconds}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token_seconds = access_token_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._live_refresh_tokens: set[str] = set()
        self._access_expiry: dict[str, float] = {}
        self._exchanges: list[TokenExchange] = []
        if refresh_token:
            self._live_refresh_tokens.add(refresh_token)

    # -- for tests and the command line ------------------------------------------

    def new_refresh_token(self) -> str:
        """A fresh refresh token, as a person's authorization of the app would give."""
        token = "rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self._live_refresh_tokens.add(token)
        return token

    def expire_access_tokens(self) -> None:
        """End the life of every access token issued so far, now."""
        with self._lock:
            now = self._clock()
            self._access_expiry = {token: now for token in self._access_expiry}

    def revoke_access_tokens(self) -> None:
        """Forget every issued access token: they answer 401 without saying 'expired'."""
        with self._lock:
            self._access_expiry.clear()

    @property
    def exchanges(self) -> list[TokenExchange]:
        """Every answered token call, in order."""
        with self._lock:
            return list(self._exchanges)

    def issued_secrets(self) -> set[str]:
        """Every refresh and access token this issuer ever knew, and the client secret."""
        with self._lock:
            known = set(self._live_refresh_tokens) | set(self._access_expiry)
            for exchange in self._exchanges:
                known |= {t for t in (exchange.spent, exchange.issued) if t}
        return known | {self.client_secret}

    # -- the API's side ----------------------------------------------------------

    def check_bearer(self, token: str) -> BearerCheck:
        with self._lock:
            expiry = self._access_expiry.get(token)
            if expiry is None:
                return BearerCheck(False)
            return BearerCheck(True, expired=self._clock() >= expiry)

    # -- the token endpoint ------------------------------------------------------

    def exchange(
        self, method: str, params: Mapping[str, list[str]], authorization: str | None, base_url: str
    ) -> Reply:
        """The answer of ``TOKEN_PATH`` to one request."""
        if method != "POST":
            return _oauth_error(405, "invalid_request", f"Method {method} is not allowed")
        if not self._client_matches(authorization):
            return _oauth_error(401, "invalid_client", "Bad client credentials")
        grant_type = (params.get("grant_type") or [""])[0]
        if grant_type != "refresh_token":
            return _oauth_error(
                400, "unsupported_grant_type", f"Unsupported grant type: {grant_type!r}"
            )
        spent = (params.get("refresh_token") or [""])[0]
        with self._lock:
            if spent not in self._live_refresh_tokens:
                self._exchanges.append(TokenExchange(spent or None, None, "invalid_grant"))
                return _oauth_error(400, "invalid_grant", "The refresh token is expired or revoked")
            self._live_refresh_tokens.discard(spent)
            issued = "rt-" + secrets.token_urlsafe(24)
            access = "at-" + secrets.token_urlsafe(24)
            self._live_refresh_tokens.add(issued)
            self._access_expiry[access] = self._clock() + self.access_token_seconds
            self._exchanges.append(TokenExchange(spent, issued, None))
        return json_reply(
            200,
            {
                "access_token": access,
                "refresh_token": issued,
                "scope": "api:flows:read api:users:read api:tasks:read",
                "token_type": "bearer",
                "expires_in": self.access_token_seconds,
                "api_base_url_for_customer": base_url,
            },
        )

    def _client_matches(self, authorization: str | None) -> bool:
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        given_id, separator, given_secret = decoded.partition(":")
        id_ok = hmac.compare_digest(given_id.encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(given_secret.encode(), self.client_secret.encode())
        return bool(separator) and id_ok and secret_ok
