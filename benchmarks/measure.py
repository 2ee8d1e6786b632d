"""Running a measured step in a process of its own, and the figures the report is made of."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    output: str
    first_output_seconds: float | None = None
    """When the process wrote its first line (an import: its cases committed, the report)."""


def run_process(args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> Run:
    """Run ``python args...``; its wall time and peak RSS (``wait4``: the child alone).

    Every step runs in a fresh process, so that one step's memory and caches never count for
    the next, and peak RSS is the step's own.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    first: float | None = None
    for line in proc.stdout:
        if first is None:
            first = time.perf_counter() - start
        lines.append(line)
    output = "".join(lines)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise StepFailed(f"{' '.join(args)} exited with {proc.returncode}:\n{output[-3000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, output, first)  # ru_maxrss is in KiB on Linux


def with_bytecode() -> None:
    """Let every step's process read its modules' compiled bytecode, as an installed program
    does (pip compiles it at install, PyInstaller ships it), and compile it once before the
    first step. Where ``PYTHONDONTWRITEBYTECODE`` is set (as on the machine the suite is run
    on), each process compiled the program's modules from source again: some 0.2 s in every
    command's figure that no user waits for."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "annotator", "benchmarks"], cwd=REPO, check=True
    )


class StepFailed(Exception):
    """A measured command failed; the message has its output."""


@dataclass
class Figure:
    """One row of the table: a measured quantity over several runs, and its target."""

    group: str
    name: str
    unit: str
    """"s", "ms", "MB" or "x" (a ratio)."""
    values: list[float] = field(default_factory=list)
    target: float | None = None
    note: str = ""
    available: bool = True

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def verdict(self) -> str:
        if not self.available:
            return "not available"
        if self.target is None or not self.values:
            return ""
        if self.median <= self.target:
            return "pass"
        return f"**miss** ({self.median / self.target:.1f}× the target)"

    def show(self, value: float) -> str:
        if self.unit == "ms":
            return f"{value * 1000:,.0f} ms" if value >= 0.0095 else f"{value * 1000:.1f} ms"
        if self.unit == "s":
            return f"{value:,.1f} s" if value >= 1 else f"{value * 1000:,.0f} ms"
        if self.unit == "x":
            return f"{value:.1f}×"
        return f"{value:,.0f} {self.unit}"

    def cells(self) -> tuple[str, str, str, str]:
        """Median, range (with the number of runs), target, result."""
        if not self.available:
            return ("not available", "", self._target(), "not available")
        if not self.values:
            return ("–", "", self._target(), "")
        median = self.show(self.median)
        if len(self.values) > 1:
            spread = f"{self.show(min(self.values))} – {self.show(max(self.values))}"
            spread += f" ({len(self.values)} runs)"
        else:
            spread = "1 run"
        return (median, spread, self._target(), self.verdict())

    def _target(self) -> str:
        if self.target is None:
            return ""
        return f"< {self.show(self.target)}" if self.unit != "x" else f"≤ {self.target:.1f}×"
