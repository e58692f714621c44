"""The fixed cast of the simulated Gong account: its Engage flows and the users who own tasks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flow:
    """An Engage flow as the prospects endpoint describes it."""

    flow_id: str
    name: str
    workspace_id: str
    exclusive: bool


@dataclass(frozen=True)
class Owner:
    """A Gong user who owns the tasks of a flow instance."""

    email: str
    full_name: str


# Flow instance statuses: queries by CRM ID return only the open ones.
OPEN_STATUSES: tuple[str, ...] = ("Pending", "Running", "Paused")
FINISHED_STATUSES: tuple[str, ...] = ("FinishedNoReply", "FinishedResponse", "Finished")

SALES_WORKSPACE_ID = "5038816629417705312"
CUSTOMER_SUCCESS_WORKSPACE_ID = "5038816629417709948"

# Real flow names often use a typographic dash; keeping it exercises non-ASCII handling.
_DASH = "\N{EN DASH}"
_SALES = SALES_WORKSPACE_ID
_SUCCESS = CUSTOMER_SUCCESS_WORKSPACE_ID

FLOWS: tuple[Flow, ...] = (
    Flow("7312004518839271045", f"SDR Outbound {_DASH} Enterprise", _SALES, True),
    Flow("7312004518839271377", f"SDR Outbound {_DASH} Mid-Market", _SALES, True),
    Flow("7312004518840012283", "Inbound Demo Request Follow-up", _SALES, True),
    Flow("7312004521107745106", "Webinar Attendee Nurture", _SALES, False),
    Flow("7312004521107748820", "Closed-Lost Re-engagement", _SALES, False),
    Flow("7312004526630019511", f"Event Follow-up {_DASH} Field Marketing", _SALES, False),
    Flow("7312004533918847202", "Free Trial Activation", _SUCCESS, False),
    Flow("7312004533918850064", f"Customer Expansion {_DASH} Upsell", _SUCCESS, False),
    Flow("7312004540271136629", f"Renewal Outreach {_DASH} 90 Days Out", _SUCCESS, True),
    Flow("7312004547714402738", "Champion Job Change", _SALES, False),
    Flow("7312004547714409953", f"Cold Call Blitz {_DASH} Q3", _SALES, False),
    Flow("7312004551108863417", "Partner Referral Introduction", _SUCCESS, False),
)

OWNERS: tuple[Owner, ...] = (
    Owner("maya.okafor@example.com", "Maya Okafor"),
    Owner("daniel.reyes@example.com", "Daniel Reyes"),
    Owner("priya.raman@example.com", "Priya Raman"),
    Owner("tomasz.nowak@example.com", "Tomasz Nowak"),
    Owner("hannah.lindqvist@example.com", "Hannah Lindqvist"),
    Owner("jamal.carter@example.com", "Jamal Carter"),
)
