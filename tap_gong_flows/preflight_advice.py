"""What the preflight tells a person to do about a probe that failed for a reason other
than a missing scope (that one has its own advice: grant the scope, or deselect)."""

from __future__ import annotations


def failure_advice(status: int | None, api_url: str) -> list[str]:
    """What to do about a probe that failed for a reason other than a missing scope."""
    if status is None:
        return [
            f"Gong could not be reached at {api_url}: check api_url (your company's base URL), "
            "the network, and the proxy settings (HTTPS_PROXY) if any."
        ]
    if status == 401:
        return [
            "Gong refused the credentials: check access_key and access_key_secret (or that "
            "access_token has not expired), and that api_url is your company's base URL."
        ]
    if 300 <= status < 400:
        return [
            f"{api_url} redirects: it is not Gong's API host. Use the base URL shown on Gong's "
            "API page (or api_base_url_for_customer with OAuth), e.g. https://us-12345.api.gong.io."
        ]
    if status >= 500:
        return [
            f"Gong kept answering {status} until the retries ran out: most likely a passing "
            "outage on Gong's side; run the preflight again later."
        ]
    if status == 429:
        return [
            "Gong's rate limit: a long Retry-After means the company's 10,000 calls a day are "
            "used up (by every integration together); try again when it says."
        ]
    return []


def last_status(exc: BaseException) -> int | None:
    """The HTTP status of the last answer behind a request that ran out of retries."""
    response = getattr(exc.__cause__, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None
