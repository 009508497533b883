"""End to end on the local stack: 200 alert emails (20 netfilter lines each, from 2 sources
out of 100) go through moto in server mode (`probewatch.local.moto_server.local_aws`) exactly
as in `make demo`: each is put into the raw bucket (S3 notifies the ingest queue) and the
queue is drained through the real ingest handler (`probewatch.local.handlers`, SQS batches of
10). The later stages are left out here because moto's own cost swamps them (its Query sorts
the whole table on every call; its TransactWriteItems deep-copies every table): bench dynamodb
and bench aggregate count their requests instead. moto's own cost is
separated out: every AWS call is timed with botocore event hooks (before-call .. after-call:
HTTP to the moto server thread, moto's work, botocore's serialising) and the rest is
probewatch's own time. moto runs in this process, so it also competes for the GIL."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from aws import (
    FAKE_AWS_ENV,
    NOW,
    RequestCounter,
    alert_email,
    backtrace_fixtures,
    distinct_sources,
    forget_cached_clients,
    netfilter_lines,
    register_reporter,
    scoped_env,
)
from common import Figure

EMAILS = 200
LINES = 20
COMMAND = "python tests/bench/run.py --only bench_end_to_end"


def run(workdir: Path) -> list[Figure]:
    import boto3

    from probewatch.clock import frozen
    from probewatch.local import handlers
    from probewatch.local.moto_server import local_aws
    from probewatch.local.resources import create_stack

    sources = distinct_sources(100)
    emails = [
        alert_email(netfilter_lines(LINES, sources[(2 * n) % 100:(2 * n) % 100 + 2],
                                    NOW - timedelta(minutes=90 - n * 0.3), seed=n),
                    message_id=f"e2e-{n}@mail.example.net")
        for n in range(EMAILS)
    ]
    figures: list[Figure] = []
    with scoped_env(FAKE_AWS_ENV, drop=("AWS_ENDPOINT_URL",)), backtrace_fixtures() as (env, _d, _r), \
            local_aws():
        forget_cached_clients()
        boto3.DEFAULT_SESSION = None
        local = create_stack()
        with scoped_env({**local.env(), **env}), RequestCounter() as counter:
            forget_cached_clients()
            register_reporter(local.table_name)
            with frozen(NOW), counter.phase() as tally:
                started = time.perf_counter()
                for n, raw in enumerate(emails):
                    handlers.deliver_email(local, f"raw/e2e-{n:03d}", raw)
                handled = handlers.drain_ingest(local)
                wall = time.perf_counter() - started
            figures += _figures(f"ingest {EMAILS} emails", EMAILS, "emails", wall, tally, handled)
            forget_cached_clients()
        boto3.DEFAULT_SESSION = None
    return figures


def _figures(label: str, count: int, unit: str, wall: float, tally, handled: int) -> list[Figure]:
    aws = tally.call_seconds
    ours = max(wall - aws, 1e-9)
    calls = sum(tally.requests.values())
    return [
        Figure(f"{label}: throughput", f"{count / wall:.1f} {unit}/s ({wall:.1f} s, {handled} "
               f"handled)", "", None, COMMAND),
        Figure(f"{label}: time inside AWS calls (moto + botocore)",
               f"{aws:.1f} s of {wall:.1f} s ({aws / wall:.0%}; {calls} calls, "
               f"{1000 * aws / max(calls, 1):.1f} ms each)", "", None, COMMAND),
        Figure(f"{label}: throughput without the AWS calls", f"{count / ours:.1f} {unit}/s "
               f"(probewatch's own {ours:.1f} s)", "", None, COMMAND),
    ]
