"""Meltano's ``select`` rules, read at stream level for ``meltano invoke tap-gong-flows --test``.

Meltano builds the catalog (discovery, then the select rules) only for a sync: invoked with
arguments, the tap gets no catalog, or the one the last sync left behind. It does hand the
rules over in ``MELTANO_EXTRACT__SELECT``, so the preflight checks the streams that
``meltano select`` chose, and the ``--exclude`` lines it suggests take effect at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

SELECT_VARIABLE = "MELTANO_EXTRACT__SELECT"


def meltano_select_rules(environ: Mapping[str, str]) -> list[str] | None:
    """The rules Meltano passed, or None when the tap does not run under Meltano."""
    raw = environ.get(SELECT_VARIABLE)
    if not raw:
        return None
    try:
        rules = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
        return None
    return rules


def selected_streams(rules: Sequence[str], streams: Sequence[str]) -> list[str]:
    """The streams that ``rules`` select, the way Meltano reads them: ``stream.property``
    with shell wildcards; ``!`` excludes, and excludes a stream only for every property."""
    selected = []
    for stream in streams:
        included = excluded = False
        for rule in rules:
            negated = rule.startswith("!")
            stream_part, _, property_part = rule.removeprefix("!").partition(".")
            if not fnmatchcase(stream, stream_part):
                continue
            if not negated:
                included = True
            elif property_part in ("", "*"):
                excluded = True
        if included and not excluded:
            selected.append(stream)
    return selected
