"""The benchmark's output: one Markdown table, then the machine it ran on.

Each figure module adds its rows under its own numbered section; the table lists the
sections in number order, whatever order they were measured in. A row's ``met`` is
``None`` when the row carries no target.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    figure: str
    value: str
    target: str = "—"
    met: bool | None = None


@dataclass
class Report:
    """Rows by section number, problems (a run failed) and notes (said under the table)."""

    titles: dict[int, str] = field(default_factory=dict)
    rows: dict[int, list[Row]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def section(self, number: int, title: str) -> None:
        self.titles[number] = title
        self.rows.setdefault(number, [])

    def add(
        self, number: int, figure: str, value: str, target: str = "—", met: bool | None = None
    ) -> None:
        self.rows.setdefault(number, []).append(Row(figure, value, target, met))

    def problem(self, text: str) -> None:
        if text:
            self.problems.append(text)

    @property
    def missed(self) -> list[str]:
        """The figures whose target was missed."""
        return [row.figure for rows in self.rows.values() for row in rows if row.met is False]


# -- number formatting ------------------------------------------------------------------


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def spread(values: Sequence[float | None], spec: str) -> str:
    """`` [min-max]`` of two or more values, else nothing."""
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return ""
    return f" [{min(present):{spec}}-{max(present):{spec}}]"


def median_and_spread(values: Sequence[float | None], spec: str, suffix: str = "") -> str:
    return f"{fmt(median(values), spec, suffix)}{spread(values, spec)}"


# -- the machine --------------------------------------------------------------------------


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_lines(load_before: str) -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- Machine: {os.cpu_count()} CPUs ({usable} usable), {_cpu_model()}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({sys.executable}); singer-sdk "
        f"{_package_version('singer-sdk')}, msgspec {_package_version('msgspec')}, "
        f"requests {_package_version('requests')}; tap-gong-flows "
        f"{_package_version('tap-gong-flows')} at git {_git_revision()}",
        f"- Load average (1/5/15 min) before → after the run: {load_before} → "
        f"{load_average()} (other work on the machine shows here)",
    ]


# -- Markdown -------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report, command: str, seconds: float, load_before: str) -> str:
    lines = ["| figure | value | target | met? |", "| --- | --- | --- | --- |"]
    for number in sorted(set(report.titles) | set(report.rows)):
        title = report.titles.get(number)
        if title:
            lines.append(f"| **{number}. {_cell(title)}** |  |  |  |")
        for row in report.rows.get(number, []):
            met = "—" if row.met is None else ("yes" if row.met else "**no**")
            lines.append(
                f"| {_cell(row.figure)} | {_cell(row.value)} | {_cell(row.target)} | {met} |"
            )
    lines += [
        "",
        *machine_lines(load_before),
        f"- Command: `{command}`",
        f"- Total run time: {seconds:.0f} s",
    ]
    if report.notes:
        lines += ["", *report.notes]
    if report.missed:
        lines += ["", "Targets missed: " + "; ".join(report.missed)]
    if report.problems:
        lines += ["", "Problems:", *(f"- {p}" for p in report.problems)]
    return "\n".join(lines)
