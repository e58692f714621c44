"""What the simulator's prospect-endpoint tests share: a fixed dataset, the spec's record
fields, credentials, and small clients for the endpoint."""

from __future__ import annotations

import base64
import json
import re
import socket
from typing import Any

import requests

from tap_gong_flows.simulator import (
    GongDataset,
    GongSimulator,
)

from .fixed_records import OPEN_STATUS_NAMES, SPEC_STATUSES

PROSPECTS_PATH = "/v2/flows/prospects"
BASIC_AUTH = ("sim-access-key", "sim-access-key-secret")
BEARER_HEADERS = {"Authorization": "Bearer sim-access-token"}
REQUEST_ID = re.compile(r"^[a-z0-9]{19}$")
RECORD_FIELDS = {
    "flowId": str,
    "flowName": str,
    "crmProspectId": str,
    "flowInstanceId": str,
    "flowInstanceOwnerEmail": str,
    "flowInstanceOwnerFullName": str,
    "flowInstanceCreateDate": str,
    "flowInstanceStatus": str,
    "workspaceId": str,
    "exclusive": bool,
}

DATASET = GongDataset(300, seed=7)
ALL_IDS = list(DATASET.prospect_ids())
IDS_WITH_OPEN_FLOWS = [i for i in ALL_IDS if DATASET.open_assigned_flows(i)]
FINISHED_INSTANCES = [
    record
    for crm_id in ALL_IDS
    for record in DATASET.assigned_flows(crm_id)
    if record["flowInstanceStatus"] in SPEC_STATUSES - OPEN_STATUS_NAMES
]


def post(simulator: GongSimulator, body: Any, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", BASIC_AUTH)
    kwargs.setdefault("timeout", 5)
    if isinstance(body, bytes | str):
        return requests.post(simulator.url + PROSPECTS_PATH, data=body, **kwargs)
    return requests.post(simulator.url + PROSPECTS_PATH, json=body, **kwargs)


def raw_exchange(simulator: GongSimulator, body: dict[str, Any]) -> bytes:
    """Send one request over a plain socket and return every byte until the server closes."""
    payload = json.dumps(body).encode()
    credentials = base64.b64encode(b"sim-access-key:sim-access-key-secret").decode()
    head = (
        f"POST {PROSPECTS_PATH} HTTP/1.1\r\nHost: {simulator.host}\r\n"
        f"Authorization: Basic {credentials}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    with socket.create_connection((simulator.host, simulator.port), timeout=5) as connection:
        connection.sendall(head.encode() + payload)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def assert_gong_error(response: requests.Response, status: int) -> list[str]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert REQUEST_ID.match(body["requestId"])
    assert body["errors"]
    assert all(isinstance(message, str) and message for message in body["errors"])
    return list(body["errors"])


# -- lifecycle and command line -------------------------------------------------------


def read_one_response(connection: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    declared = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < declared:
        body += connection.recv(65536)
    return head
