"""The mutation check's breakages still apply to the code as it is now.

A breakage whose text the code no longer holds would stop the check halfway; this finds
it in the fast suite, the day the code changes, rather than the day someone runs the check.
"""

from __future__ import annotations

import pytest

from tools.mutation_breakages import BREAKAGES, Breakage

from .support import REPO_ROOT


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.name)
def test_each_breakage_finds_its_text_once_and_names_tests_that_exist(breakage: Breakage) -> None:
    text = (REPO_ROOT / breakage.path).read_text(encoding="utf-8")
    for old, new in breakage.edits:
        assert text.count(old) == 1, old
        assert new != old
        text = text.replace(old, new)
    for test in breakage.tests:
        path, _, name = test.partition("::")
        source = (REPO_ROOT / path).read_text(encoding="utf-8")
        assert not name or f"def {name}(" in source, test
