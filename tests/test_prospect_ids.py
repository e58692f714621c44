"""Prospect IDs: cleaning, files, de-duplication and batching."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_gong_flows.iterables import batched
from tap_gong_flows.prospect_ids import (
    ConfigIds,
    IdFileError,
    ProspectIdFile,
    normalize_prospect_id,
    unique_prospect_ids,
)
from tap_gong_flows.prospect_ids.cleaning import _normalize_unusual


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("003A", "003A"),
        ("  003A\t\n", "003A"),
        ('"003A"', "003A"),
        ("'003A'", "003A"),
        ('"003A', '"003A'),  # unbalanced quote: kept, Gong will say whether it exists
        ("   ", None),
        ('""', None),
        ("\u201c003A\u201d", "003A"),  # typographic quotes from a word processor
        ("\ufeff003A\u200b", "003A"),  # byte-order mark, zero-width space
        ("\u00a0003A\u00a0", "003A"),  # no-break spaces
    ],
)
def test_normalize_prospect_id(raw: str, expected: str | None) -> None:
    assert normalize_prospect_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("003A 003B", "whitespace or control characters inside"),
        ("003A\t003B", "whitespace or control characters inside"),
        ("003A\x00", "whitespace or control characters inside"),
        ("Ünïcode-ID", "non-ASCII character 'Ü'"),
        ("003Ã©", "non-ASCII character 'Ã'"),
        ("x" * 300, "300 characters long"),
    ],
)
def test_values_that_cannot_be_crm_ids_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_prospect_id(raw)


def test_bad_line_in_a_file_is_found_before_the_sync_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("# header comment\n003A\n\n003B 003C\n003D\n")
    with pytest.raises(IdFileError, match=r"ids.txt, line 4: '003B 003C' has whitespace"):
        ProspectIdFile(path).check()


def test_huge_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("003A\n" + "x" * 5_000_000 + "\n")
    with pytest.raises(IdFileError, match="line 2 is longer than 4,096 characters"):
        ProspectIdFile(path).check()


def test_file_size_hint_counts_ids_after_check(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("# c\n003A\n\n003B\n003A\n")
    source = ProspectIdFile(path)
    source.check()
    assert source.size_hint() == 3  # before de-duplication


def test_text_file_skips_blanks_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("# exported from Salesforce\n003A\n\n  003B  \r\n  # indented comment\n003C")
    found = [i for i, _source in unique_prospect_ids([ProspectIdFile(path)])]
    assert found == ["003A", "003B", "003C"]


def test_csv_first_column_by_default_and_named_column(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text('\ufeffId,Email\n003A,a@x.io\n"003B",b@x.io\n', encoding="utf-8")
    assert list(ProspectIdFile(path)) == ["003A", "003B"]
    assert list(ProspectIdFile(path, column="Email")) == ["a@x.io", "b@x.io"]


def test_csv_unknown_column_names_the_setting_and_the_header(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("Id,Email\n003A,a@x.io\n")
    with pytest.raises(IdFileError) as caught:
        ProspectIdFile(path, column="ContactId").check()
    assert caught.value.setting == "crm_prospect_ids_column"
    assert "'Id', 'Email'" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"003A\x00\x01\x02", "looks binary"),
        (b"\xff\xfe0\x000\x003\x00", "looks binary"),
        (b"003A\n\xc3\x28\n003B\n", "not UTF-8"),
    ],
)
def test_unusable_files_are_refused_before_the_sync(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes(content)
    with pytest.raises(IdFileError, match=message):
        ProspectIdFile(path).check()


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(IdFileError, match="no such file"):
        ProspectIdFile(tmp_path / "absent.txt").check()
    with pytest.raises(IdFileError, match="not a regular file"):
        ProspectIdFile(tmp_path).check()


def test_unique_ids_across_sources_keep_first_source(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("003B\n003C\n003A\n")
    found = list(unique_prospect_ids([ConfigIds([" 003A", "003B", "003A"]), ProspectIdFile(path)]))
    assert found == [
        ("003A", "crm_prospect_ids"),
        ("003B", "crm_prospect_ids"),
        ("003C", "crm_prospect_ids_file"),
    ]


_ID_CORE = st.text(alphabet=st.sampled_from("ab01"), max_size=4)
_DECORATED_ID = st.builds(
    lambda core, left, quote: f"{left}{quote}{core}{quote}{left[::-1]}",
    _ID_CORE,
    st.sampled_from(["", " ", "\t", "  \t"]),
    st.sampled_from(["", "'", '"']),
)


@given(
    ids=st.lists(_DECORATED_ID, max_size=300),
    size=st.integers(min_value=1, max_value=40),
)
def test_every_id_is_asked_exactly_once_in_order(ids: list[str], size: int) -> None:
    unique = [i for i, _ in unique_prospect_ids([ConfigIds(ids)])]
    batches = list(batched(unique, size))
    flat = [i for batch in batches for i in batch]
    expected: list[str] = []
    for raw in ids:
        clean = normalize_prospect_id(raw)
        if clean is not None and clean not in expected:
            expected.append(clean)
    assert flat == expected
    assert all(1 <= len(batch) <= size for batch in batches)
    assert all(len(batch) == size for batch in batches[:-1])
    assert all(len(set(batch)) == len(batch) for batch in batches)


def _outcome(clean: Callable[[str], str | None], raw: str) -> str | type[ValueError] | None:
    try:
        return clean(raw)
    except ValueError:
        return ValueError


@given(
    raw=st.one_of(
        st.text(max_size=300),
        _DECORATED_ID,
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300),
    )
)
def test_the_shortcut_for_clean_ids_agrees_with_the_full_checks(raw: str) -> None:
    assert _outcome(normalize_prospect_id, raw) == _outcome(_normalize_unusual, raw)


def test_batched_rejects_zero() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(batched(["a"], 0))


def test_file_size_hint_without_check_counts_raw_lines(tmp_path: Path) -> None:
    text = tmp_path / "ids.txt"
    text.write_text("# c\n003A\n\n003B\n003A\n")
    assert ProspectIdFile(text).size_hint() == 3
    table = tmp_path / "ids.csv"
    table.write_text("Id\n003A\n003B\n")
    assert ProspectIdFile(table).size_hint() == 2


_FILE_LINES = st.lists(
    st.one_of(
        _ID_CORE,
        _DECORATED_ID,
        st.sampled_from(["", "   ", "# a comment", "#x", '""', "'", "a b", "é1", "x" * 256]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(lines=_FILE_LINES, ending=st.sampled_from(["\n", "\r\n"]), last_newline=st.booleans())
def test_quick_pass_over_plain_files_agrees_with_the_line_by_line_pass(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], ending: str, last_newline: bool
) -> None:
    text = ending.join(lines) + (ending if last_newline else "")
    if not text.strip():
        return  # an empty file is refused before either pass
    path = tmp_path_factory.mktemp("ids") / "ids.txt"
    path.write_bytes(text.encode("utf-8"))
    source = ProspectIdFile(path)
    quick = source._count_plain_lines()
    try:
        slow_error = None
        slow = sum(1 for raw in source if normalize_prospect_id(raw) is not None)
    except (ValueError, IdFileError) as error:
        slow_error = error
    if quick is not None:
        assert slow_error is None
        assert quick == slow


def test_plain_files_take_the_quick_pass_across_blocks(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    # 1.3 MB: lines straddle the 64 KiB blocks the quick pass reads; no final newline.
    path.write_text("\n".join(f"00Q5g{k:013d}" for k in range(70_000)))
    assert ProspectIdFile(path)._count_plain_lines() == 70_000
    path.write_text("00Q1\n00Q2\n\n00Q3\n")  # a blank line: the line-by-line pass decides
    assert ProspectIdFile(path)._count_plain_lines() is None
