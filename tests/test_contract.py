"""Gong's official spec holds both sides: the tap's requests and the simulator's answers.

``tests/contract/gong_endpoints.json`` is generated from Gong's OpenAPI document by
``tools/generate_schemas.py``: for each endpoint the tap calls, its query parameters, its
request body schema and its 200 answer schema, with enums.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from jsonschema import Draft7Validator

from tap_gong_flows.simulator import GongDataset, GongSimulator

from .support import ACCESS_TOKEN, run_tap

CONTRACT = json.loads((Path(__file__).parent / "contract" / "gong_endpoints.json").read_text())
ENDPOINTS: dict[str, dict[str, Any]] = CONTRACT["endpoints"]
ALL_STREAMS = (
    "users",
    "flow_folders",
    "flows",
    "flow_steps",
    "tasks",
    "prospects",
    "assigned_flows",
)


def _undeclared_fields(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Fields present in ``value`` that the schema does not declare (the spec sets no
    additionalProperties, so JSON Schema alone would let them through)."""
    found: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        for key, child in value.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += _undeclared_fields(child, schema["properties"][key], f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            found += _undeclared_fields(item, schema["items"], f"{where}[]")
    return found


def _violations(value: Any, schema: dict[str, Any]) -> list[str]:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in Draft7Validator(schema).iter_errors(value)
    ]
    return errors + [f"undeclared {field}" for field in _undeclared_fields(value, schema)]


def test_every_request_the_tap_sends_matches_the_spec(
    simulator: GongSimulator, dataset: GongDataset, base_config: dict[str, Any]
) -> None:
    config = {
        **base_config,
        "crm_prospect_ids": list(dataset.prospect_ids()),
        "track_finished_flows": True,
    }
    first = run_tap(config, streams=ALL_STREAMS)
    dataset.finish_instances(0.2)
    run_tap(config, state=first.of_type("STATE")[-1]["value"], streams=ALL_STREAMS)

    seen = set()
    for entry in simulator.request_log:
        url = urlsplit(entry.path)
        key = f"{entry.method} {url.path}"
        assert key in ENDPOINTS, f"the tap called {key}, which the contract does not cover"
        seen.add(key)
        endpoint = ENDPOINTS[key]
        query = dict(parse_qsl(url.query))
        assert set(query) <= set(endpoint["query"]), f"{key}: unknown parameters {query}"
        required = {name for name, rule in endpoint["query"].items() if rule["required"]}
        assert required <= set(query), f"{key}: missing {required - set(query)}"
        if endpoint["request"] is not None:
            assert _violations(entry.body, endpoint["request"]) == [], key
        else:
            assert entry.body is None, f"{key} takes no body"
    assert seen == set(ENDPOINTS), "every endpoint of the contract should have been exercised"


def _answers(simulator: GongSimulator, dataset: GongDataset) -> dict[str, list[Any]]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {ACCESS_TOKEN}"
    base = simulator.url
    user = dataset.users()[0]
    flow_id = dataset.all_flows()[0]["id"]
    ids = list(dataset.prospect_ids())[:100]
    instances = [r["flowInstanceId"] for r in dataset.expected_open_records(ids)][:20]
    dataset.finish_instances(instances[:5])
    calls = {
        "GET /v2/users": [session.get(f"{base}/v2/users")],
        "GET /v2/flows": [
            session.get(f"{base}/v2/flows", params={"flowOwnerEmail": user["emailAddress"]})
        ],
        "GET /v2/flows/folders": [
            session.get(
                f"{base}/v2/flows/folders", params={"flowFolderOwnerEmail": user["emailAddress"]}
            )
        ],
        "POST /v2/flows/steps": [
            session.post(f"{base}/v2/flows/steps", json={"flowIds": [flow_id]})
        ],
        "POST /v2/tasks": [
            session.post(
                f"{base}/v2/tasks",
                json={
                    "filter": {
                        "userId": user["id"],
                        "types": ["FLOW", "MANUAL"],
                        "status": ["OPEN", "DONE", "DISMISSED"],
                        "taskAction": ["CALL"],
                    }
                },
            )
        ],
        "POST /v2/flows/prospects": [
            session.post(f"{base}/v2/flows/prospects", json={"crmProspectsIds": ids}),
            session.post(f"{base}/v2/flows/prospects", json={"flowInstanceIds": instances}),
        ],
    }
    answers: dict[str, list[Any]] = {}
    for key, responses in calls.items():
        for response in responses:
            assert response.status_code == 200, f"{key}: {response.text[:200]}"
        answers[key] = [response.json() for response in responses]
    return answers


def test_every_simulator_answer_matches_the_spec(
    simulator: GongSimulator, dataset: GongDataset
) -> None:
    answers = _answers(simulator, dataset)
    assert set(answers) == set(ENDPOINTS)
    for key, bodies in answers.items():
        for body in bodies:
            assert _violations(body, ENDPOINTS[key]["response"]) == [], key
    statuses = {
        r["flowInstanceStatus"] for r in answers["POST /v2/flows/prospects"][1]["prospectsAssigned"]
    }
    assert statuses & {"FinishedNoReply", "FinishedResponse", "Finished"}


@pytest.fixture
def dataset() -> GongDataset:
    return GongDataset(prospect_count=300, seed=21)
