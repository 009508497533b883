"""`make bench`: run every benchmark and write BENCHMARKS.md.

Each bench_*.py module beside this file exposes `run(workdir) -> list[Figure]`. Figures are
medians of several runs, and ratios are measured in the same run against a reference, because
absolute timings on shared 2-core machines are noise.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from common import Figure  # noqa: E402

MODULES = [
    "bench_parse",
    "bench_coldstart",
    "bench_dynamodb",
    "bench_aggregate",
    "bench_backtrace",
    "bench_memory",
    "bench_end_to_end",
    "bench_ingest_cost",
    "bench_hostile",
    "bench_fuzz",
]
# Timed benchmarks run alone; these only count (requests, bytes), so a module with a
# `start(workdir)` (memory) begins its long part in the background beside them.
COUNTING = {"bench_dynamodb", "bench_aggregate", "bench_backtrace"}
BACKGROUND_STARTED: set[str] = set()


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


@contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Send everything the benchmark and the code under test print (Powertools' JSON logs
    and metrics, moto's request log) to `log`, at the file-descriptor level."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("w") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--only", nargs="*", help="run only these bench modules")
    args = parser.parse_args()
    workdir = REPO / ".bench"
    workdir.mkdir(exist_ok=True)
    sections: list[str] = []
    all_figures: list[Figure] = []
    started = time.perf_counter()
    chosen = args.only or MODULES
    background_started = False
    for name in chosen:
        if name in COUNTING and not background_started:
            background_started = True
            _start_background(chosen, workdir)
        print(f"== {name} (output in .bench/{name}.log)", flush=True)
        module_start = time.perf_counter()
        module = None
        with output_to(workdir / f"{name}.log"):
            try:
                module = importlib.import_module(name)
                figures = module.run(workdir)
            except Exception:  # a broken benchmark is reported, the others still run
                figures = [
                    Figure(
                        name,
                        "FAILED: " + traceback.format_exc(limit=3).splitlines()[-1],
                        "runs",
                        False,
                    )
                ]
                traceback.print_exc()
        all_figures.extend(figures)
        for figure in figures:
            print("  " + figure.row(), flush=True)
        doc = (getattr(module, "__doc__", None) or "").strip()
        rows = "\n".join(f.row() for f in figures)
        commands = sorted({f.command for f in figures if f.command})
        section = f"## {name.removeprefix('bench_').replace('_', ' ')}\n\n{doc}\n\n"
        section += "| figure | measured | target | verdict |\n|---|---|---|---|\n" + rows + "\n"
        notes = getattr(module, "notes", None)
        if notes is not None:
            text = notes(figures)
            if text:
                section += "\n" + text.strip() + "\n"
        if commands:
            section += "\nCommands:\n\n" + "\n".join(f"    {c}" for c in commands) + "\n"
        took = f"took {time.perf_counter() - module_start:.1f} s"
        if name in BACKGROUND_STARTED:
            took += ", after starting in the background beside the counting benchmarks"
        section += f"\n({took})\n"
        sections.append(section)
    elapsed = time.perf_counter() - started
    unmet = [f for f in all_figures if f.met is False]
    summary = "".join(f"- {f.name}: {f.value} (target {f.target})\n" for f in unmet)
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` (`python tests/bench/run.py`), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n"
        f"Machine: {machine()}; load average at the end {_load()}.\n\n"
        f"Whole run: {elapsed:.0f} s. Targets met: {sum(1 for f in all_figures if f.met)}"
        f" of {sum(1 for f in all_figures if f.met is not None)}.\n\n"
        + (
            f"Not met (each section's note says what stands in the way):\n\n{summary}\n"
            if unmet
            else ""
        )
    )
    args.out.write_text(header + "\n".join(sections))
    print(f"wrote {args.out} ({len(unmet)} targets not met) in {elapsed:.0f} s")
    return 0


def _start_background(chosen: list[str], workdir: Path) -> None:
    for name in chosen:
        if name in COUNTING:
            continue
        module = importlib.import_module(name)
        if hasattr(module, "start"):
            print(f"== {name}: started in the background", flush=True)
            BACKGROUND_STARTED.add(name)
            with output_to(workdir / f"{name}.start.log"):
                try:
                    module.start(workdir)
                except Exception:  # its run() measures again in the foreground
                    traceback.print_exc()


def _load() -> str:
    try:
        return " / ".join(f"{n:.1f}" for n in os.getloadavg()) + " (1 / 5 / 15 min)"
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
