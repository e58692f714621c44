"""Turns a :class:`Fault` into the answer that misbehaves the way the fault describes."""

from __future__ import annotations

import copy
from http import HTTPStatus

from tap_gong_flows.simulator.faults.plan import Fault
from tap_gong_flows.simulator.serving.replies import (
    JSON_CONTENT_TYPE,
    Answer,
    Reply,
    encode_json,
    error_reply,
    json_reply,
)

_DEFAULT_NON_JSON_BODY = (
    "<!DOCTYPE html><html><head><title>Maintenance</title></head>"
    "<body><p>The service is being upgraded. Please try again shortly.</p></body></html>"
)


def fault_reply(fault: Fault, answer: Answer) -> Reply:
    """The answer for a faulted request. ``answer`` is what the endpoint would have
    said (an empty answer of the right shape if the request was not valid).

    ``slow`` faults are not handled here: they delay a normal answer.
    """
    headers = dict(fault.headers)
    if fault.kind == "status":
        return _status_reply(fault, headers)
    if fault.kind == "rate_limited":
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        return error_reply(429, "API request limit exceeded", headers)
    if fault.kind == "drop_connection":
        return Reply(None)
    if fault.kind == "non_json":
        body = _DEFAULT_NON_JSON_BODY if fault.body is None else fault.body
        return _raw_reply(200, body, fault.content_type or JSON_CONTENT_TYPE, headers)

    payload = copy.deepcopy(answer.payload)
    key = answer.items_key
    if fault.kind == "missing_records":
        del payload[key]
        return json_reply(200, payload, headers)
    if fault.kind == "null_records":
        payload[key] = None
        return json_reply(200, payload, headers)
    if fault.kind == "extra_fields":
        for item in payload[key]:
            answer.tamper(item)
    elif fault.kind == "foreign_records":
        payload[key] += answer.foreign_items()
    body = encode_json(payload)
    if fault.kind == "truncated_json":
        return _raw_reply(200, body[: len(body) // 2], JSON_CONTENT_TYPE, headers)
    if fault.kind == "reset_mid_body":
        return Reply(
            200, body, JSON_CONTENT_TYPE, tuple(headers.items()), body_cutoff=len(body) // 2
        )
    if fault.kind in ("extra_fields", "foreign_records"):
        return _raw_reply(200, body, JSON_CONTENT_TYPE, headers)
    raise ValueError(f"no reply for fault kind {fault.kind!r}")


def _status_reply(fault: Fault, headers: dict[str, str]) -> Reply:
    if fault.body is None:
        try:
            phrase = HTTPStatus(fault.status_code).phrase
        except ValueError:
            phrase = "Unexpected error"
        return error_reply(fault.status_code, phrase, headers)
    return _raw_reply(
        fault.status_code, fault.body, fault.content_type or "text/plain; charset=utf-8", headers
    )


def _raw_reply(status: int, body: str | bytes, content_type: str, headers: dict[str, str]) -> Reply:
    payload = body.encode("utf-8") if isinstance(body, str) else body
    return Reply(status, payload, content_type, tuple(headers.items()))
