"""Every source's IDs cleaned, each once, in first-seen order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from tap_gong_flows.prospect_ids.cleaning import normalize_prospect_id
from tap_gong_flows.prospect_ids.errors import ProspectSourceError
from tap_gong_flows.prospect_ids.source import ProspectIdSource
from tap_gong_flows.seen_ids import SeenIds

_DEDUPLICATION_CHUNK = 1000  # IDs cleaned and checked against those seen, per step


def unique_prospect_ids(
    sources: Iterable[ProspectIdSource], seen: SeenIds | None = None
) -> Iterator[tuple[str, str]]:
    """Clean IDs from every source, each once, in first-seen order, with the source's name."""
    seen = seen or SeenIds()
    try:
        for source in sources:
            numbered = enumerate(source, 1)
            # A chunk at a time: one membership query per chunk once IDs are on disk.
            while chunk := list(islice(numbered, _DEDUPLICATION_CHUNK)):
                clean = []
                for position, raw in chunk:
                    try:
                        prospect_id = normalize_prospect_id(raw)
                    except ValueError as reason:
                        raise ProspectSourceError(
                            f"{source.item_label} {position}: {reason}", setting=source.name
                        ) from None
                    if prospect_id is not None:
                        clean.append(prospect_id)
                for prospect_id in seen.add_new(clean):
                    yield prospect_id, source.name
    finally:
        seen.close()
