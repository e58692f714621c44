"""What every source of prospect IDs is, and the simplest one: the IDs in the config."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol


class ProspectIdSource(Protocol):
    """Anything that yields raw CRM prospect IDs."""

    @property
    def name(self) -> str: ...

    @property
    def item_label(self) -> str:
        """What one position of this source is called in messages: item, line, row."""
        ...

    def __iter__(self) -> Iterator[str]: ...

    def size_hint(self) -> int | None:
        """About how many IDs this source holds (before de-duplication), if cheap to know."""
        ...


@dataclass(frozen=True)
class ConfigIds:
    """IDs listed in the ``crm_prospect_ids`` setting."""

    ids: Sequence[str]
    name: str = "crm_prospect_ids"
    item_label: str = "item"

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def size_hint(self) -> int:
        return len(self.ids)
