"""Instants of the simulated account and the ISO-8601 shapes Gong renders them in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tap_gong_flows.simulator.model.hashing import unit

# The simulated account's "today": fixed, so the data is reproducible, and in the past,
# so nothing looks created in the future. Records are dated up to this instant.
DATA_AS_OF = datetime(2026, 6, 30, 10, tzinfo=UTC)

_UTC_OFFSETS = (
    timedelta(hours=-8),
    timedelta(hours=-5),
    timedelta(hours=-3),
    timedelta(0),
    timedelta(hours=1),
    timedelta(hours=5, minutes=30),
    timedelta(hours=9),
)


def render_instant(instant: datetime, shape_draw: int, offset_draw: int) -> str:
    """Render ``instant`` in one of the ISO-8601 shapes Gong is documented to use.

    ``shape_draw`` picks seconds or milliseconds with a UTC offset, or microseconds in
    UTC with a ``Z``; ``offset_draw`` picks the offset.
    """
    shape = shape_draw % 3
    if shape == 2:
        utc = instant.astimezone(UTC)
        return utc.isoformat(timespec="microseconds").replace("+00:00", "Z")
    local = instant.astimezone(timezone(_UTC_OFFSETS[offset_draw % len(_UTC_OFFSETS)]))
    return local.isoformat(timespec="seconds" if shape == 0 else "milliseconds")


def instant_between(start: datetime, end: datetime, source: bytes, offset: int) -> datetime:
    """An instant in ``[start, end]`` drawn from ``source`` (4 bytes at ``offset``, then 3
    more for the microseconds)."""
    span = max(0, int((end - start).total_seconds()))
    micros = int.from_bytes(source[offset + 4 : offset + 7], "big") % 1_000_000
    instant = start + timedelta(seconds=int(unit(source, offset) * span), microseconds=micros)
    return min(instant, end)


def render_drawn_instant(instant: datetime, source: bytes) -> str:
    """Render ``instant`` in a shape drawn from the last two bytes of ``source``."""
    return render_instant(instant, source[-1], source[-2])
