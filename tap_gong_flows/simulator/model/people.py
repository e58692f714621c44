"""The Gong users of the simulated company: the flow instance owners first, then colleagues.

The roster depends only on its size, never on the dataset seed: user ``i`` is the same
person in every dataset, and the first users are exactly the owners named by the flow
instances (:data:`~.catalog.OWNERS`), so adding users never changes prospect data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tap_gong_flows.simulator.model.catalog import (
    CUSTOMER_SUCCESS_WORKSPACE_ID,
    OWNERS,
    SALES_WORKSPACE_ID,
)
from tap_gong_flows.simulator.model.hashing import digest, pick
from tap_gong_flows.simulator.model.ids import numeric_id, parse_numeric_id
from tap_gong_flows.simulator.model.record import Record
from tap_gong_flows.simulator.model.timestamps import instant_between, render_drawn_instant

DEFAULT_USER_COUNT = 8
MAX_USER_COUNT = 5000
USER_ID_NAMESPACE = "2345"
# People who assign prospects to flows; the rest of the roster owns no flow instances.
INSTANCE_OWNER_COUNT = len(OWNERS)

_SALES = SALES_WORKSPACE_ID
_SUCCESS = CUSTOMER_SUCCESS_WORKSPACE_ID
# Title and home workspace of each catalog owner, in OWNERS order.
_OWNER_PROFILES: tuple[tuple[str, str], ...] = (
    ("Director of Sales Development", _SALES),
    ("Enterprise Account Executive", _SALES),
    ("Sales Development Representative", _SALES),
    ("Sales Development Representative", _SALES),
    ("Customer Success Manager", _SUCCESS),
    ("Account Executive", _SALES),
)
# 12 and 11 names: with gcd(12 + 1, 11) == 1, the pairing below repeats no full name
# before 132 colleagues; past that, emails get a numeric suffix to stay unique.
_FIRST_NAMES = (
    "Sofia", "Kwame", "Elena", "Hiroshi", "Amara", "Lucas",
    "Noor", "Mateo", "Ingrid", "Ravi", "Chloe", "Tariq",
)  # fmt: skip
_LAST_NAMES = (
    "Fernandes", "Mensah", "Petrova", "Tanaka", "Adeyemi", "Moreau",
    "Haddad", "Alvarez", "Berg", "Iyer", "Walsh",
)  # fmt: skip
_COLLEAGUE_PROFILES: tuple[tuple[str, str], ...] = (
    ("Sales Operations Manager", _SALES),
    ("Renewals Specialist", _SUCCESS),
    ("Business Development Representative", _SALES),
    ("Solutions Consultant", _SALES),
    ("Customer Success Manager", _SUCCESS),
    ("Account Executive", _SALES),
)
_EMAIL_DOMAIN = "example.com"
_ALIAS_DOMAIN = "mail.example.com"
_CREATED_FROM = datetime(2021, 3, 1, tzinfo=UTC)
_CREATED_UNTIL = datetime(2023, 6, 30, tzinfo=UTC)
_SECOND_LANGUAGES = ("es-ES", "fr-FR", "de-DE", "pt-BR")
_TOKEN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# A user reports to the user whose index is (own index - 1) // 4: a tree rooted at user 0.
_TEAM_SIZE = 4


@dataclass(frozen=True)
class User:
    """One Gong user; ``workspace_id`` is the workspace of their personal flows and tasks."""

    index: int
    user_id: str
    email: str
    first_name: str
    last_name: str
    title: str
    workspace_id: str
    active: bool
    created: datetime

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def manager_index(self) -> int | None:
        return None if self.index == 0 else (self.index - 1) // _TEAM_SIZE

    @property
    def email_aliases(self) -> tuple[str, ...]:
        # Every third user has a second address; it shares the (unique) local part.
        if self.index % 3 != 1:
            return ()
        return (self.email.split("@")[0] + "@" + _ALIAS_DOMAIN,)


def make_user(index: int) -> User:
    """User ``index`` of any roster big enough to hold it (outsiders included)."""
    if index < 0:
        raise ValueError(f"user index out of range: {index}")
    source = digest("user", index)
    created = instant_between(_CREATED_FROM, _CREATED_UNTIL, source, 0)
    if index < INSTANCE_OWNER_COUNT:
        owner = OWNERS[index]
        first, last = owner.full_name.split(" ", 1)
        title, workspace_id = _OWNER_PROFILES[index]
        return User(
            index, _user_id(index), owner.email, first, last, title, workspace_id, True, created
        )
    colleague = index - INSTANCE_OWNER_COUNT
    first = _FIRST_NAMES[colleague % len(_FIRST_NAMES)]
    last = _LAST_NAMES[(colleague + colleague // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
    round_number = colleague // (len(_FIRST_NAMES) * len(_LAST_NAMES))
    suffix = "" if round_number == 0 else str(round_number + 1)
    email = f"{first}.{last}{suffix}@{_EMAIL_DOMAIN}".lower()
    title, workspace_id = pick(_COLLEAGUE_PROFILES, colleague)
    # One colleague in four has left the company but keeps their Gong history.
    active = colleague % 4 != 1
    return User(index, _user_id(index), email, first, last, title, workspace_id, active, created)


def build_users(count: int) -> tuple[User, ...]:
    """The roster of ``count`` users, in index order."""
    if not 1 <= count <= MAX_USER_COUNT:
        raise ValueError(f"user_count must be within [1, {MAX_USER_COUNT}]: {count}")
    return tuple(make_user(index) for index in range(count))


def user_index_of_id(user_id: str) -> int | None:
    """The roster index a user ID encodes, or ``None`` for anything else."""
    return parse_numeric_id(USER_ID_NAMESPACE, user_id)


def _user_id(index: int) -> str:
    return numeric_id(USER_ID_NAMESPACE, index)


def user_record(user: User) -> Record:
    """The user as ``GET /v2/users`` describes it (the manager is always in the roster)."""
    source = digest("user-profile", user.index)
    local_part = user.email.split("@")[0]
    token = "".join(pick(tuple(_TOKEN_ALPHABET), byte) for byte in source[:22])
    record: Record = {
        "id": user.user_id,
        "emailAddress": user.email,
        "created": render_drawn_instant(user.created, source),
        "active": user.active,
        "emailAliases": list(user.email_aliases),
        "trustedEmailAddress": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "title": user.title,
        # 555-01xx numbers are reserved for fiction.
        "phoneNumber": f"+1 415-555-01{user.index % 100:02d}",
        "extension": str(100 + user.index % 900),
        "personalMeetingUrls": [
            f"https://zoom.us/j/{int.from_bytes(source[:5], 'big') % 10**10:010d}"
        ],
        "settings": {
            "webConferencesRecorded": True,
            "preventWebConferenceRecording": False,
            "telephonyCallsImported": source[22] % 2 == 0,
            "emailsImported": True,
            "preventEmailImport": False,
            "nonRecordedMeetingsImported": source[23] % 3 != 0,
            "gongConnectEnabled": source[24] % 2 == 1,
        },
    }
    if user.manager_index is not None:
        record["managerId"] = _user_id(user.manager_index)
    record["meetingConsentPageUrl"] = f"https://join.gong.io/example/{local_part}?tkn={token}"
    providers = [{"provider": "zoom", "isDefault": True}]
    if source[25] % 2:
        providers.append({"provider": "microsoft-teams", "isDefault": False})
    record["conferencingProviders"] = providers
    languages = [{"language": "en-US", "primary": True}]
    if source[26] % 3 == 0:
        languages.append({"language": pick(_SECOND_LANGUAGES, source[27]), "primary": False})
    record["spokenLanguages"] = languages
    return record
