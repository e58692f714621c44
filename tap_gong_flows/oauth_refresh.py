"""OAuth with Gong's rotating, single-use refresh tokens.

With ``client_id``, ``client_secret`` and a refresh token, the tap asks Gong's token
endpoint for an access token before its first request, again shortly before that token
expires, and once more when a 401 says it expired. Each answer carries a new refresh
token and kills the old one, so the answer is written to the token file
(:mod:`tap_gong_flows.token_file`) before the new access token is used, under the file's
lock: two runs, or two threads, never spend the same refresh token.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from tap_gong_flows import redaction
from tap_gong_flows.answers import answer_payload
from tap_gong_flows.auth import ApiAuth, GongAuth
from tap_gong_flows.errors import (
    GongAPIError,
    GongError,
    GongErrorBody,
    GongReauthorizationNeeded,
    GongTransientError,
)
from tap_gong_flows.settings import DEFAULT_API_URL, setting_value
from tap_gong_flows.token_file import StoredTokens, TokenFile, TokenFileError
from tap_gong_flows.urls import api_url_problems, normalized_api_url

# The settings of the refresh flow; any of them set means the tap uses it.
REFRESH_SETTINGS = ("client_id", "client_secret", "refresh_token", "oauth_token_file")
# Refresh this long before expiry at most; a short-lived token, at a fifth of its life.
REFRESH_MARGIN_SECONDS = 60.0
_MARGIN_SHARE = 0.2
# A token another run left in the file is taken over only with this much life left.
_MIN_ADOPTED_LIFE_SECONDS = 1.0
# Used when an answer says nothing of the token's life; a 401 renews it sooner if need be.
_ASSUMED_LIFE_SECONDS = 3600.0

logger = logging.getLogger("tap-gong-flows")


def uses_refresh_flow(config: Mapping[str, Any]) -> bool:
    return any(config.get(name) not in (None, "") for name in REFRESH_SETTINGS)


def auth_from_config(config: Mapping[str, Any]) -> ApiAuth:
    """The credentials a checked config asks for: renewed OAuth tokens, or fixed ones."""
    if uses_refresh_flow(config):
        return RefreshingAuth.from_config(config)
    return GongAuth.from_config(config)


@dataclass(frozen=True)
class _LiveToken:
    """The access token in use, and when to stop trusting it (epoch seconds)."""

    access_token: str
    refresh_after: float
    api_base_url: str | None


def _live(tokens: StoredTokens, now: float, life: float | None = None) -> _LiveToken | None:
    if tokens.access_token is None or tokens.expires_at is None:
        return None
    life = tokens.expires_at - now if life is None else life
    margin = min(REFRESH_MARGIN_SECONDS, _MARGIN_SHARE * max(life, 0.0))
    return _LiveToken(tokens.access_token, tokens.expires_at - margin, tokens.api_base_url)


def _says_expired(response: requests.Response) -> bool:
    challenge = response.headers.get("WWW-Authenticate", "").lower()
    words = " ".join(GongErrorBody.from_response(response).errors).lower()
    return "invalid_token" in challenge or "expired" in words


class RefreshingAuth(ApiAuth):
    """Bearer tokens from Gong's token endpoint, renewed before they expire.

    Thread-safe: the engine's workers share one instance; one of them refreshes while
    the others wait for its token.
    """

    scheme = "Bearer"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str | None,
        token_file: TokenFile,
        token_url: str,
        timeout_seconds: float,
        max_retry_after_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self._client = (client_id, client_secret)
        self._configured_refresh_token = refresh_token
        self.token_file = token_file
        self.token_url = token_url
        self._timeout = timeout_seconds
        self._clock = clock
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._current: _LiveToken | None = None
        self._max_retry_after = max_retry_after_seconds
        self._secrets: set[str] = set()
        self._keep_secret(client_secret, refresh_token)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RefreshingAuth:
        return cls(
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            refresh_token=config.get("refresh_token") or None,
            token_file=TokenFile(str(config["oauth_token_file"])),
            token_url=str(setting_value(config, "oauth_token_url")).strip(),
            timeout_seconds=float(setting_value(config, "request_timeout_seconds")),
            max_retry_after_seconds=float(setting_value(config, "max_retry_after_seconds")),
        )

    @property
    def header_value(self) -> str:
        # The token endpoint's Basic header, built from the client secret.
        pair = ":".join(self._client).encode("utf-8")
        return "Basic " + base64.b64encode(pair).decode("ascii")

    # The engine's side

    def authorization(self) -> str:
        current = self._current
        if current is None or self._clock() >= current.refresh_after:
            current = self._renew(stale=None if current is None else current.access_token)
        return f"Bearer {current.access_token}"

    def base_url(self, configured: str) -> str:
        # Gong says where a company's API lives in each token answer; api_url wins when
        # it is set to anything but the default.
        current = self._current
        if current is None or current.api_base_url is None:
            return configured
        if normalized_api_url(configured) != normalized_api_url(DEFAULT_API_URL):
            return configured
        return normalized_api_url(current.api_base_url)

    def renew_after(self, rejected: str, response: requests.Response) -> bool:
        if not _says_expired(response):
            return False
        self._renew(stale=rejected.removeprefix("Bearer "))
        logger.info("OAuth: Gong said the access token expired; renewed it")
        return True

    def tokens_saved(self) -> None:
        """Called once new tokens are on disk, before anything uses them (a seam where
        tests inject a crash)."""

    # Renewal

    def _renew(self, *, stale: str | None) -> _LiveToken:
        """A usable access token: one another thread or run got since ``stale`` was
        handed out, or a new one from Gong, saved first."""
        with self._lock:
            current = self._current
            renewed_meanwhile = current is not None and current.access_token != stale
            if current is not None and renewed_meanwhile and self._clock() < current.refresh_after:
                return current  # another thread renewed it while this one waited
            with self.token_file.locked(self._timeout + 30):
                stored = self._stored()
                now = self._clock()
                if (
                    stored is not None
                    and stored.access_token not in (None, stale)
                    and stored.expires_at is not None
                    and stored.expires_at - now >= _MIN_ADOPTED_LIFE_SECONDS
                ):
                    adopted = _live(stored, now)
                    if adopted is not None:
                        self._current = adopted
                        return adopted
                refresh_token, source = self._refresh_token(stored)
                fresh, life = self._ask_gong(refresh_token, source)
                self._write(fresh)
                logger.info(
                    "OAuth: got an access token for %.0f s; the rotated refresh token is "
                    "saved in %s",
                    life,
                    self.token_file,
                )
                self.tokens_saved()
                live = _live(fresh, now, life)
                if live is None:
                    raise GongError("Gong's token endpoint answered without an access token")
                self._current = live
                return live

    def _stored(self) -> StoredTokens | None:
        try:
            stored = self.token_file.read()
        except TokenFileError as exc:
            raise GongError(f"oauth_token_file: {exc}") from None
        if stored is not None:
            self._keep_secret(stored.refresh_token, stored.access_token)
        return stored

    def _write(self, tokens: StoredTokens) -> None:
        try:
            self.token_file.write(tokens)
        except TokenFileError as exc:
            raise GongError(
                f"oauth_token_file: {exc}. Gong has already rotated the refresh token, so "
                f"this run cannot keep it: a person must re-authorize the app"
            ) from None

    def _refresh_token(self, stored: StoredTokens | None) -> tuple[str, str]:
        if stored is not None:
            return stored.refresh_token, f"the token file {self.token_file}"
        if self._configured_refresh_token:
            return self._configured_refresh_token, "the refresh_token setting"
        raise GongReauthorizationNeeded(
            f"no refresh token: {self.token_file} does not exist and refresh_token is not "
            f"set. Authorize the app in Gong and set refresh_token",
            None,
        )

    def _keep_secret(self, *values: str | None) -> None:
        """Tokens never reach a log line, from here or from any other code."""
        secrets = {value for value in values if value}
        if secrets - self._secrets:
            self._secrets |= secrets
            redaction.install(redaction.SecretRedactor(secrets))

    def _redact(self, text: str) -> str:
        return redaction.SecretRedactor(self._secrets).redact(text)

    # The token endpoint

    def _ask_gong(self, refresh_token: str, source: str) -> tuple[StoredTokens, float]:
        """The new tokens from one refresh, and the access token's life in seconds."""
        what = f"POST {urlsplit(self.token_url).path} (OAuth token refresh)"
        try:
            response = self._session.post(
                self.token_url,
                params={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=self._client,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            # requests puts the URL, refresh token included, in its messages.
            detail = self._redact(str(exc))
            raise GongTransientError(f"{what} failed: {type(exc).__name__}: {detail}") from None
        self._refused(response, what, source)
        payload = answer_payload(response, max_retry_after_seconds=self._max_retry_after)
        return self._tokens_from(payload, refresh_token, what)

    def _refused(self, response: requests.Response, what: str, source: str) -> None:
        """Raise for a 4xx other than 429, in the token endpoint's OAuth words."""
        status = response.status_code
        if status < 400 or status >= 500 or status == 429:
            return
        code, description = "", ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = str(body.get("error") or "")
            description = str(body.get("error_description") or "")
        said = f"{code}: {description}" if description else code or response.reason or ""
        request_id = GongErrorBody.from_response(response).request_id
        said += f", requestId {request_id}" if request_id else ""
        if code == "invalid_grant":
            raise GongReauthorizationNeeded(
                f"{what} answered {status} ({said}) for the refresh token from {source}. "
                f"Gong's refresh tokens are single-use: this one was already spent, or the "
                f"app's access was revoked. A person must re-authorize the app in Gong, set "
                f"refresh_token to the new refresh token and delete {self.token_file} (it "
                f"holds the spent token and is read first). Retrying cannot help.",
                status,
            )
        if code == "invalid_client" or status == 401:
            raise GongReauthorizationNeeded(
                f"{what} answered {status} ({said}): Gong refused the app's client_id and "
                f"client_secret. Check them in the app's settings in Gong.",
                status,
            )
        raise GongAPIError(f"{what} answered {status} ({said})", status)

    def _tokens_from(
        self, payload: Mapping[str, Any], spent: str, what: str
    ) -> tuple[StoredTokens, float]:
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise GongError(f"{what} answered without an access_token")
        rotated = payload.get("refresh_token")
        refresh = rotated if isinstance(rotated, str) and rotated else spent
        self._keep_secret(access, refresh)
        expires_in = payload.get("expires_in")
        life = (
            float(expires_in)
            if isinstance(expires_in, int | float) and expires_in > 0
            else _ASSUMED_LIFE_SECONDS
        )
        base = payload.get("api_base_url_for_customer")
        base_url = base.strip() if isinstance(base, str) and base.strip() else None
        if base_url is not None:
            problems = api_url_problems(base_url)
            if problems:
                raise GongError(
                    f"{what} answered an api_base_url_for_customer the tap will not use: "
                    + problems[0].removeprefix("api_url: ")
                )
        tokens = StoredTokens(refresh, access, self._clock() + life, base_url)
        return tokens, life
