"""Aggregate scale: a run's DynamoDB requests must grow with the sources that have new
events, never with the table. One aggregate run (`probewatch.aggregate_run.run_aggregate`) is
measured three times on moto: a few active sources in a small table, the same sources (same
events) in a table ten times larger, and ten times as many active sources in the small table
(moto's Query sorts the whole table on every call, so a busy run on the large table would
take minutes of moto's time; the request counts do not depend on it).
Inactive history is written with the store's own functions (`store.events.put_events`, which
batch-writes `event_item`s; source state items keyed by `store.keys`); active sources get
their events and their flag the way ingest writes them (`put_events`, `mark_sources_active`).
Each run happens 30 minutes after the last event, so every active source opens an incident and
keeps collecting (finalizing adds the backtrace and the send queue: see bench dynamodb).

Scaled down from the issue's 100,000 events / 50,000 known / 1,000 active sources, because
moto's in-process DynamoDB stores under 1,000 items per second on this machine (loading
150,000 items would take minutes): the large table holds 10,000 events of 5,000 known
sources, the small one a tenth of that, and active sources are 20 and 200. The figure is a
request count, which moto does not change."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from aws import NOW, PORTS, REPORTER, Tally, moto_stack, register_reporter
from common import Figure

BIG_KNOWN, SMALL_KNOWN = 5_000, 500
HISTORY_EVENTS_PER_SOURCE = 2
FEW, MANY = 20, 200
COMMAND = "python tests/bench/run.py --only bench_aggregate"


def _ips(first_octet: int, count: int) -> list[str]:
    """`count` distinct addresses first_octet.x.y.z (z in 1..254)."""
    out = []
    for n in range(count):
        block, host = divmod(n, 254)
        out.append(f"{first_octet}.{block // 256}.{block % 256}.{host + 1}")
    return out


def _event(ip: str, when: Any, port: int, line: int) -> Any:
    from probewatch.model import ProbeEvent

    return ProbeEvent(
        time=when, src_ip=ip, src_port=40000 + line % 20000, dst_ip="203.0.113.7", dst_port=port,
        proto="TCP", action="block", format="netfilter", tcp_flags="SYN", reporter=REPORTER,
        line_no=line,
        raw=f"Nov 20 10:00:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= SRC={ip} DST=203.0.113.7 "
            f"LEN=44 TTL=241 PROTO=TCP SPT={40000 + line % 20000} DPT={port} SYN URGP=0",
    )


def load_history(table: str, ips: list[str]) -> None:
    """Known sources with old events and a state item that is off the ACTIVE list."""
    from probewatch.model import iso_z
    from probewatch.store import keys
    from probewatch.store.events import put_events
    from probewatch.store.table import dynamodb_table

    old = NOW - timedelta(days=5)
    events = [_event(ip, old + timedelta(minutes=n), PORTS[n], n)
              for ip in ips for n in range(HISTORY_EVENTS_PER_SOURCE)]
    put_events(table, events, "bench-history")
    with dynamodb_table(table).batch_writer() as batch:
        for ip in ips:
            batch.put_item(Item={keys.PK: keys.source_pk(ip), keys.SK: keys.SOURCE_STATE_SK,
                                 "src_ip": ip, "last_event": iso_z(old)})


def activate(table: str, ips: list[str]) -> None:
    """Three fresh events per source (three ports, ten minutes apart) and the ACTIVE flag."""
    from probewatch.store.events import mark_sources_active, put_events

    events = [_event(ip, NOW - timedelta(minutes=50 - 10 * n), PORTS[n], n)
              for ip in ips for n in range(3)]
    put_events(table, events, "bench-active")
    mark_sources_active(table, {ip: NOW - timedelta(minutes=30) for ip in ips}, NOW)


def run(workdir: Path) -> list[Figure]:
    from probewatch.aggregate_run import run_aggregate
    from probewatch.clock import frozen
    from probewatch.config import AggregateSettings, get_settings
    from probewatch.local.resources import create_stack

    few, many = _ips(45, FEW), _ips(46, MANY)
    results: dict[str, tuple[Tally, Any]] = {}
    seconds: dict[str, float] = {}
    with moto_stack() as (big, counter):
        small_table = create_stack(prefix="bench-small").table_name
        settings = get_settings(AggregateSettings)
        started = time.perf_counter()
        for table, known in ((small_table, SMALL_KNOWN), (big.table_name, BIG_KNOWN)):
            register_reporter(table)
            load_history(table, _ips(60, known))
        loaded = (SMALL_KNOWN + BIG_KNOWN) * (HISTORY_EVENTS_PER_SOURCE + 1)
        load_figure = Figure("history loaded into moto (both tables)", f"{loaded:,} items in "
                             f"{time.perf_counter() - started:.0f} s", "", None, COMMAND)
        for label, table, active in (("small table", small_table, few),
                                     ("large table", big.table_name, few),
                                     ("small table, 10x active", small_table, many)):
            activate(table, active)
            # No time budget: the run must process every due source to be comparable.
            run_settings = settings.model_copy(
                update={"table_name": table, "time_budget_seconds": 3600})
            with frozen(NOW), counter.phase() as tally:
                started = time.perf_counter()
                summary = run_aggregate(run_settings, NOW)
                seconds[label] = time.perf_counter() - started
            assert summary.processed == len(active), summary
            results[label] = (tally, summary)

    small, large, busy = (results[k][0] for k in results)
    per = {k: t.dynamodb() / results[k][1].processed for k, (t, _) in results.items()}
    size_ratio = large.dynamodb() / small.dynamodb()
    per_source_ratio = per["small table, 10x active"] / per["small table"]
    scans = sum(t.dynamodb("Scan") for t, _ in results.values())
    figures = [load_figure] + [
        Figure(label + f": {summary.processed} active of {known:,} known sources, "
               f"{events:,} events", f"{tally.dynamodb()} requests ({per[label]:.2f} per active "
               f"source: {tally.summary()}; {seconds[label]:.1f} s on moto)", "", None, COMMAND)
        for (label, (tally, summary)), known, events in zip(
            results.items(), (SMALL_KNOWN + FEW, BIG_KNOWN + FEW, SMALL_KNOWN + FEW + MANY),
            ((SMALL_KNOWN * 2 + FEW * 3), (BIG_KNOWN * 2 + FEW * 3),
             (SMALL_KNOWN * 2 + (FEW + MANY) * 3)), strict=True)
    ]
    figures += [
        Figure("same active sources, 10x the table: requests ratio", f"{size_ratio:.2f}x",
               "1.00x (+-10%)", abs(size_ratio - 1) <= 0.1, COMMAND),
        Figure("10x the active sources: requests per active source ratio",
               f"{per_source_ratio:.2f}x (total {busy.dynamodb() / small.dynamodb():.1f}x)",
               "1.00x (+-10%): linear in active sources", abs(per_source_ratio - 1) <= 0.1,
               COMMAND),
        Figure("Scan requests in the three runs", str(scans), "0", scans == 0, COMMAND),
    ]
    return figures
