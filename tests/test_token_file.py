"""Unit tests of the OAuth token file: mode 0600, atomic replacement, the exclusive lock,
and clear errors for a file that cannot be used."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tap_gong_flows.token_file import StoredTokens, TokenFile, TokenFileError

TOKENS = StoredTokens("rt-1", "at-1", 1_900_000_000.0, "https://us-1.api.gong.io")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_written_file_reads_back_and_is_private_whatever_the_umask(tmp_path: Path) -> None:
    token_file = TokenFile(tmp_path / "gong.json")
    previous = os.umask(0)
    try:
        token_file.write(TOKENS)
    finally:
        os.umask(previous)
    assert token_file.read() == TOKENS
    assert mode(token_file.path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gong.json"]


def test_a_wider_file_is_replaced_by_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "gong.json"
    path.write_text('{"refresh_token": "old"}')
    path.chmod(0o644)
    TokenFile(path).write(TOKENS)
    assert mode(path) == 0o600


def test_the_file_holds_only_the_tokens_their_expiry_and_the_base_url(tmp_path: Path) -> None:
    token_file = TokenFile(tmp_path / "gong.json")
    token_file.write(TOKENS)
    assert set(json.loads(token_file.path.read_text())) == {
        "refresh_token",
        "access_token",
        "expires_at",
        "api_base_url",
    }


def test_a_partial_file_left_by_a_crashed_writer_changes_nothing(tmp_path: Path) -> None:
    token_file = TokenFile(tmp_path / "gong.json")
    token_file.write(TOKENS)
    leftover = tmp_path / f".gong.json.{os.getpid()}.partial"
    leftover.write_text('{"refresh_token": "half')
    leftover.chmod(0o666)
    assert token_file.read() == TOKENS
    newer = StoredTokens("rt-2")
    token_file.write(newer)
    assert token_file.read() == newer
    assert not leftover.exists()


def test_readers_never_see_a_half_written_file(tmp_path: Path) -> None:
    token_file = TokenFile(tmp_path / "gong.json")
    token_file.write(TOKENS)
    done = threading.Event()
    seen: list[str] = []

    def write_many() -> None:
        for number in range(300):
            token_file.write(StoredTokens(f"rt-{number:04d}" * 200, "at", 1.0, None))
        done.set()

    writer = threading.Thread(target=write_many)
    writer.start()
    while not done.is_set():
        stored = token_file.read()  # raises on a torn file
        assert stored is not None
        seen.append(stored.refresh_token[:7])
    writer.join()
    assert seen


@contextmanager
def lock_held_by_another_process(token_file: TokenFile) -> Iterator[subprocess.Popen[str]]:
    script = (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(token_file.lock_path)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_the_lock_excludes_another_process_until_it_lets_go(tmp_path: Path) -> None:
    token_file = TokenFile(tmp_path / "gong.json")
    with lock_held_by_another_process(token_file) as holder:
        refused = pytest.raises(TokenFileError, match=r"gong\.json\.lock: another run held")
        with refused, token_file.locked(timeout_seconds=0.2):
            pass
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait()
    with token_file.locked(timeout_seconds=5):
        assert mode(token_file.lock_path) == 0o600


def test_the_lock_excludes_another_thread(tmp_path: Path) -> None:
    token_file = TokenFile(tmp_path / "gong.json")
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with token_file.locked(timeout_seconds=5):
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    with pytest.raises(TokenFileError), token_file.locked(timeout_seconds=0.1):
        pass
    release.set()
    holder.join()
    with token_file.locked(timeout_seconds=5):
        pass


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"access_token": "at"}', "holds no refresh_token"),
        ('["rt"]', "holds no refresh_token"),
    ],
)
def test_a_file_that_cannot_be_used_says_so_and_names_itself(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "gong.json"
    path.write_text(content)
    with pytest.raises(TokenFileError, match=message) as failure:
        TokenFile(path).read()
    assert str(path) in str(failure.value)
    assert TokenFile(path).problems() == [str(failure.value)]


def test_problems_found_before_any_request(tmp_path: Path) -> None:
    assert TokenFile(tmp_path / "gong.json").problems() == []
    missing = TokenFile(tmp_path / "nowhere" / "gong.json")
    assert missing.problems() == [f"the directory {tmp_path / 'nowhere'} does not exist"]
    (tmp_path / "folder").mkdir()
    assert TokenFile(tmp_path / "folder").problems() == [f"{tmp_path / 'folder'} is a directory"]
    assert TokenFile(tmp_path / "absent.json").read() is None
