"""What every benchmark shares: medians of repeated runs and a row format for BENCHMARKS.md."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    """One measured number, the target it answers to, and whether it is met."""

    name: str
    value: str
    target: str
    met: bool | None  # None: informational, no target
    command: str = ""

    def row(self) -> str:
        verdict = {True: "met", False: "NOT MET", None: "-"}[self.met]
        return f"| {self.name} | {self.value} | {self.target} | {verdict} |"


def median_seconds(work: Callable[[], object], runs: int = 5) -> float:
    """Median wall time of `runs` calls: these machines are noisy, a single run lies."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def median_command_times(cmd: list[str], runs: int = 3) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of running `cmd` to completion.

    CPU time (user + system of the child) is what the work costs; wall time also counts
    the time spent waiting for a core, which on a shared machine is other people's load."""
    import resource
    import subprocess

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)
