"""Deterministic pseudo-randomness: every simulated value is read from a hash of its key."""

from __future__ import annotations

import hashlib
from typing import TypeVar

T = TypeVar("T")


def digest(*parts: object) -> bytes:
    """32 bytes that depend only on ``parts``; the source of every simulated draw."""
    text = ":".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode("ascii"), digest_size=32).digest()


def unit(source: bytes, offset: int) -> float:
    """A number in [0, 1) read from four bytes of ``source``."""
    return int.from_bytes(source[offset : offset + 4], "big") / 2**32


def pick(options: tuple[T, ...], draw: int) -> T:
    """One of ``options``, chosen by a byte (or any integer) of a digest."""
    return options[draw % len(options)]
