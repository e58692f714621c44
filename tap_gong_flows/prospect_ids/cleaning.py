"""One raw prospect ID made clean, or the reason it cannot be a CRM ID."""

from __future__ import annotations

import re

_QUOTE_PAIRS = {('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019")}
_INVISIBLE = "\ufeff\u200b"
MAX_ID_LENGTH = 255
_PLAIN_ID = re.compile(f"[!-~]{{1,{MAX_ID_LENGTH}}}")  # printable ASCII without spaces


def normalize_prospect_id(raw: str) -> str | None:
    """The clean form of one raw ID, ``None`` for a blank one.

    Trims whitespace (zero-width and byte-order marks too) and one pair of surrounding
    quotes, straight or typographic. Raises ``ValueError`` with the reason for a value
    that cannot be a CRM ID: whitespace or control characters inside (two IDs on one
    line?), non-ASCII characters (a file read in the wrong encoding?), or a huge length.
    """
    value = raw.strip()
    # Nearly every ID is already clean: printable ASCII, no quotes around it. One regular
    # expression says so; the full checks run only for the others.
    if _PLAIN_ID.fullmatch(value) and not (value[0] == value[-1] and value[0] in "\"'"):
        return value
    return _normalize_unusual(value)


def _normalize_unusual(raw: str) -> str | None:
    """:func:`normalize_prospect_id` for any value, without the shortcut for clean ones."""
    value = raw.strip().strip(_INVISIBLE).strip()
    if len(value) >= 2 and (value[0], value[-1]) in _QUOTE_PAIRS:
        value = value[1:-1].strip()
    if not value:
        return None
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"is {len(value):,} characters long; CRM IDs are short")
    if not value.isascii():
        odd = next(c for c in value if not c.isascii())
        raise ValueError(
            f"{value!r} has the non-ASCII character {odd!r}; CRM IDs are ASCII "
            f"(is the file in another encoding than UTF-8?)"
        )
    # ASCII by now: the only whitespace isprintable() lets through is the plain space.
    if " " in value or not value.isprintable():
        raise ValueError(f"{value!r} has whitespace or control characters inside; one ID each")
    return value
