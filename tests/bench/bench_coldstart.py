"""Cold start: the time to import each Lambda handler module in a fresh interpreter (what a
new Lambda container pays before its first event), against a fresh `import boto3` (and one
client) measured in the same run: medians of 9 fresh interpreters each, taken round by round
(boto3, then every handler, then boto3 again), compared on CPU time
(wall time, shown beside it, also counts waiting for a core on this shared machine). Also
checks that no function imports what only another function needs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from common import Figure

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
RUNS = 9

ENV = {
    "PROBEWATCH_TABLE_NAME": "probewatch-bench",
    "PROBEWATCH_INBOUND_ADDRESS": "report@probes.example.org",
    "PROBEWATCH_SENDER_ADDRESS": "reports@probes.example.org",
    "PROBEWATCH_REPLY_TO_ADDRESS": "replies@probes.example.org",
    "PROBEWATCH_CONFIGURATION_SET": "probewatch",
    "PROBEWATCH_SEND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/send",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "probewatch",
}

# What each function must not pay for at import: only other functions need these.
FORBIDDEN = {
    "ingest": ["ipwhois", "dns", "moto", "probewatch.backtrace", "probewatch.digest"],
    "aggregate": ["moto", "probewatch.mail", "probewatch.parsers"],
    "send": ["moto", "ipwhois", "dns", "probewatch.parsers", "probewatch.mail"],
    "digest": ["moto", "ipwhois", "dns", "probewatch.parsers", "probewatch.mail"],
    "feedback": ["moto", "probewatch.parsers", "probewatch.mail"],
}

# What the ingest handler's import is made of, besides boto3 (measured alone, for the note).
COMPONENTS = ["pydantic", "aws_lambda_powertools.utilities.batch"]

PROBE = r"""
import importlib.util, json, sys, time
path, name = sys.argv[1], sys.argv[2]
start, cpu = time.perf_counter(), time.process_time()
if path == "boto3":
    import boto3
    boto3.client("sqs")
elif path.startswith("module:"):
    import importlib
    importlib.import_module(path.removeprefix("module:"))
else:
    spec = importlib.util.spec_from_file_location("app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
first_use = 0.0
if name == "first-use":  # what the ingest function imports only when its first email comes
    before = time.process_time()
    from probewatch.ingest import Collaborators
    Collaborators.default()
    first_use = time.process_time() - before
print(json.dumps({"seconds": elapsed, "cpu": cpu, "first_use": first_use,
                  "modules": sorted(sys.modules)}))
"""


def first_use(target: str) -> float:
    """Median CPU seconds of the imports the ingest function defers to its first email."""
    import os
    import statistics

    env = {**os.environ, **ENV}
    samples = []
    for _ in range(3):
        out = subprocess.run([str(PYTHON), "-c", PROBE, target, "first-use"], env=env,
                             check=True, capture_output=True, text=True).stdout
        samples.append(json.loads(out.strip().splitlines()[-1])["first_use"])
    return statistics.median(samples)


def measure_all(targets: list[str]) -> dict[str, list[dict]]:
    """Every target imported RUNS times in fresh interpreters, interleaved round by round
    (boto3, then each handler, then boto3 again...), so a change in the machine's load hits
    the reference and the handlers alike."""
    import os

    env = {**os.environ, **ENV}
    samples: dict[str, list[dict]] = {target: [] for target in targets}
    for _ in range(RUNS):
        for target in targets:
            out = subprocess.run([str(PYTHON), "-c", PROBE, target, "x"], env=env, check=True,
                                 capture_output=True, text=True).stdout
            samples[target].append(json.loads(out.strip().splitlines()[-1]))
    return samples


def _median(samples: list[dict], key: str) -> float:
    import statistics

    return statistics.median(sample[key] for sample in samples)


_INGEST_RATIOS: list[float] = []  # per round, for the note


def run(workdir: Path) -> list[Figure]:
    import statistics

    handlers = {name: str(REPO / "functions" / name / "app.py") for name in FORBIDDEN}
    targets = ["boto3", *("module:" + m for m in COMPONENTS), *handlers.values()]
    samples = measure_all(targets)
    boto3_wall, boto3_cpu = _median(samples["boto3"], "seconds"), _median(samples["boto3"], "cpu")
    figures = [Figure("fresh `import boto3` + one client", f"{boto3_cpu * 1000:.0f} ms CPU "
                      f"({boto3_wall * 1000:.0f} ms wall)", "", None,
                      "python -c 'import boto3; boto3.client(\"sqs\")'")]
    for module in COMPONENTS:
        cpu = _median(samples["module:" + module], "cpu")
        figures.append(Figure(f"of which: fresh `import {module}`", f"{cpu * 1000:.0f} ms CPU",
                              "", None, f"python -c 'import {module}'"))
    for name, forbidden in FORBIDDEN.items():
        path = handlers[name]
        wall, cpu = _median(samples[path], "seconds"), _median(samples[path], "cpu")
        modules = samples[path][-1]["modules"]
        # The ratio of each round (handler and boto3 measured back to back), then the median.
        ratios = [h["cpu"] / b["cpu"] for h, b in zip(samples[path], samples["boto3"], strict=True)]
        ratio = statistics.median(ratios)
        target = "<= 1.5x boto3" if name == "ingest" else ""
        met = ratio <= 1.5 if name == "ingest" else None
        if name == "ingest":
            _INGEST_RATIOS[:] = ratios
        figures.append(Figure(f"import functions/{name}/app.py", f"{cpu * 1000:.0f} ms CPU "
                              f"({ratio:.2f}x boto3; wall {wall * 1000:.0f} ms, "
                              f"{wall / boto3_wall:.2f}x)", target, met,
                              f"import functions/{name}/app.py"))
        if name == "ingest":
            deferred = first_use(path)
            figures.append(Figure("ingest: imports deferred to the first email (parsers, "
                                  "commands, abuse replies)", f"{deferred * 1000:.0f} ms CPU",
                                  "", None, "Collaborators.default() after the import"))
        leaked = sorted({f for f in forbidden for m in modules if m == f or m.startswith(f + ".")})
        figures.append(Figure(f"{name}: imports only what it needs",
                              "none of " + ", ".join(forbidden) if not leaked
                              else "imports " + ", ".join(leaked),
                              "0 foreign modules", not leaked))
    return figures


def notes(figures: list[Figure]) -> str:
    """The spread of the ingest ratio, and what stands in the way when it is not met."""
    spread = ""
    if _INGEST_RATIOS:
        spread = (f"The ingest / boto3 CPU ratio of the {len(_INGEST_RATIOS)} rounds ranged "
                  f"{min(_INGEST_RATIOS):.2f}x to {max(_INGEST_RATIOS):.2f}x; the figure is "
                  "their median.\n\n")
    if all(f.met is not False for f in figures):
        return spread
    return spread + (
        "Note: the ingest handler imports boto3 (it needs it on every event; deferring the "
        "import to the first call would flatter this figure without making a cold start any "
        "shorter), pydantic (the settings model; read from os.environ by probewatch.config, "
        "without pydantic-settings) and Powertools' batch utility (asyncio and every event "
        "data class), each measured alone above, and probewatch's own modules (compiled from "
        "source each time, as in Lambda where the package directory is read-only). Parsers, "
        "commands and abuse-reply handling are imported only when the first email needs "
        "them. Wall time is shown beside it: on a busy machine it mostly counts the wait for "
        "a core.\n"
    )
