"""The account of the Engage tests (``GongDataset(400, seed=7)``, eight users) written out by
hand: its users, the flows and folders two of them see, one flow's steps and one user's tasks.
The simulator's Engage tests check its answers against these, not against its own functions.

Read and checked by hand: Maya (no manager) manages Daniel, Priya, Tomasz and Hannah; Daniel
manages Jamal, Sofia and Kwame, who alone is inactive. The ten Company flows are seen by both
Maya and Sofia; the two Shared flows (in the Shared folder "SDR Team Plays") by Maya, one of
the six flow instance owners, not by Sofia; each sees one Personal flow of their own (Maya's
in "Maya's flows"). Maya's Success-workspace flows and folders are the Customer Success
subtree's. Maya's tasks are ten flow tasks on flows she sees and three manual ones.
"""

from __future__ import annotations

from typing import Any

# (id, email, manager's id or None, active, aliases), in the order GET /v2/users pages.
USERS_WRITTEN_OUT = [
    ("2345141088277605505", "maya.okafor@example.com", None, True, []),
    ("2345872335880511348", "daniel.reyes@example.com", "2345141088277605505", True,
     ["daniel.reyes@mail.example.com"]),
    ("2345603583483417191", "priya.raman@example.com", "2345141088277605505", True, []),
    ("2345334831086323034", "tomasz.nowak@example.com", "2345141088277605505", True, []),
    ("2345066078689228877", "hannah.lindqvist@example.com", "2345141088277605505", True,
     ["hannah.lindqvist@mail.example.com"]),
    ("2345797326292134720", "jamal.carter@example.com", "2345872335880511348", True, []),
    ("2345528573895040563", "sofia.fernandes@example.com", "2345872335880511348", True, []),
    ("2345259821497946406", "kwame.mensah@example.com", "2345872335880511348", False,
     ["kwame.mensah@mail.example.com"]),
]  # fmt: skip
USER_IDS = [user[0] for user in USERS_WRITTEN_OUT]

_COMPANY_FLOWS = [
    ("7312004518839271045", "Company", "7311029540309760362"),
    ("7312004518839271377", "Company", "7311029540309760362"),
    ("7312004518840012283", "Company", "7311760787912666205"),
    ("7312004521107745106", "Company", "7311760787912666205"),
    ("7312004521107748820", "Company", "7311492035515572048"),
    ("7312004526630019511", "Company", "7311760787912666205"),
    ("7312004533918847202", "Company", "7311954530721383734"),
    ("7312004533918850064", "Company", "7311954530721383734"),
    ("7312004540271136629", "Company", "7311685778324289577"),
]
_PARTNER_REFERRAL = ("7312004551108863417", "Company", "7311223283118477891")
COMPANY_FLOW_IDS = [flow[0] for flow in (*_COMPANY_FLOWS, _PARTNER_REFERRAL)]

# (id, visibility, folderId) of GET /v2/flows?flowOwnerEmail=..., in its order.
MAYA_FLOWS = [
    *_COMPANY_FLOWS,
    ("7312004547714402738", "Shared", "7311423052997438819"),
    ("7312004547714409953", "Shared", "7311423052997438819"),
    _PARTNER_REFERRAL,
    ("7319671481920594751", "Personal", "7311545895612697519"),
]
SOFIA_FLOWS = [
    *_COMPANY_FLOWS,
    _PARTNER_REFERRAL,
    ("7319221424390334983", "Personal", "7311933381230132577"),
]
MAYA_SUCCESS_FLOW_IDS = [
    "7312004533918847202",
    "7312004533918850064",
    "7312004540271136629",
    "7312004551108863417",
]
# Ten Company, two Shared and nine Personal flows (none to three a user); eight Company
# folders, one Shared and a Personal one for each user.
ALL_FLOW_COUNT = 21
ALL_FOLDER_COUNT = 17

# (id, visibility, parent folder's id or None, name) of Maya's GET /v2/flows/folders.
MAYA_FOLDERS = [
    ("7311298292706854519", "Company", None, "Sales Development"),
    ("7311029540309760362", "Company", "7311298292706854519", "Outbound Prospecting"),
    ("7311760787912666205", "Company", "7311298292706854519", "Inbound & Events"),
    ("7311492035515572048", "Company", "7311298292706854519", "Win-back"),
    ("7311223283118477891", "Company", None, "Customer Success"),
    ("7311954530721383734", "Company", "7311223283118477891", "Onboarding & Growth"),
    ("7311685778324289577", "Company", "7311223283118477891", "Renewals"),
    ("7311417025927195420", "Company", None, "Archive"),
    ("7311423052997438819", "Shared", None, "SDR Team Plays"),
    ("7311545895612697519", "Personal", None, "Maya's flows"),
]
MAYA_SUCCESS_FOLDER_IDS = ["7311223283118477891", "7311954530721383734", "7311685778324289577"]

