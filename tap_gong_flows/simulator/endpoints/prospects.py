"""The prospects endpoint proper: request validation and the records it answers with."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Literal

from tap_gong_flows.simulator.model.dataset import OPEN_STATUSES, GongDataset
from tap_gong_flows.simulator.model.record import Record
from tap_gong_flows.simulator.serving.replies import Answer, success_payload
from tap_gong_flows.simulator.serving.request_parsing import (
    NOT_JSON,
    ApiRequest,
    BadRequest,
    decode_json,
    json_type,
    loggable,
)

__all__ = [
    "PROSPECTS_PATH",
    "BadRequest",
    "ProspectsEndpoint",
    "ProspectsQuery",
    "decode_json",
    "loggable",
    "parse_prospects_query",
    "query_records",
]

PROSPECTS_PATH = "/v2/flows/prospects"

QueryField = Literal["crmProspectsIds", "flowInstanceIds"]
_QUERY_FIELDS: tuple[QueryField, ...] = ("crmProspectsIds", "flowInstanceIds")

UNKNOWN_FIELD = "flowInstanceSnoozedUntil"
UNKNOWN_STATUS = "Snoozed"
_FOREIGN_PROSPECTS = 2
# How far past the requested IDs to look for foreign prospects with open flows; the
# odds of finding none are negligible, and the cap keeps a pathological case bounded.
_FOREIGN_SEARCH_LIMIT = 10_000


@dataclass(frozen=True)
class ProspectsQuery:
    """A validated request: which kind of IDs were sent, and the IDs in request order."""

    field: QueryField
    ids: tuple[str, ...]


def parse_prospects_query(parsed: Any, max_ids: int | None) -> ProspectsQuery:
    """Validate a decoded body against the endpoint's schema; raise BadRequest if off."""
    if parsed is NOT_JSON:
        raise BadRequest("Request body must be a JSON object")
    if not isinstance(parsed, dict):
        raise BadRequest(f"Request body must be a JSON object, got {json_type(parsed)}")
    present = [name for name in _QUERY_FIELDS if parsed.get(name) is not None]
    if not present:
        raise BadRequest("Request body must contain crmProspectsIds or flowInstanceIds")
    if len(present) > 1:
        raise BadRequest("Specify either crmProspectsIds or flowInstanceIds, not both")
    field = present[0]
    ids = parsed[field]
    if not isinstance(ids, list):
        raise BadRequest(f"{field} must be an array of strings, got {json_type(ids)}")
    if not ids:
        raise BadRequest(f"{field} must not be empty")
    for position, item in enumerate(ids):
        if not isinstance(item, str):
            raise BadRequest(f"{field}[{position}] must be a string, got {json_type(item)}")
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise BadRequest(f"{field} must contain unique items; {item!r} is repeated")
        seen.add(item)
    if max_ids is not None and len(ids) > max_ids:
        raise BadRequest(f"{field} may hold at most {max_ids} items, got {len(ids)}")
    return ProspectsQuery(field, tuple(ids))


def query_records(dataset: GongDataset, query: ProspectsQuery) -> list[Record]:
    """Open instances for CRM IDs; instances of any status for flow instance IDs."""
    if query.field == "crmProspectsIds":
        return dataset.expected_open_records(query.ids)
    return dataset.expected_instance_records(query.ids)


class ProspectsEndpoint:
    """``POST /v2/flows/prospects``."""

    def __init__(self, dataset: GongDataset, max_ids_per_request: int | None) -> None:
        self._dataset = dataset
        self._max_ids = max_ids_per_request

    def answer(self, request: ApiRequest) -> Answer:
        query = parse_prospects_query(request.body, self._max_ids)
        return self._answer(query_records(self._dataset, query), query)

    def fallback(self, request: ApiRequest) -> Answer:
        """An empty answer, for faults injected into requests that are not valid."""
        return self._answer([], None)

    def _answer(self, records: list[Record], query: ProspectsQuery | None) -> Answer:
        return Answer(
            success_payload(records),
            "prospectsAssigned",
            lambda: _foreign_records(self._dataset, query),
            _mark_unknown,
        )


def _mark_unknown(record: Record) -> None:
    record[UNKNOWN_FIELD] = record["flowInstanceCreateDate"]
    record["flowInstanceStatus"] = UNKNOWN_STATUS


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
