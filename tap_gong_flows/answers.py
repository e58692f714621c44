"""What one HTTP answer from Gong means: a JSON object to use, or an error to raise.

The error says whether another attempt may help (:class:`GongTransientError`) or not
(:class:`GongAPIError`), always in Gong's words.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from tap_gong_flows.errors import (
    GongAPIError,
    GongDailyLimitError,
    GongTransientError,
    describe_http_error,
)
from tap_gong_flows.retries import parse_retry_after
from tap_gong_flows.scopes import refusal_advice

Payload = dict[str, Any]


def answer_payload(response: requests.Response, *, max_retry_after_seconds: float) -> Payload:
    """The JSON object of a successful answer; raises for every other answer."""
    status = response.status_code
    if status == 429:
        raise rate_limited_error(response, max_retry_after_seconds)
    if status >= 500 or status == 408:
        raise GongTransientError(describe_http_error(response), response)
    if 300 <= status < 400:
        raise GongAPIError(
            f"{describe_http_error(response)}: Gong redirected to "
            f"{response.headers.get('Location', '?')}; check api_url",
            status,
        )
    if status >= 400:
        hint = " Check the credentials and their scopes." if status == 401 else ""
        if status == 403:
            hint = refusal_advice(urlsplit(response.url).path)
        answer = describe_http_error(response)
        raise GongAPIError(answer + hint, status, answer=answer)
    try:
        payload = response.json()
    except requests.exceptions.JSONDecodeError:
        raise GongTransientError(
            f"{describe_http_error(response)} with a body that is not valid JSON", response
        ) from None
    if not isinstance(payload, dict):
        raise GongTransientError(
            f"{describe_http_error(response)} with JSON that is not an object", response
        )
    return payload


def rate_limited_error(
    response: requests.Response, max_retry_after_seconds: float
) -> GongTransientError | GongDailyLimitError:
    """A 429: retried after its Retry-After, unless that is longer than the tap may wait."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    message = describe_http_error(response)
    limit = max_retry_after_seconds
    if retry_after is not None and retry_after > limit:
        return GongDailyLimitError(
            f"{message}: Gong asks to wait {retry_after:.0f} s, more than "
            f"max_retry_after_seconds ({limit:g} s). The company's daily limit of "
            f"10,000 API calls is most likely used up (it is shared with every other "
            f"Gong integration). Retry in {retry_after / 3600:.1f} h, or raise "
            f"max_retry_after_seconds to let the tap wait.",
            429,
        )
    return GongTransientError(message, response, retry_after=retry_after, rate_limited=True)
