"""Local stand-in for Gong's REST API (Engage flows, users and tasks), for demos, tests and
benchmarks.

Standard library only. Typical use::

    from tap_gong_flows.simulator import GongDataset, GongSimulator

    with GongSimulator(GongDataset(prospect_count=1000)) as simulator:
        ...  # point the tap at simulator.url

Paths served, and the OAuth scope each needs (``REQUIRED_SCOPES``): see :mod:`.serving.routes`.
The dataset's helper methods (``users()``, ``flows_visible_to()``, ``tasks_of()``...)
return exactly what the endpoints answer.
"""

from tap_gong_flows.simulator.endpoints.engage import MAX_FLOW_IDS_PER_STEPS_REQUEST
from tap_gong_flows.simulator.faults.plan import Fault, FaultPlan
from tap_gong_flows.simulator.model.dataset import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    GongDataset,
    parse_prospect_index,
    prospect_id,
)
from tap_gong_flows.simulator.model.people import DEFAULT_USER_COUNT, INSTANCE_OWNER_COUNT
from tap_gong_flows.simulator.serving.latency import AnswerDelay
from tap_gong_flows.simulator.serving.oauth import TOKEN_PATH, OAuthIssuer, TokenExchange
from tap_gong_flows.simulator.serving.paging import DEFAULT_CURSOR_TTL_SECONDS, DEFAULT_PAGE_SIZE
from tap_gong_flows.simulator.serving.routes import (
    FLOWS_PATH,
    FOLDERS_PATH,
    PROSPECTS_PATH,
    REQUIRED_SCOPES,
    STEPS_PATH,
    TASKS_PATH,
    USERS_PATH,
)
from tap_gong_flows.simulator.serving.server import GongSimulator, RequestLogEntry

__all__ = [
    "DEFAULT_CURSOR_TTL_SECONDS",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_USER_COUNT",
    "FINISHED_STATUSES",
    "FLOWS_PATH",
    "FOLDERS_PATH",
    "INSTANCE_OWNER_COUNT",
    "MAX_FLOW_IDS_PER_STEPS_REQUEST",
    "OPEN_STATUSES",
    "PROSPECTS_PATH",
    "REQUIRED_SCOPES",
    "STEPS_PATH",
    "TASKS_PATH",
    "TOKEN_PATH",
    "USERS_PATH",
    "AnswerDelay",
    "Fault",
    "FaultPlan",
    "GongDataset",
    "GongSimulator",
    "OAuthIssuer",
    "RequestLogEntry",
    "TokenExchange",
    "parse_prospect_index",
    "prospect_id",
]
