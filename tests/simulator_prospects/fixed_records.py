"""A small account written out by hand, the truth the simulator's prospect tests check it
against instead of its own functions: ``GongDataset(6, seed=9)``, every flow instance of its
six prospects as a literal record.

Read and checked by hand: each record names its own prospect; no prospect is twice in one
flow; the six statuses are exactly the six of Gong's spec; the one exclusive flow's instance
has finished; dates carry an offset ("Z", -08:00 or +09:00), with or without microseconds; the
owners are users of the account. Prospects #1 and #4 have no flow instance at all.
"""

from __future__ import annotations

from typing import Any

SMALL_PROSPECT_COUNT = 6
SMALL_SEED = 9

# PublicApiAssignedFlow.flowInstanceStatus in Gong's spec lists these six, no more.
SPEC_STATUSES = frozenset(
    {"Pending", "Running", "Paused", "FinishedNoReply", "FinishedResponse", "Finished"}
)
# The README: a crmProspectsIds query answers only open instances, those in these statuses.
OPEN_STATUS_NAMES = frozenset({"Pending", "Running", "Paused"})

SMALL_IDS = [
    "0035g0000000000OH5",
    "0035g00000000012PK",
    "0035g00000000024MI",
    "0035g0000000003Q0Y",
    "0035g0000000004BFC",
    "0035g00000000054H4",
]

_SALES = "5038816629417705312"
_SUCCESS = "5038816629417709948"
_WEBINAR = ("7312004521107745106", "Webinar Attendee Nurture")
# The catalog's names carry an en dash, as real flow names do.
_COLD_CALL = ("7312004547714409953", "Cold Call Blitz \u2013 Q3")
_SDR = ("7312004518839271045", "SDR Outbound \u2013 Enterprise")
_PARTNER = ("7312004551108863417", "Partner Referral Introduction")
_DANIEL = ("daniel.reyes@example.com", "Daniel Reyes")
_HANNAH = ("hannah.lindqvist@example.com", "Hannah Lindqvist")
_JAMAL = ("jamal.carter@example.com", "Jamal Carter")
_MAYA = ("maya.okafor@example.com", "Maya Okafor")


def _record(
    flow: tuple[str, str],
    crm_id: str,
    instance_id: str,
    owner: tuple[str, str],
    created: str,
    status: str,
    workspace_id: str,
    exclusive: bool,
) -> dict[str, Any]:
    return {
        "flowId": flow[0],
        "flowName": flow[1],
        "crmProspectId": crm_id,
        "flowInstanceId": instance_id,
        "flowInstanceOwnerEmail": owner[0],
        "flowInstanceOwnerFullName": owner[1],
        "flowInstanceCreateDate": created,
        "flowInstanceStatus": status,
        "workspaceId": workspace_id,
        "exclusive": exclusive,
    }


PENDING_0 = _record(
    _WEBINAR, SMALL_IDS[0], "1700000000000000085", _DANIEL,
    "2026-03-01T16:29:39.453017Z", "Pending", _SALES, False,
)  # fmt: skip
FINISHED_RESPONSE_2 = _record(
    _COLD_CALL, SMALL_IDS[2], "1784998082324674458", _HANNAH,
    "2025-12-20T17:19:08-08:00", "FinishedResponse", _SALES, False,
)  # fmt: skip
RUNNING_2 = _record(
    _WEBINAR, SMALL_IDS[2], "1758122842615258740", _JAMAL,
    "2026-01-05T03:29:31.570827Z", "Running", _SALES, False,
)  # fmt: skip
FINISHED_3 = _record(
    _SDR, SMALL_IDS[3], "1777497123487011600", _MAYA,
    "2025-01-03T20:28:35-08:00", "Finished", _SALES, True,
)  # fmt: skip
FINISHED_NO_REPLY_5 = _record(
    _PARTNER, SMALL_IDS[5], "1762495205811686052", _MAYA,
    "2026-06-16T14:20:41.020334Z", "FinishedNoReply", _SUCCESS, False,
)  # fmt: skip
PAUSED_5 = _record(
    _COLD_CALL, SMALL_IDS[5], "1735619966102270360", _DANIEL,
    "2025-07-24T18:47:43+09:00", "Paused", _SALES, False,
)  # fmt: skip

# Every instance of each prospect, finished ones included, in the dataset's order.
SMALL_INSTANCES: dict[str, list[dict[str, Any]]] = {
    SMALL_IDS[0]: [PENDING_0],
    SMALL_IDS[1]: [],
    SMALL_IDS[2]: [FINISHED_RESPONSE_2, RUNNING_2],
    SMALL_IDS[3]: [FINISHED_3],
    SMALL_IDS[4]: [],
    SMALL_IDS[5]: [FINISHED_NO_REPLY_5, PAUSED_5],
}
# What crmProspectsIds = SMALL_IDS answers: the open instances, prospect by prospect.
SMALL_OPEN = [PENDING_0, RUNNING_2, PAUSED_5]
SMALL_FINISHED = [FINISHED_RESPONSE_2, FINISHED_3, FINISHED_NO_REPLY_5]