# POST /v2/flows/steps for the first flow: its two steps, as written.
FIRST_FLOW_ID = "7312004518839271045"
FIRST_FLOW_DESCRIPTION = "Cold outreach to enterprise accounts in the ideal customer profile."
FIRST_FLOW_STEPS = [
    {
        "id": "7314688238662007106",
        "stepOrder": 1,
        "action": "SEND_EMAIL",
        "subject": "Is this on your radar for next quarter?",
        "body": (
            "Hi {{first_name}}, sharing a two-page summary of what similar teams changed in"
            " their first ninety days. Happy to talk it through."
        ),
        "isReply": False,
    },
    {
        "id": "7314419486264912949",
        "stepOrder": 2,
        "action": "CALL",
        "subject": "Call to book a discovery meeting",
        "body": (
            "Open with the recap email; ask who owns pipeline reviews; offer two meeting slots."
        ),
        "isReply": False,
    },
]

# (id, status, type, contact's CRM ID, flow's id or None) of Maya's POST /v2/tasks.
MAYA_TASKS = [
    (1236007522578580028, "DONE", "FLOW", "0035g000000000MKFL", 7312004551108863417),
    (1236588751004732615, "OPEN", "FLOW", "0035g000000000ON5P", 7312004547714409953),
    (1236732359576177352, "DISMISSED", "FLOW", "0035g000000000dAEP", 7312004518840012283),
    (1236738386646420751, "OPEN", "FLOW", "0035g0000000010MFH", 7312004521107748820),
    (1236782110278385024, "OPEN", "FLOW", "0035g000000001335F", 7312004518839271045),
    (1236337696283303535, "OPEN", "FLOW", "0035g000000002AL5T", 7312004518839271045),
    (1236955087130916516, "DISMISSED", "FLOW", "0035g000000004S1OG", 7312004518840012283),
    (1236654281707279764, "DONE", "FLOW", "0035g000000005oBOL", 7312004521107745106),
    (1236785452603172583, "DONE", "FLOW", "0035g000000005wJCP", 7312004533918850064),
    (1236885337542653047, "OPEN", "FLOW", "0035g0000000068WQQ", 7312004518840012283),
    (1237454382174583373, "OPEN", "MANUAL", "0035g000000005BTWH", None),
    (1237185629777489216, "OPEN", "MANUAL", "0035g000000002BK5U", None),
    (1237916877380395059, "DISMISSED", "MANUAL", "0035g000000005FMJC", None),
]
MAYA_SUCCESS_TASK_IDS = [1236007522578580028, 1236785452603172583]
# How many tasks each user has (all statuses and types), in the users' order.
TASK_COUNTS = [13, 9, 15, 19, 18, 11, 2, 0]

# PublicApiAssignedFlow.flowInstanceStatus in Gong's spec; the README calls the first three open.
OPEN_STATUS_NAMES = frozenset({"Pending", "Running", "Paused"})
FINISHED_STATUS_NAMES = frozenset({"FinishedNoReply", "FinishedResponse", "Finished"})


def user_summary(user: dict[str, Any]) -> tuple[str, str, str | None, bool, list[str]]:
    """A user as USERS_WRITTEN_OUT lists it."""
    return (
        user["id"],
        user["emailAddress"],
        user.get("managerId"),
        user["active"],
        user["emailAliases"],
    )


def flow_summary(flow: dict[str, Any]) -> tuple[str, str, str]:
    return (flow["id"], flow["visibility"], flow["folderId"])


def folder_summary(folder: dict[str, Any]) -> tuple[str, str, str | None, str]:
    return (folder["id"], folder["visibility"], folder.get("folderId"), folder["name"])


def task_summary(task: dict[str, Any]) -> tuple[int, str, str, str, int | None]:
    flow_id = task["flow"]["id"] if "flow" in task else None
    return (task["id"], task["status"], task["type"], task["contact"]["crmId"], flow_id)
