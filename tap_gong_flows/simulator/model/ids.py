"""Reversible identifiers: CRM IDs, flow instance IDs and Gong's other numeric IDs.

Each ID encodes the position of the thing it names (plus, for CRM and instance IDs, a
short hash checksum), so the dataset can resolve IDs back to their data without keeping
an index in memory, and two things never share an ID.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_VALUES = {char: value for value, char in enumerate(_BASE62)}

# '003' is Salesforce's key prefix for Contact records; '5g' stands in for the pod and
# the trailing '0' for the reserved character, so IDs look like the real thing. '001'
# and '006' are the prefixes of Account and Opportunity records.
_PROSPECT_PREFIX = "0035g0"
_ACCOUNT_PREFIX = "0015g0"
_OPPORTUNITY_PREFIX = "0065g0"
_PROSPECT_COUNTER_WIDTH = 9
# Salesforce's 18-character IDs end in three characters drawn from this alphabet.
_PROSPECT_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
PROSPECT_ID_LENGTH = len(_PROSPECT_PREFIX) + _PROSPECT_COUNTER_WIDTH + 3
PROSPECT_INDEX_LIMIT = 62**_PROSPECT_COUNTER_WIDTH

# Flow instance IDs: 19 digits = '17' + 15 scrambled digits + 2 check digits.
_INSTANCE_PREFIX = "17"
_INSTANCE_BODY_MODULUS = 10**15
# Multiplying by a number coprime with 10**15 is a bijection modulo 10**15: it makes
# neighbouring instances get unrelated-looking IDs while staying exactly reversible.
_INSTANCE_SCRAMBLER = 731_247_602_905_843
_INSTANCE_UNSCRAMBLER = pow(_INSTANCE_SCRAMBLER, -1, _INSTANCE_BODY_MODULUS)
INSTANCE_SLOTS_PER_PROSPECT = 4
INSTANCE_ID_LENGTH = len(_INSTANCE_PREFIX) + 15 + 2
MAX_INSTANCE_PROSPECT_INDEX = _INSTANCE_BODY_MODULUS // INSTANCE_SLOTS_PER_PROSPECT - 1


def _checksum_bytes(text: str, size: int) -> bytes:
    return hashlib.blake2b(text.encode("ascii"), digest_size=size).digest()


def _prospect_suffix(body: str) -> str:
    alphabet = _PROSPECT_SUFFIX_ALPHABET
    return "".join(alphabet[byte % len(alphabet)] for byte in _checksum_bytes(body, 3))


def _to_base62(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, remainder = divmod(value, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits))


def _salesforce_id(prefix: str, index: int, kind: str) -> str:
    if not 0 <= index < PROSPECT_INDEX_LIMIT:
        raise ValueError(f"{kind} index out of range: {index}")
    body = prefix + _to_base62(index, _PROSPECT_COUNTER_WIDTH)
    return body + _prospect_suffix(body)


def prospect_id(index: int) -> str:
    """Return the 18-character CRM ID of the prospect at ``index`` (0-based)."""
    return _salesforce_id(_PROSPECT_PREFIX, index, "prospect")


def crm_account_id(index: int) -> str:
    """Return the 18-character CRM ID of the account (company) at ``index``."""
    return _salesforce_id(_ACCOUNT_PREFIX, index, "account")


def crm_opportunity_id(index: int) -> str:
    """Return the 18-character CRM ID of the opportunity at ``index``."""
    return _salesforce_id(_OPPORTUNITY_PREFIX, index, "opportunity")


@lru_cache(maxsize=1 << 17)
def parse_prospect_index(crm_id: str) -> int | None:
    """Decode a CRM ID made by :func:`prospect_id`; ``None`` for anything else.

    Cached: checking the suffix is a hash, and a sync asks about the same IDs again.
    """
    if len(crm_id) != PROSPECT_ID_LENGTH or not crm_id.startswith(_PROSPECT_PREFIX):
        return None
    body, suffix = crm_id[:-3], crm_id[-3:]
    index = 0
    for char in body[len(_PROSPECT_PREFIX) :]:
        value = _BASE62_VALUES.get(char)
        if value is None:
            return None
        index = index * 62 + value
    if _prospect_suffix(body) != suffix:
        return None
    return index


def _instance_check_digits(body: str) -> str:
    return f"{int.from_bytes(_checksum_bytes(body, 4), 'big') % 100:02d}"


def flow_instance_id(prospect_index: int, slot: int) -> str:
    """Return the ID of the ``slot``-th flow instance of the prospect at ``prospect_index``."""
    if not 0 <= slot < INSTANCE_SLOTS_PER_PROSPECT:
        raise ValueError(f"flow instance slot out of range: {slot}")
    if not 0 <= prospect_index <= MAX_INSTANCE_PROSPECT_INDEX:
        raise ValueError(f"prospect index out of range: {prospect_index}")
    position = prospect_index * INSTANCE_SLOTS_PER_PROSPECT + slot
    scrambled = position * _INSTANCE_SCRAMBLER % _INSTANCE_BODY_MODULUS
    body = f"{_INSTANCE_PREFIX}{scrambled:015d}"
    return body + _instance_check_digits(body)


def parse_flow_instance_id(instance_id: str) -> tuple[int, int] | None:
    """Decode an ID made by :func:`flow_instance_id` into ``(prospect_index, slot)``."""
    if (
        len(instance_id) != INSTANCE_ID_LENGTH
        or not instance_id.isascii()
        or not instance_id.isdigit()
        or not instance_id.startswith(_INSTANCE_PREFIX)
    ):
        return None
    body, check = instance_id[:-2], instance_id[-2:]
    if _instance_check_digits(body) != check:
        return None
    scrambled = int(body[len(_INSTANCE_PREFIX) :])
    position = scrambled * _INSTANCE_UNSCRAMBLER % _INSTANCE_BODY_MODULUS
    return divmod(position, INSTANCE_SLOTS_PER_PROSPECT)


# Gong's other IDs (users, folders, flows, steps, tasks) are 19 digits: a 4-digit
# namespace naming the kind of thing, then the scrambled position. All stay below 2**63,
# because the tasks endpoint sends some of them as JSON integers.
_NAMESPACE_WIDTH = 4
NUMERIC_ID_LENGTH = _NAMESPACE_WIDTH + 15


def numeric_id(namespace: str, position: int) -> str:
    """The 19-digit ID of the ``position``-th thing of a kind; distinct for distinct input."""
    if len(namespace) != _NAMESPACE_WIDTH or not namespace.isdigit() or namespace[0] in "09":
        raise ValueError(f"namespace must be 4 digits starting with 1-8: {namespace!r}")
    if not 0 <= position < _INSTANCE_BODY_MODULUS:
        raise ValueError(f"position out of range: {position}")
    shifted = position + _namespace_shift(namespace)
    return f"{namespace}{shifted * _INSTANCE_SCRAMBLER % _INSTANCE_BODY_MODULUS:015d}"


def _namespace_shift(namespace: str) -> int:
    # Without a shift, position 0 of every kind would end in fifteen zeros.
    return int(namespace) * 1_000_003 % _INSTANCE_BODY_MODULUS


def parse_numeric_id(namespace: str, numeric: str) -> int | None:
    """The position encoded by :func:`numeric_id`, or ``None`` if ``numeric`` is not one."""
    if (
        len(numeric) != NUMERIC_ID_LENGTH
        or not numeric.isascii()
        or not numeric.isdigit()
        or not numeric.startswith(namespace)
    ):
        return None
    shifted = int(numeric[_NAMESPACE_WIDTH:]) * _INSTANCE_UNSCRAMBLER % _INSTANCE_BODY_MODULUS
    return (shifted - _namespace_shift(namespace)) % _INSTANCE_BODY_MODULUS
