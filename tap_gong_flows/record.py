"""What a record is everywhere in the tap: one JSON object, as Gong sent it or as built here."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
