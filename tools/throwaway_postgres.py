"""A throwaway PostgreSQL server for the end-to-end tests and ``DEMO_START_POSTGRES=1``.

``start_postgres()`` runs ``initdb`` into a new temporary directory, starts the server on a
free loopback TCP port (password auth over TCP, its unix socket in that same directory),
creates the database ``warehouse``, and on exit stops the server and deletes the directory.
As root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` user (they refuse root).

Only the standard library is used, so that the demo can run this module without the dev
dependencies::

    python -m tools.throwaway_postgres -- some command   # runs it with TARGET_POSTGRES_* set

The binaries are looked up in ``$PG_BIN``, then next to ``pg_ctl`` on ``PATH``, then in
``/usr/lib/postgresql/<version>/bin`` and ``/usr/pgsql-<version>/bin`` (newest first). When
they are missing, ``PostgresUnavailable`` says so (tests skip on it); when they are there but
the server does not start, ``PostgresStartError`` carries the server's log (tests fail on it).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres", "psql")
SUPERUSER = "postgres"
PASSWORD = "throwaway-e2e-password"
DATABASE = "warehouse"
# A scratch server: durability is not wanted, speed is.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here (or cannot be run as root); the message says why."""


class PostgresStartError(RuntimeError):
    """PostgreSQL is installed but ``initdb`` or ``pg_ctl start`` failed: a real problem."""


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", str(path))) or (0,)


def find_bin_dir() -> Path:
    """The directory holding ``initdb``, ``pg_ctl``, ``postgres`` and ``psql``."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"):
        found = [Path(p) for p in glob.glob(pattern)]
        candidates += sorted(found, key=_version_key, reverse=True)
    for directory in candidates:
        if all((directory / name).is_file() for name in SERVER_BINARIES):
            return directory
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found on PATH, in "
        "$PG_BIN or in /usr/lib/postgresql/*/bin; install PostgreSQL (e.g. apt-get install "
        "postgresql) to run the PostgreSQL end-to-end tests"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it listens, and how to query it."""

    bin_dir: Path
    base_dir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = SUPERUSER
    password: str = PASSWORD
    database: str = DATABASE

    @property
    def version(self) -> str:
        return (self.base_dir / "data" / "PG_VERSION").read_text().strip()

    def target_env(self) -> dict[str, str]:
        """The environment variables that point Meltano's ``target-postgres`` here."""
        return {
            "TARGET_POSTGRES_HOST": self.host,
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            "TARGET_POSTGRES_PASSWORD": self.password,
            "TARGET_POSTGRES_DATABASE": self.database,
        }

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL with ``psql`` over TCP with the password, as a client would."""
        env = {
            **os.environ,
            "PGPASSWORD": self.password,
            "PGTZ": "UTC",
            "PGCLIENTENCODING": "UTF8",
        }
        result = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "--no-psqlrc",
                "--quiet",
                "--tuples-only",
                "--no-align",
                "--set=ON_ERROR_STOP=1",
                f"--host={self.host}",
                f"--port={self.port}",
                f"--username={self.user}",
                f"--dbname={database or self.database}",
                "--command",
                sql,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}\nSQL: {sql}")
        return result.stdout

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts (through ``json_agg``, timestamps rendered in UTC)."""
        select = sql.strip().removesuffix(";")
        text = self.psql(f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({select}\n) AS q")
        rows: list[dict[str, Any]] = json.loads(text)
        return rows


def _runner(as_postgres: bool) -> list[str]:
    if not as_postgres:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root, and runuser is missing to drop to postgres")
    return [runuser, "-u", SUPERUSER, "--"]


def _run(argv: Sequence[str], what: str, log: Path | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        if log is not None and log.exists():
            detail += "\n" + log.read_text(errors="replace")[-3000:]
        raise PostgresStartError(f"{what} failed: {detail}")


@contextmanager
def start_postgres(timezone: str = "UTC") -> Iterator[PostgresServer]:
    """Start a scratch server; stop it and delete its files afterwards.

    ``timezone`` is the server's default session time zone (a name such as
    ``America/New_York``): what clients that do not set one get.
    """
    bin_dir = find_bin_dir()
    as_postgres = os.geteuid() == 0
    owner = None
    if as_postgres:
        try:
            owner = pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresUnavailable(
                "running as root, and there is no 'postgres' user to run initdb and pg_ctl as"
            ) from None
    run_as = _runner(as_postgres)
    base_dir = Path(tempfile.mkdtemp(prefix="tap-gong-pg-"))
    data_dir, log = base_dir / "data", base_dir / "server.log"
    started = False
    try:
        password_file = base_dir / "password"
        password_file.write_text(PASSWORD + "\n")
        if owner is not None:
            for path in (base_dir, password_file):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        _run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                f"--pgdata={data_dir}",
                f"--username={SUPERUSER}",
                f"--pwfile={password_file}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            "initdb",
        )
        for attempt in range(5):
            port = _free_port()
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1 -k {base_dir} "
                f"-c timezone={timezone} {SERVER_OPTIONS}"
            )
            try:
                _run(
                    [
                        *run_as,
                        str(bin_dir / "pg_ctl"),
                        f"--pgdata={data_dir}",
                        f"--log={log}",
                        "--wait",
                        "--timeout=60",
                        f"--options={options}",
                        "start",
                    ],
                    "pg_ctl start",
                    log,
                )
            except PostgresStartError:
                if attempt == 4 or "in use" not in log.read_text(errors="replace"):
                    raise
                continue
            started = True
            break
        server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=port)
        server.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
        yield server
    finally:
        if started:
            stop = [*run_as, str(bin_dir / "pg_ctl"), f"--pgdata={data_dir}"]
            subprocess.run(
                [*stop, "--mode=fast", "--wait", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(base_dir, ignore_errors=True)


def main(argv: Sequence[str]) -> int:
    """``python -m tools.throwaway_postgres [--] COMMAND...``: COMMAND against a scratch server."""
    command = list(argv[1:] if argv and argv[0] == "--" else argv)
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with start_postgres() as server:
            print(
                f"==> Throwaway PostgreSQL {server.version} on {server.host}:{server.port} "
                f"(database {server.database}, user {server.user}); deleted afterwards",
                file=sys.stderr,
                flush=True,
            )
            return subprocess.run(command, env={**os.environ, **server.target_env()}).returncode
    except (PostgresUnavailable, PostgresStartError) as exc:
        print(f"Cannot start PostgreSQL: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
