"""Break the tap on purpose, one small breakage at a time, and check that the tests notice.

Each breakage replaces exact pieces of text in one file of ``tap_gong_flows/``, in a
temporary copy of the repository (the working tree is never touched), and runs the tests
that guard the behaviour it breaks. A breakage that leaves those tests green is a promise
without a test. The unbroken copy is run first: its tests must pass.

Usage (from the repository root, with the project's venv)::

    python tools/mutation_check.py                    # every breakage; a Markdown table
    python tools/mutation_check.py --list             # the breakages, without running
    python tools/mutation_check.py --only retry-after-ignored dedupe-off

Exit code 0 when every breakage is caught (its tests fail), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.mutation_breakages import BREAKAGES, Breakage

REPO_ROOT = Path(__file__).resolve().parent.parent
# Left out of the copy: environments, caches and outputs.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv*",
    ".meltano",
    "output",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


@dataclass(frozen=True)
class Outcome:
    breakage: Breakage
    caught: bool
    detail: str
    seconds: float


def _apply(root: Path, breakage: Breakage) -> str:
    """Write the broken file into the copy; return the original text."""
    target = root / breakage.path
    original = target.read_text(encoding="utf-8")
    text = original
    for old, new in breakage.edits:
        found = text.count(old)
        if found != 1:
            raise ValueError(
                f"{breakage.name}: the text to replace occurs {found} times in {breakage.path}"
            )
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    return original


def _pytest(root: Path, tests: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    return subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else result.stderr.strip()[-200:]


def _check_copy_is_imported(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", "import tap_gong_flows; print(tap_gong_flows.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    if not Path(result.stdout.strip()).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"the copy is not what Python imports: {result.stdout.strip()}")


def run(breakages: tuple[Breakage, ...]) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="mutation-check-") as scratch:
        root = Path(scratch) / "repo"
        shutil.copytree(REPO_ROOT, root, ignore=_NOT_COPIED)
        _check_copy_is_imported(root)
        every_test = tuple(dict.fromkeys(t for b in breakages for t in b.tests))
        baseline = _pytest(root, every_test)
        if baseline.returncode != 0:
            print(baseline.stdout[-6000:], file=sys.stderr)
            raise SystemExit(f"the unbroken tests fail, fix them first: {_last_line(baseline)}")
        outcomes = []
        for breakage in breakages:
            started = time.monotonic()
            original = _apply(root, breakage)
            try:
                result = _pytest(root, breakage.tests)
            finally:
                (root / breakage.path).write_text(original, encoding="utf-8")
            # Exit code 1: tests ran and some failed. 0 is a miss; anything else (a
            # collection error, a crash) is not a test catching the breakage either.
            caught = result.returncode == 1
            detail = (
                _last_line(result)
                if result.returncode in (0, 1)
                else (f"pytest exit code {result.returncode}: {_last_line(result)}")
            )
            outcome = Outcome(breakage, caught, detail, time.monotonic() - started)
            print(
                f"{breakage.name}: {'caught' if caught else 'NOT CAUGHT'} ({detail})",
                file=sys.stderr,
                flush=True,
            )
            outcomes.append(outcome)
        return outcomes


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| breakage | what it breaks | tests run (`pytest tests/...`) | caught |",
        "| --- | --- | --- | --- |",
    ]
    for o in outcomes:
        tests = " ".join(f"`{t.removeprefix('tests/')}`" for t in o.breakage.tests)
        verdict = "yes" if o.caught else "**no**"
        lines.append(f"| `{o.breakage.name}` | {o.breakage.breaks} | {tests} | {verdict} |")
    caught = sum(o.caught for o in outcomes)
    seconds = sum(o.seconds for o in outcomes)
    lines.append("")
    lines.append(f"{caught} of {len(outcomes)} breakages caught ({seconds:.0f} s of test runs).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the breakages and stop")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these breakages")
    args = parser.parse_args(argv)
    chosen = BREAKAGES
    if args.only:
        unknown = set(args.only) - {b.name for b in BREAKAGES}
        if unknown:
            parser.error(f"unknown breakage: {', '.join(sorted(unknown))}")
        chosen = tuple(b for b in BREAKAGES if b.name in args.only)
    if args.list:
        for breakage in chosen:
            print(f"{breakage.name}: {breakage.breaks} ({breakage.path})")
        return 0
    outcomes = run(chosen)
    print(table(outcomes))
    return 0 if all(o.caught for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
