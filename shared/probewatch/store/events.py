"""Probe events and the per-source "has new activity" flag.

Events: `SRC#<ip> / EVT#<time>#<event id>` (keys.py), written with BatchWriteItem. The event
id is derived from the submission id, line number and raw line, so writing the same email's
events again overwrites the same items: a retried batch stores nothing twice.

Source state: `SRC#<ip> / STATE` carries GSI1PK = active shard and GSI1SK = newest event time
while the source has unprocessed events; the aggregate function finds its work through that
sparse index. One UpdateItem per distinct source, not per event. `last_ingest` says when
events last arrived, so the aggregator can clear the flag only if nothing arrived since it read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from probewatch.model import ProbeEvent, iso_z, parse_iso
from probewatch.store import keys
from probewatch.store.table import condition_failed, dynamodb_table

# Events matter for the 72-hour report window plus the 7-day quiet period after a report.
EVENT_TTL = timedelta(days=14)
MAX_RAW_CHARS = 4000  # a log line longer than this is not a log line worth keeping whole


def event_item(event: ProbeEvent, submission_id: str) -> dict[str, Any]:
    """The stored form of a timed event (events without a time are never stored)."""
    if event.time is None:
        raise ValueError("an event without a time cannot be stored")
    time_iso = iso_z(event.time)
    assert time_iso is not None
    item: dict[str, Any] = {
        keys.PK: keys.source_pk(event.src_ip),
        keys.SK: keys.event_sk(time_iso, event.event_id(submission_id)),
        "time": time_iso,
        "src_ip": event.src_ip,
        "src_port": event.src_port,
        "dst_ip": event.dst_ip,
        "dst_port": event.dst_port,
        "proto": event.proto,
        "action": event.action,
        "format": event.format,
        "raw": event.raw[:MAX_RAW_CHARS],
        "tcp_flags": event.tcp_flags,
        "reporter": event.reporter,
        "evidence": event.evidence,
        "line_no": event.line_no,
        "direction": getattr(event, "direction", None),
        "submission_id": submission_id,
        keys.TTL: int((event.time + EVENT_TTL).timestamp()),
    }
    return {name: value for name, value in item.items() if value is not None}


def event_from_item(item: dict[str, Any]) -> ProbeEvent:
    def number(name: str) -> int | None:
        value = item.get(name)
        return int(value) if value is not None else None

    return ProbeEvent(
        time=parse_iso(item.get("time")),
        src_ip=str(item["src_ip"]),
        src_port=number("src_port"),
        dst_ip=item.get("dst_ip"),
        dst_port=number("dst_port"),
        proto=str(item.get("proto", "")),
        action=item.get("action", "unknown"),
        format=str(item.get("format", "")),
        raw=str(item.get("raw", "")),
        tcp_flags=item.get("tcp_flags"),
        reporter=item.get("reporter"),
        evidence=item.get("evidence"),
        line_no=number("line_no"),
        direction=item.get("direction"),
    )


def put_events(table_name: str, events: Iterable[ProbeEvent], submission_id: str) -> int:
    """Write events in batches of 25 (boto3 resends unprocessed items). Returns how many
    distinct items were written. Throttling that outlasts boto3's retries raises ClientError,
    which the caller lets through so SQS retries the whole email."""
    written: set[tuple[str, str]] = set()
    # Items are built as they are sent, never all at once: a 10 MB log is ~45,000 of them.
    # One request may not repeat a key: the writer keeps the last item of a key in its buffer
    # (a later batch simply overwrites it, so the last one wins either way).
    with dynamodb_table(table_name).batch_writer(overwrite_by_pkeys=[keys.PK, keys.SK]) as batch:
        for event in events:
            item = event_item(event, submission_id)
            written.add((item[keys.PK], item[keys.SK]))
            batch.put_item(Item=item)
    return len(written)


def mark_sources_active(table_name: str, newest: dict[str, datetime], now: datetime) -> None:
    """Flag each source (ip -> its newest event time) for the aggregate run."""
    table = dynamodb_table(table_name)
    now_iso = iso_z(now)
    for ip, moment in newest.items():
        key = {keys.PK: keys.source_pk(ip), keys.SK: keys.SOURCE_STATE_SK}
        names = {"#pk": keys.GSI1PK, "#sk": keys.GSI1SK}
        try:
            table.update_item(
                Key=key,
                UpdateExpression=(
                    "SET #pk = :shard, #sk = :last, last_event = :last, src_ip = :ip, "
                    "last_ingest = :now"
                ),
                ConditionExpression="attribute_not_exists(last_event) OR last_event <= :last",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":shard": keys.active_shard(ip),
                    ":last": iso_z(moment),
                    ":ip": ip,
                    ":now": now_iso,
                },
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise
            # Older events than the newest already known: still new work for the aggregator,
            # which sorts its work by the newest event time, so that stays the index key.
            known = table.get_item(Key=key, ConsistentRead=True)["Item"]["last_event"]
            table.update_item(
                Key=key,
                UpdateExpression="SET #pk = :shard, #sk = :last, last_ingest = :now",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":shard": keys.active_shard(ip),
                    ":last": known,
                    ":now": now_iso,
                },
            )


def query_events(table_name: str, ip: str, since: datetime, until: datetime) -> list[ProbeEvent]:
    """Events of one source with since <= time < until, oldest first (one paginated Query)."""
    table = dynamodb_table(table_name)
    request: dict[str, Any] = {
        "KeyConditionExpression": Key(keys.PK).eq(keys.source_pk(ip))
        & Key(keys.SK).between(
            keys.EVENT_PREFIX + str(iso_z(since)), keys.EVENT_PREFIX + str(iso_z(until))
        ),
    }
    found: list[ProbeEvent] = []
    while True:
        page = table.query(**request)
        found.extend(event_from_item(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
