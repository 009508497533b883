"""Cold start: the time to import each Lambda handler module in a fresh interpreter (what a
new Lambda container pays before its first event), against a fresh `import boto3` measured in
the same run. Also checks that no function imports what only another function needs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from common import Figure

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
RUNS = 7

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

PROBE = r"""
import importlib.util, json, sys, time
path, name = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if path == "boto3":
    import boto3
    boto3.client("sqs")
else:
    spec = importlib.util.spec_from_file_location("app", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "modules": sorted(sys.modules)}))
"""


def measure(target: str) -> tuple[float, list[str]]:
    import os
    import statistics

    env = {**os.environ, **ENV}
    samples, modules = [], []
    for _ in range(RUNS):
        out = subprocess.run([str(PYTHON), "-c", PROBE, target, "x"], env=env, check=True,
                             capture_output=True, text=True).stdout
        data = json.loads(out.strip().splitlines()[-1])
        samples.append(data["seconds"])
        modules = data["modules"]
    return statistics.median(samples), modules


def run(workdir: Path) -> list[Figure]:
    boto3_seconds, _ = measure("boto3")
    figures = [Figure("fresh `import boto3` + one client", f"{boto3_seconds * 1000:.0f} ms", "", None,
                      "python -c 'import boto3; boto3.client(\"sqs\")'")]
    for name, forbidden in FORBIDDEN.items():
        path = REPO / "functions" / name / "app.py"
        seconds, modules = measure(str(path))
        ratio = seconds / boto3_seconds
        target = "<= 1.5x boto3" if name == "ingest" else ""
        met = ratio <= 1.5 if name == "ingest" else None
        figures.append(Figure(f"import functions/{name}/app.py", f"{seconds * 1000:.0f} ms "
                              f"({ratio:.2f}x boto3)", target, met, f"import functions/{name}/app.py"))
        leaked = sorted({f for f in forbidden for m in modules if m == f or m.startswith(f + ".")})
        figures.append(Figure(f"{name}: imports only what it needs",
                              "none of " + ", ".join(forbidden) if not leaked
                              else "imports " + ", ".join(leaked),
                              "0 foreign modules", not leaked))
    return figures
