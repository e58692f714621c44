"""The base Gong stream: authentication, pacing, retries and error mapping for every endpoint."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import backoff
import msgspec
import requests
from requests.structures import CaseInsensitiveDict
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams import RESTStream

from tap_gong_flows import __version__
from tap_gong_flows.auth import GongAuth
from tap_gong_flows.errors import (
    GongAPIError,
    GongDailyLimitError,
    GongError,
    GongRequestFailed,
    GongSyncStopped,
    GongTransientError,
    describe_http_error,
)
from tap_gong_flows.pacing import RequestPacer
from tap_gong_flows.retries import parse_retry_after, retry_waits
from tap_gong_flows.settings import DEFAULT_API_URL, normalized_api_url

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_gong_flows.tap import TapGongFlows

RequestFunc = Callable[[requests.PreparedRequest, "Context | None"], requests.Response]

# Failures worth another attempt; everything else ends the sync at once.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    GongTransientError,
    ConnectionResetError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

_PAYLOAD_ATTR = "_gong_payload"
_JSON = msgspec.json


def response_payload(response: requests.Response) -> dict[str, Any]:
    """The JSON object of a response that :meth:`GongStream.validate_response` accepted."""
    return cast(dict[str, Any], getattr(response, _PAYLOAD_ATTR))


def _describe_failure(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, GongTransientError) else f"{type(exc).__name__}: {text}"


class GongStream(RESTStream[Any]):
    """One Gong endpoint. Owns how requests are sent; subclasses say what to ask and keep."""

    allow_redirects = False  # a redirect would carry our Authorization header elsewhere
    retry_base_seconds = 1.0  # first exponential backoff step; tests shorten it
    retry_max_seconds = 60.0

    @property
    def gong_tap(self) -> TapGongFlows:
        return cast("TapGongFlows", self._tap)

    @property
    def url_base(self) -> str:
        return normalized_api_url(self.config.get("api_url") or DEFAULT_API_URL)

    @property
    def authenticator(self) -> GongAuth:
        return self.gong_tap.auth

    @property
    def requests_session(self) -> requests.Session:
        # One session for the whole tap: a kept-alive connection serves every stream.
        return self.gong_tap.http_session

    @property
    def user_agent(self) -> str:
        return f"tap-gong-flows/{__version__}"

    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": self.user_agent}

    @cached_property
    def _post_headers(self) -> dict[str, str]:
        return {
            **self.http_headers,
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip, deflate",
        }

    @property
    def timeout(self) -> float:  # type: ignore[override]  # requests takes fractions
        return float(self.config.get("request_timeout_seconds", 60))

    @property
    def pacer(self) -> RequestPacer:
        return self.gong_tap.pacer

    def get_new_paginator(self) -> BaseAPIPaginator[Any] | None:
        return None

    def post_json(
        self, body: dict[str, Any], context: Context | None = None, *, about: str | None = None
    ) -> requests.Response:
        """One paced, retried POST of ``body`` to this stream's path, counted in the metrics.

        ``about`` says what was asked (which batch, which user); a failure carries it.
        """
        send = self._retrying_request
        # Built by hand: requests' prepare_request (merging session settings, parsing the
        # URL again) costs more than sending the request does.
        prepared = requests.PreparedRequest()
        prepared.method = "POST"
        prepared.url = self.get_url(None)
        prepared.body = _JSON.encode(body)
        prepared.headers = CaseInsensitiveDict(self._post_headers)
        prepared.headers["Content-Length"] = str(len(prepared.body))
        with self.get_http_request_counter() as counter:
            try:
                response = send(prepared, context)
            except GongError as exc:
                if about:
                    exc.with_context(about)
                raise
            counter.increment()
        return response

    # Sending

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        if self.gong_tap.stopping.is_set():
            raise GongSyncStopped(f"{prepared_request.method} {self.path} not sent: sync stopping")
        self.gong_tap.budget.spend(f"{prepared_request.method} {self.path}")
        self.pacer.wait()
        request = self.authenticator(prepared_request)
        response = self.gong_tap.http_transport.send(request, timeout=self.timeout)
        self._write_request_duration_log(
            endpoint=self.path, response=response, context=context, extra_tags=None
        )
        self.validate_response(response)
        return response

    @cached_property
    def _retrying_request(self) -> RequestFunc:
        """:meth:`_request` with the retry rules, built once per stream."""
        return self.request_decorator(self._request)

    @property
    def max_tries(self) -> int:
        return int(self.config.get("max_retries", 6)) + 1

    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        retrying = backoff.on_exception(
            retry_waits,
            RETRYABLE_EXCEPTIONS,
            max_tries=self.max_tries,
            jitter=None,  # retry_waits adds its own, and none to Retry-After
            on_backoff=self._log_retry,
            logger=None,
            base_seconds=self.retry_base_seconds,
            max_seconds=self.retry_max_seconds,
        )(func)

        @functools.wraps(func)
        def send(prepared: requests.PreparedRequest, context: Context | None) -> requests.Response:
            try:
                return retrying(prepared, context)
            except RETRYABLE_EXCEPTIONS as exc:
                raise GongRequestFailed(
                    f"{prepared.method} {self.path} failed after {self.max_tries} attempts; "
                    f"last error: {_describe_failure(exc)}"
                ) from exc

        return send

    def _log_retry(self, details: Any) -> None:
        exc = details.get("exception")
        if self.gong_tap.stopping.is_set():
            # Raised here, before backoff sleeps: a request sent ahead stops retrying at once.
            raise GongSyncStopped(f"{self.path}: retry given up, sync stopping") from exc
        self.gong_tap.http_stats.retries += 1
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d of %d): %s",
            self.path,
            details.get("wait", 0.0),
            details.get("tries", 0) + 1,
            self.max_tries,
            _describe_failure(exc) if exc else "unknown failure",
        )

    # Answers

    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status == 429:
            self.gong_tap.http_stats.rate_limited += 1
            self._raise_rate_limited(response)
        if status >= 500 or status == 408:
            raise GongTransientError(describe_http_error(response), response)
        if 300 <= status < 400:
            raise GongAPIError(
                f"{describe_http_error(response)}: Gong redirected to "
                f"{response.headers.get('Location', '?')}; check api_url",
                status,
            )
        if status >= 400:
            hint = " Check the credentials and their scopes." if status in (401, 403) else ""
            raise GongAPIError(describe_http_error(response) + hint, status)
        try:
            payload = _JSON.decode(response.content)
        except msgspec.DecodeError:
            raise GongTransientError(
                f"{describe_http_error(response)} with a body that is not valid JSON", response
            ) from None
        if not isinstance(payload, dict):
            raise GongTransientError(
                f"{describe_http_error(response)} with JSON that is not an object", response
            )
        setattr(response, _PAYLOAD_ATTR, payload)

    def _raise_rate_limited(self, response: requests.Response) -> None:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        limit = float(self.config.get("max_retry_after_seconds", 300))
        message = describe_http_error(response)
        if retry_after is not None and retry_after > limit:
            raise GongDailyLimitError(
                f"{message}: Gong asks to wait {retry_after:.0f} s, more than "
                f"max_retry_after_seconds ({limit:g} s). The company's daily limit of "
                f"10,000 API calls is most likely used up (it is shared with every other "
                f"Gong integration). Retry in {retry_after / 3600:.1f} h, or raise "
                f"max_retry_after_seconds to let the tap wait.",
                429,
            )
        raise GongTransientError(message, response, retry_after=retry_after)

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        raise NotImplementedError


class GongCursorPaginator(BaseAPIPaginator[str | None]):
    """Gong's paging: ``records.cursor`` in the answer, absent on the last page."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> str | None:
        records = response_payload(response).get("records")
        cursor = records.get("cursor") if isinstance(records, dict) else None
        return str(cursor) if cursor else None


class PagedGongStream(GongStream):
    """A GET endpoint that pages with ``cursor``; its items sit under ``records_key``."""

    records_key: str

    def query_params(self, context: Context | None) -> dict[str, Any]:
        """The endpoint's own query parameters (the cursor is added for later pages)."""
        return {}

    def get_new_paginator(self) -> GongCursorPaginator:
        return GongCursorPaginator()

    def get_url_params(self, context: Context | None, next_page_token: Any) -> dict[str, Any]:
        params = {k: v for k, v in self.query_params(context).items() if v is not None}
        if next_page_token:
            params["cursor"] = next_page_token
        return params

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        items = response_payload(response).get(self.records_key)
        if items is None:
            return []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise GongError(
                f"GET {self.path} answered {self.records_key} that is not a list of objects"
            )
        return items
