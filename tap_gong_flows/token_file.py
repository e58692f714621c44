"""The OAuth token file: where the rotated refresh token survives from one run to the next.

Gong's refresh tokens are single-use, so the token a refresh hands back is the only one
left. It is written here before anything uses the new access token, atomically (a
temporary file beside it, written, fsynced, renamed over it, and the directory fsynced),
with mode 0600. The file holds only what the next run needs: the refresh token, the
access token, its expiry and the base URL Gong gave for the company.

Whoever refreshes holds an exclusive lock on ``<file>.lock`` (``fcntl.flock``) from reading
the refresh token until the new one is written, so two runs, or two threads, never spend
the same token. The lock is on a file of its own because the rename replaces the token
file's inode: a lock on the old inode would not stop a reader of the new one.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_MODE = 0o600
_LOCK_POLL_SECONDS = 0.02


class TokenFileError(Exception):
    """The token file cannot be read, written or locked; the message names it."""


@dataclass(frozen=True)
class StoredTokens:
    """What the token file holds. ``expires_at`` is seconds since the epoch."""

    refresh_token: str
    access_token: str | None = None
    expires_at: float | None = None
    api_base_url: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "refresh_token": self.refresh_token,
                "access_token": self.access_token,
                "expires_at": self.expires_at,
                "api_base_url": self.api_base_url,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, where: str) -> StoredTokens:
        try:
            data: Any = json.loads(text)
        except ValueError:
            raise TokenFileError(f"{where}: not JSON; delete it and set refresh_token") from None
        refresh = data.get("refresh_token") if isinstance(data, dict) else None
        if not isinstance(refresh, str) or not refresh:
            raise TokenFileError(f"{where}: holds no refresh_token; delete it and set one")
        access, expires, base = (
            data.get("access_token"),
            data.get("expires_at"),
            data.get("api_base_url"),
        )
        return cls(
            refresh_token=refresh,
            access_token=access if isinstance(access, str) and access else None,
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            api_base_url=base if isinstance(base, str) and base else None,
        )


class TokenFile:
    """One token file on disk, its atomic writes and its lock."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def __str__(self) -> str:
        return str(self.path)

    def problems(self) -> list[str]:
        """What stops this file from being used, found before any request."""
        directory = self.path.parent
        if not directory.is_dir():
            return [f"the directory {directory} does not exist"]
        if not os.access(directory, os.W_OK | os.X_OK):
            return [f"the directory {directory} is not writable (the file is replaced on write)"]
        if self.path.is_dir():
            return [f"{self.path} is a directory"]
        if self.path.exists():
            try:
                self.read()
            except TokenFileError as exc:
                return [str(exc)]
        return []

    def read(self) -> StoredTokens | None:
        """The stored tokens; None when there is no file yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenFileError(f"{self.path}: cannot be read ({type(exc).__name__})") from None
        return StoredTokens.from_json(text, str(self.path))

    def write(self, tokens: StoredTokens) -> None:
        """Replace the file with ``tokens``: all of it or none of it, even after a crash."""
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        data = tokens.to_json().encode("utf-8")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            try:
                os.fchmod(descriptor, FILE_MODE)  # a leftover partial file may be wider
                written = 0
                while written < len(data):
                    written += os.write(descriptor, data[written:])
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(partial, self.path)
            self._sync_directory()
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise TokenFileError(
                f"{self.path}: cannot be written ({exc.strerror or type(exc).__name__})"
            ) from None

    def _sync_directory(self) -> None:
        # The rename is durable only once the directory entry is on disk.
        descriptor = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    @contextmanager
    def locked(self, timeout_seconds: float) -> Iterator[None]:
        """Hold the exclusive lock, waiting at most ``timeout_seconds`` for it."""
        try:
            descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise TokenFileError(
                f"{self.lock_path}: cannot be opened ({exc.strerror or type(exc).__name__})"
            ) from None
        try:
            deadline = time.monotonic() + timeout_seconds
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TokenFileError(
                            f"{self.lock_path}: another run held the lock for more than "
                            f"{timeout_seconds:g} s"
                        ) from None
                    time.sleep(_LOCK_POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)
