"""Memory: peak RSS of the ingest path on one large email. The email carries a 10 MB .log
attachment (base64) of netfilter lines from 500 sources. moto runs as a server in its own
process (so its copy of the data is not counted) and a fresh interpreter imports the ingest
handler module and calls `probewatch.ingest.ingest_object` on the stored email, then reports
`resource.getrusage(RUSAGE_SELF).ru_maxrss` (peak RSS over the process's whole life: the
interpreter, boto3 and the handler's imports included), against the 256 MB the template gives
the ingest function."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from aws import (
    FAKE_AWS_ENV,
    NOW,
    alert_email,
    distinct_sources,
    forget_cached_clients,
    netfilter_lines,
    register_reporter,
    scoped_env,
)
from common import Figure

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
LOG_BYTES = 10 * 1024 * 1024
LIMIT_MB = 200
COMMAND = "python tests/bench/run.py --only bench_memory"

PROBE = r"""
import json, resource, sys, time
from datetime import datetime
import importlib.util
spec = importlib.util.spec_from_file_location("ingest_app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
from probewatch.clock import frozen
from probewatch.config import IngestSettings, get_settings
from probewatch.ingest import ingest_object
import boto3
boto3.client("s3"); boto3.resource("dynamodb")
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
with frozen(datetime.fromisoformat(sys.argv[4])):
    submission = ingest_object(sys.argv[2], sys.argv[3], get_settings(IngestSettings))
print(json.dumps({"baseline_kb": baseline,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "seconds": time.perf_counter() - start, "status": submission.status,
                  "events": submission.events_stored, "lines": submission.lines}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("moto server did not start")


def big_email() -> tuple[bytes, int]:
    sources = distinct_sources(500)
    lines = netfilter_lines(1000, sources, NOW - timedelta(minutes=30))
    size = sum(len(line) + 1 for line in lines)
    repeats = LOG_BYTES // size + 1
    # Many lines with distinct times: later copies move back in time, inside the 72 h window.
    all_lines = []
    for n in range(repeats):
        all_lines += netfilter_lines(1000, sources, NOW - timedelta(minutes=30 + 60 * n), seed=n)
    while sum(len(line) + 1 for line in all_lines) > LOG_BYTES:
        all_lines.pop()
    return alert_email(all_lines), len(all_lines)


class _Measurement:
    """The measurement running in the background: a moto server process and the probe."""

    def __init__(self, workdir: Path) -> None:
        import boto3

        from probewatch.local.resources import create_stack

        raw, self.lines = big_email()
        self.size = len(raw)
        port = _free_port()
        self.server = subprocess.Popen(
            [str(PYTHON), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(port)
            with scoped_env({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}):
                forget_cached_clients()
                boto3.DEFAULT_SESSION = None
                stack = create_stack()
                with scoped_env(stack.env()):
                    forget_cached_clients()
                    register_reporter(stack.table_name)
                    boto3.client("s3").put_object(Bucket=stack.raw_bucket, Key="raw/big", Body=raw)
                    env = {**os.environ}
                forget_cached_clients()
                boto3.DEFAULT_SESSION = None
            self.probe = subprocess.Popen(
                [str(PYTHON), "-c", PROBE, str(REPO / "functions" / "ingest" / "app.py"),
                 stack.raw_bucket, "raw/big", NOW.isoformat()],
                env=env, stdout=subprocess.PIPE, stderr=(workdir / "bench_memory.probe.log").open("w"),
                text=True)
        except Exception:
            self.server.terminate()
            raise

    def result(self) -> dict[str, float]:
        try:
            out, _ = self.probe.communicate(timeout=600)
        finally:
            self.server.terminate()
            self.server.wait(timeout=30)
        if self.probe.returncode:
            raise RuntimeError(f"the probe failed (exit {self.probe.returncode}); see .bench/bench_memory.probe.log")
        return json.loads(out.strip().splitlines()[-1])


_started: _Measurement | None = None


def start(workdir: Path) -> None:
    """Start the measurement early: it takes a minute of moto's time but measures no time,
    so run.py lets it run beside the benchmarks that only count requests."""
    global _started
    _started = _Measurement(workdir)


def run(workdir: Path) -> list[Figure]:
    global _started
    measurement, _started = _started or _Measurement(workdir), None
    result = measurement.result()
    peak = result["peak_kb"] / 1024
    lines = measurement.lines
    return [
        Figure("email size", f"{measurement.size / 2**20:.1f} MB ({LOG_BYTES / 2**20:.0f} MB .log "
               f"attachment, {lines:,} lines)", "", None, COMMAND),
        Figure("ingest result", f"{result['status']}: {result['events']:,} events stored in "
               f"{result['seconds']:.1f} s (on the moto server)", f"{lines:,} events",
               result["events"] == lines, COMMAND),
        Figure("RSS after imports and clients (before the email)",
               f"{result['baseline_kb'] / 1024:.0f} MB", "", None, COMMAND),
        Figure("peak RSS ingesting the email", f"{peak:.0f} MB", f"< {LIMIT_MB} MB",
               peak < LIMIT_MB, COMMAND),
    ]
