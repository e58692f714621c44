"""What the CRM knows about a prospect: name, company, contact details, open opportunity.

Consecutive prospects are grouped into accounts (companies) of
:data:`PROSPECTS_PER_ACCOUNT`, so a task can name a prospect's colleagues as additional
contacts. Everything derives from ``(seed, index)``, like the flow instances.
"""

from __future__ import annotations

from tap_gong_flows.simulator.model.hashing import digest, pick
from tap_gong_flows.simulator.model.ids import crm_account_id, crm_opportunity_id, prospect_id
from tap_gong_flows.simulator.model.record import Record

PROSPECTS_PER_ACCOUNT = 4
CRM_TYPE = "SALESFORCE"
_CRM_URL = "https://example.my.salesforce.com/"

_FIRST_NAMES = (
    "Olivia", "Ethan", "Aisha", "Marco", "Yuki", "Grace", "Omar", "Lena",
    "Samuel", "Freya", "Diego", "Mei", "Jonas", "Zara", "Felix", "Nadia",
)  # fmt: skip
_LAST_NAMES = (
    "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer", "Gallagher", "Hoang",
    "Jansen", "Kowalski", "Lopez", "Murphy", "Novak", "Okoye", "Park", "Quinn", "Rossi",
)  # fmt: skip
_TITLES = (
    "VP of Sales",
    "Head of Revenue Operations",
    "Sales Enablement Lead",
    "Chief Revenue Officer",
    "Director of Customer Success",
    "IT Procurement Manager",
)
_COMPANY_STEMS = (
    "Northwind", "Bluefin", "Cedar", "Harbor", "Summit", "Quarry",
    "Lumen", "Atlas", "Juniper", "Orchid", "Vantage", "Kestrel",
)  # fmt: skip
_COMPANY_TRADES = (
    "Logistics", "Analytics", "Health", "Robotics", "Foods",
    "Capital", "Software", "Energy", "Labs", "Retail",
)  # fmt: skip
# (city, state, country, zipcode, timezone, country calling code, area code)
_LOCATIONS: tuple[tuple[str, str, str, str, str, int, str], ...] = (
    ("Austin", "Texas", "United States", "78701", "US/Central", 1, "512"),
    ("Denver", "Colorado", "United States", "80202", "US/Mountain", 1, "303"),
    ("Seattle", "Washington", "United States", "98101", "US/Pacific", 1, "206"),
    ("Boston", "Massachusetts", "United States", "02110", "US/Eastern", 1, "617"),
    ("Toronto", "Ontario", "Canada", "M5H 2N2", "America/Toronto", 1, "416"),
    ("London", "England", "United Kingdom", "EC2A 4NE", "Europe/London", 44, "20"),
)
_STAGES = (
    ("Discovery", "10"),
    ("Qualification", "20"),
    ("Proposal", "50"),
    ("Negotiation", "75"),
)
_OPPORTUNITY_SHARE = 0.4
_OPT_OUT_CHOICES: tuple[tuple[str, ...], ...] = ((), (), (), (), (), ("EMAILS",), ("CALLS",))


def account_index(prospect_index: int) -> int:
    return prospect_index // PROSPECTS_PER_ACCOUNT


def colleague_indices(prospect_index: int, prospect_count: int) -> list[int]:
    """The other known prospects of the same account, in index order."""
    first = account_index(prospect_index) * PROSPECTS_PER_ACCOUNT
    last = min(first + PROSPECTS_PER_ACCOUNT, prospect_count)
    return [index for index in range(first, last) if index != prospect_index]


def _company(seed: int, account: int) -> tuple[str, str, tuple[str, str, str, str, str, int, str]]:
    source = digest("account", seed, account)
    stem = pick(_COMPANY_STEMS, source[0])
    trade = pick(_COMPANY_TRADES, source[1])
    name = f"{stem} {trade}"
    domain = f"{stem}{trade}.example".lower()
    return name, domain, pick(_LOCATIONS, source[2])


def account_record(seed: int, account: int) -> Record:
    """The CRM account (company) as a task's ``account`` describes it."""
    crm_id = crm_account_id(account)
    name, _, _ = _company(seed, account)
    return {"crmId": crm_id, "name": name, "crmUrl": _CRM_URL + crm_id}


def opportunity_record(seed: int, account: int) -> Record | None:
    """The account's open opportunity, if it has one (about 40 % do)."""
    source = digest("opportunity", seed, account)
    if source[0] / 256 >= _OPPORTUNITY_SHARE:
        return None
    crm_id = crm_opportunity_id(account)
    name, _, _ = _company(seed, account)
    stage, probability = pick(_STAGES, source[1])
    return {
        "crmId": crm_id,
        "name": f"{name} {chr(0x2013)} New Business",
        "crmUrl": _CRM_URL + crm_id,
        "status": "Open",
        "stage": stage,
        "amount": str(12_000 + 1_000 * (source[2] % 120)),
        "probability": probability,
        "closeDate": f"2026-{7 + source[3] % 6:02d}-{1 + source[4] % 28:02d}",
    }


def contact_record(seed: int, prospect_index: int) -> Record:
    """The prospect as a task's ``contact`` describes it."""
    crm_id = prospect_id(prospect_index)
    source = digest("contact", seed, prospect_index)
    first = pick(_FIRST_NAMES, source[0])
    last = pick(_LAST_NAMES, source[1])
    company, domain, location = _company(seed, account_index(prospect_index))
    city, state, country, zipcode, timezone, calling_code, area = location
    subscriber = f"555{source[2] % 100:04d}"
    local = f"{area}{subscriber}"
    return {
        "crmId": crm_id,
        "type": "CONTACT",
        "data": {
            "firstName": first,
            "lastName": last,
            "crmUrl": _CRM_URL + crm_id,
            "companyName": company,
            "affiliation": "Them",
            "emails": [{"email": f"{first}.{last}@{domain}".lower()}],
            "title": pick(_TITLES, source[3]),
            "timezone": timezone,
            "phoneNumbers": [
                {
                    "raw": f"+{calling_code} {area} {subscriber[:3]} {subscriber[3:]}",
                    "countryCode": calling_code,
                    "normalized": f"+{calling_code}{local}",
                    "label": pick(("work", "mobile"), source[4]),
                    "isVerified": source[5] % 3 != 0,
                }
            ],
            "city": city,
            "country": country,
            "state": state,
            "zipcode": zipcode,
            "optOutChannels": list(pick(_OPT_OUT_CHOICES, source[6])),
            "linkedinProfile": f"https://www.linkedin.com/in/{first}-{last}-{source[7]:02x}".lower(),
        },
    }
