"""Turns a :class:`Fault` into the answer that misbehaves the way the fault describes."""

from __future__ import annotations

import itertools
from http import HTTPStatus

from .api import ProspectsQuery, query_records
from .data import OPEN_STATUSES, GongDataset, Record
from .faults import Fault
from .replies import (
    JSON_CONTENT_TYPE,
    Reply,
    encode_json,
    error_reply,
    json_reply,
    new_request_id,
    success_payload,
)

UNKNOWN_FIELD = "flowInstanceSnoozedUntil"
UNKNOWN_STATUS = "Snoozed"
_DEFAULT_NON_JSON_BODY = (
    "<!DOCTYPE html><html><head><title>Maintenance</title></head>"
    "<body><p>The service is being upgraded. Please try again shortly.</p></body></html>"
)
_FOREIGN_PROSPECTS = 2
# How far past the requested IDs to look for foreign prospects with open flows; the
# odds of finding none are negligible, and the cap keeps a pathological case bounded.
_FOREIGN_SEARCH_LIMIT = 10_000


def fault_reply(fault: Fault, dataset: GongDataset, query: ProspectsQuery | None) -> Reply:
    """The answer for a faulted request. ``query`` is the request, if it was valid.

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
    if fault.kind == "missing_records":
        return json_reply(200, {"requestId": new_request_id()}, headers)
    if fault.kind == "null_records":
        return json_reply(200, {"requestId": new_request_id(), "prospectsAssigned": None}, headers)

    records = [] if query is None else query_records(dataset, query)
    if fault.kind == "extra_fields":
        for record in records:
            record[UNKNOWN_FIELD] = record["flowInstanceCreateDate"]
            record["flowInstanceStatus"] = UNKNOWN_STATUS
    elif fault.kind == "foreign_records":
        records += _foreign_records(dataset, query)
    body = encode_json(success_payload(records))
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


def _foreign_records(dataset: GongDataset, query: ProspectsQuery | None) -> list[Record]:
    """Open instances of a couple of prospects the request did not ask about.

    Prospects of the dataset come first; past its end the generator makes up prospects
    the account does not know, so tiny datasets still get foreign records.
    """
    asked = set() if query is None else set(query.ids)
    key = "flowInstanceId" if query and query.field == "flowInstanceIds" else "crmProspectId"
    found: list[Record] = []
    prospects_found = 0
    for index in itertools.islice(itertools.count(), _FOREIGN_SEARCH_LIMIT + len(asked)):
        records = [
            record
            for record in dataset.instances_at(index)
            if record["flowInstanceStatus"] in OPEN_STATUSES and record[key] not in asked
        ]
        if records:
            found += records
            prospects_found += 1
            if prospects_found == _FOREIGN_PROSPECTS:
                break
    return found
