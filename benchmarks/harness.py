"""Running one child process and measuring it: wall time, first RECORD, records, CPU, peak RSS.

The child's stdout goes to a pipe that a thread drains in large reads and scans with a
compiled regular expression (C code, so the drain barely competes with the in-process
simulator for the GIL). Its stderr goes to a temporary file, whose tail is kept for error
reports. The child is reaped with ``os.wait4``, which hands back that one child's resource
usage: its own peak RSS (``ru_maxrss``) and CPU time, unaffected by other children.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# RECORD lines are counted with bytes.count on a literal line start, which runs at memory
# speed (a regular expression would cap the drain near 80 MB/s, below what a bare msgspec
# loop writes). Both SDK writers put "type" first and "stream" second with compact
# separators; the spaced spelling of json.dumps' defaults is counted too, to be safe.
_SEPARATORS = ((b":", b","), (b": ", b", "))


def record_prefixes(stream: str | None) -> tuple[bytes, ...]:
    """Line starts (newline included) of RECORD lines of ``stream``, or of any stream."""
    prefixes = []
    for colon, comma in _SEPARATORS:
        prefix = b'\n{"type"' + colon + b'"RECORD"'
        if stream is not None:
            prefix += comma + b'"stream"' + colon + b'"' + stream.encode() + b'"'
        prefixes.append(prefix)
    return tuple(prefixes)


_READ_SIZE = 1 << 20
# Children run from the repository root, so ``-m benchmarks.…`` resolves wherever the
# benchmark was started from.
REPO_ROOT = Path(__file__).resolve().parent.parent
_STDERR_TAIL_BYTES = 4000


@dataclass
class ChildResult:
    """What one child run did. Times are ``time.monotonic()`` readings."""

    label: str
    argv: list[str]
    started: float
    ended: float = 0.0  # stdout closed (the child is exiting), or the kill on a timeout
    returncode: int | None = None
    timed_out: bool = False
    records: int = 0  # RECORD lines of the stream asked about
    records_any: int = 0  # RECORD lines of any stream
    stdout_bytes: int = 0
    first_record: float | None = None  # first RECORD line of the stream asked about
    first_record_any: float | None = None
    maxrss_mb: float | None = None
    cpu_seconds: float | None = None
    stderr_tail: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def wall(self) -> float:
        return self.ended - self.started

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def problem(self) -> str:
        """One paragraph saying why the run failed (empty when it did not)."""
        if self.ok:
            return ""
        how = (
            f"timed out after {self.wall:.0f} s"
            if self.timed_out
            else f"exited with code {self.returncode}"
        )
        tail = "\n".join("    " + line for line in self.stderr_tail.splitlines()[-15:])
        return f"{self.label} {how}; last lines of its stderr:\n{tail}"


class _Drain(threading.Thread):
    """Reads a pipe to its end, counting RECORD lines; optionally copies it to a file."""

    def __init__(self, fd: int, result: ChildResult, stream: str, copy_to: Path | None) -> None:
        super().__init__(name=f"drain:{result.label}", daemon=True)
        self._fd = fd
        self._result = result
        self._any = record_prefixes(None)
        self._mine = record_prefixes(stream)
        self._copy_to = copy_to

    def run(self) -> None:
        result = self._result
        carry = b"\n"  # so that the first line, too, starts after a newline
        copy = self._copy_to.open("wb") if self._copy_to is not None else None
        try:
            while chunk := os.read(self._fd, _READ_SIZE):
                now = time.monotonic()
                result.stdout_bytes += len(chunk)
                if copy is not None:
                    copy.write(chunk)
                cut = chunk.rfind(b"\n") + 1
                if cut == 0:  # no line end yet: keep collecting
                    carry += chunk
                    continue
                # The newline ending this chunk's last full line starts the next carry,
                # so a line start split across reads is still seen after a newline.
                lines, carry = carry + chunk[:cut], chunk[cut - 1 :]
                self._count(lines, now)
            if len(carry) > 1:  # a last line without a newline
                self._count(carry, time.monotonic())
        finally:
            result.ended = time.monotonic()
            if copy is not None:
                copy.close()

    def _count(self, lines: bytes, now: float) -> None:
        result = self._result
        any_records = sum(lines.count(prefix) for prefix in self._any)
        if any_records:
            result.records_any += any_records
            if result.first_record_any is None:
                result.first_record_any = now
            records = sum(lines.count(prefix) for prefix in self._mine)
            if records:
                result.records += records
                if result.first_record is None:
                    result.first_record = now


def python_argv(*args: str) -> list[str]:
    """A command running this interpreter (the project's venv) with ``args``."""
    return [sys.executable, *args]


class _PeakRss(threading.Thread):
    """Polls a child's VmHWM (its own peak resident set) until told to stop."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        super().__init__(daemon=True)
        self._path = Path(f"/proc/{pid}/status")
        self._interval = interval
        self._done = threading.Event()
        self.kib = 0

    def run(self) -> None:
        while not self._done.is_set():
            try:
                for line in self._path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.kib = max(self.kib, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                pass  # gone, or a zombie without memory: the last reading stands
            self._done.wait(self._interval)

    def stop(self) -> None:
        self._done.set()
        self.join(1)


def run_child(
    label: str,
    argv: Sequence[str],
    *,
    stream: str = "assigned_flows",
    timeout: float = 120.0,
    copy_stdout_to: Path | None = None,
    cwd: Path | None = None,
) -> ChildResult:
    """Run ``argv`` to its end (or kill it after ``timeout`` s) and measure it."""
    with tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=cwd or REPO_ROOT,
        )
        result = ChildResult(label, list(argv), started)
        assert proc.stdout is not None
        drain = _Drain(proc.stdout.fileno(), result, stream, copy_stdout_to)
        drain.start()
        peak = _PeakRss(proc.pid)
        peak.start()
        drain.join(timeout)
        if drain.is_alive():
            result.timed_out = True
            proc.kill()
            drain.join(10)
        # wait4 rather than proc.wait(): it also returns this child's own rusage.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = result.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if not result.ended:
            result.ended = time.monotonic()
        peak.stop()
        # ru_maxrss survives fork and exec: a child of a big benchmark process would report
        # the parent's peak. VmHWM belongs to the child's own address space; use it when the
        # poller saw one. Linux reports both in KiB.
        result.maxrss_mb = (peak.kib or usage.ru_maxrss) / 1024
        result.cpu_seconds = usage.ru_utime + usage.ru_stime
        stderr.seek(0, os.SEEK_END)
        size = stderr.tell()
        stderr.seek(max(0, size - _STDERR_TAIL_BYTES))
        result.stderr_tail = stderr.read().decode("utf-8", "replace")
    return result


@contextlib.contextmanager
def scratch_directory() -> Iterator[Path]:
    """A temporary directory for ID files, configs and captured output, removed at the end."""
    with tempfile.TemporaryDirectory(prefix="tap-gong-flows-bench-") as name:
        yield Path(name)
