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
