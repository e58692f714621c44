"""The README names the test that proves each promise: every such name must exist."""

from __future__ import annotations

import re

from .support import REPO_ROOT

# `test_x.py::test_name` or `package/test_x.py::test_name`, relative to tests/.
_NAMED_TEST = re.compile(r"`((?:\w+/)*test_\w+\.py)::(test_\w+)`")


def test_every_test_the_readme_names_exists() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    named = _NAMED_TEST.findall(readme)
    assert len(named) >= 15, "the error table alone names more tests than that"
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (REPO_ROOT / "tests" / path).is_file()
        or f"def {name}(" not in (REPO_ROOT / "tests" / path).read_text(encoding="utf-8")
    ]
    assert missing == []
