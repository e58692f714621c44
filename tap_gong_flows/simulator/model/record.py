"""What the simulator answers with: JSON objects."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
