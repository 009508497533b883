"""Incidents, a source's event window and the aggregate's work lists (keys in keys.py).

* `INC#<id>/INCIDENT`: the incident, its fields as one JSON document plus `status`/`version`
  at top level for conditions. Every save expects the version it read (optimistic lock), so
  two writers (overlapping aggregate runs, the send function, a CANCEL) never both win.
* `SRC#<ip>/INCIDENT`: which incident is the source's current one. It sorts between the
  source's events (`EVT#...`) and its `STATE` item, so ONE Query returns the 72-hour window
  and the pointer.
* Work lists on GSI1: `ACTIVE#<n>` (source STATE items the ingest stage marks, GSI1SK = when
  to look next) and `CLOSING` (final incidents, GSI1SK = when they close). Both are read
  with `GSI1SK <= now`, so a run pays only for work that is due. Never a Scan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from probewatch.errors import StoreError
from probewatch.model import Contact, EvidenceLine, Incident, ProbeEvent, iso_z, parse_iso
from probewatch.store import keys
from probewatch.store.events import event_from_item
from probewatch.store.table import condition_failed, dynamodb_call, dynamodb_table

# Incidents outlive their 72-hour window by far: the digest and abuse-desk replies refer to
# them for weeks. After this they expire.
INCIDENT_TTL = timedelta(days=90)

_DATETIME_FIELDS = {f.name for f in fields(Incident) if "datetime" in str(f.type)}


class IncidentChanged(StoreError):
    """Someone saved the incident (or created it) since it was read: reload and decide again."""


@dataclass
class SourceWindow:
    """A source's stored events (time order) and the id of its current incident."""

    events: list[ProbeEvent] = field(default_factory=list)
    incident_id: str | None = None


@dataclass(frozen=True)
class DueItem:
    """An entry of a GSI1 work list: whose turn it is, and the GSI1SK seen (for conditions)."""

    key: str  # the source IP (ACTIVE lists) or the incident id (CLOSING)
    due: str
    last_ingest: str | None = None  # when the ingest stage last flagged the source


# --- incidents ---------------------------------------------------------------------------


def incident_to_item(incident: Incident) -> dict[str, Any]:
    from probewatch.aggregate import close_due  # the closing rule lives with the others

    document = asdict(incident)
    for name in _DATETIME_FIELDS:
        document[name] = iso_z(document[name])
    item: dict[str, Any] = {
        keys.PK: keys.incident_pk(incident.incident_id),
        keys.SK: keys.INCIDENT_SK,
        "incident_id": incident.incident_id,
        "src_ip": incident.src_ip,
        "status": incident.status,
        "version": incident.version,
        "document": json.dumps(document, sort_keys=True),
    }
    closes = close_due(incident) if incident.status != "closed" else None
    if closes is not None:
        item[keys.GSI1PK] = keys.CLOSING_INDEX_PK
        item[keys.GSI1SK] = iso_z(closes)
    newest = incident.last_activity or incident.last_seen
    item[keys.TTL] = int((newest + INCIDENT_TTL).timestamp())
    return item


def incident_from_item(item: dict[str, Any]) -> Incident:
    """Rebuild an Incident; attributes this version does not know are ignored."""
    document = json.loads(item["document"])
    known = {f.name for f in fields(Incident)}
    values = {name: value for name, value in document.items() if name in known}
    for name in _DATETIME_FIELDS & values.keys():
        values[name] = parse_iso(values[name])
    values["evidence_lines"] = [EvidenceLine(**line) for line in values.get("evidence_lines", [])]
    values["contacts"] = [Contact(**c) for c in values.get("contacts", [])]
    values["status"] = item.get("status", values.get("status"))
    values["version"] = int(item.get("version", values.get("version", 0)))
    return Incident(**values)


def get_incident(table_name: str, incident_id: str) -> Incident | None:
    item = dynamodb_call(
        dynamodb_table(table_name).get_item,
        Key={keys.PK: keys.incident_pk(incident_id), keys.SK: keys.INCIDENT_SK},
        ConsistentRead=True,
    ).get("Item")
    return incident_from_item(item) if item else None


def save_incident(table_name: str, incident: Incident) -> None:
    """Write the incident if nobody saved it since it was read (`incident.version`), and bump
    the version in place. Version 0 means "new": it must not exist yet.

    Raises IncidentChanged when the check fails; nothing is written then.
    """
    if incident.version == 0:
        condition = "attribute_not_exists(PK)"
        values: dict[str, Any] = {}
    else:
        condition = "version = :expected"
        values = {":expected": incident.version}
    incident.version += 1
    try:
        request: dict[str, Any] = {
            "Item": incident_to_item(incident),
            "ConditionExpression": condition,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        dynamodb_table(table_name).put_item(**request)
    except ClientError as exc:
        incident.version -= 1
        if condition_failed(exc):
            raise IncidentChanged(f"incident {incident.incident_id} changed meanwhile") from exc
        raise StoreError(f"save incident {incident.incident_id}: {exc}") from exc


def set_current_incident(table_name: str, ip: str, incident_id: str) -> None:
    dynamodb_call(
        dynamodb_table(table_name).put_item,
        Item={
            keys.PK: keys.source_pk(ip),
            keys.SK: keys.SOURCE_INCIDENT_SK,
            "incident_id": incident_id,
        },
    )


# --- a source's window -------------------------------------------------------------------


def load_source_window(table_name: str, ip: str, since: datetime) -> SourceWindow:
    """Every stored event of `ip` at or after `since`, and its current incident id: one Query
    (paginated only past 1 MB), strongly consistent so a second run sees the first's pointer."""
    window = SourceWindow()
    query: dict[str, Any] = {
        "KeyConditionExpression": f"{keys.PK} = :pk AND {keys.SK} BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {
            ":pk": keys.source_pk(ip),
            ":lo": keys.EVENT_PREFIX + str(iso_z(since)),
            ":hi": keys.SOURCE_INCIDENT_SK,
        },
        "ConsistentRead": True,
    }
    for item in _query_all(table_name, query):
        sort_key = str(item[keys.SK])
        if sort_key == keys.SOURCE_INCIDENT_SK:
            window.incident_id = str(item["incident_id"])
        elif sort_key.startswith(keys.EVENT_PREFIX):
            event = event_from_item(item)  # the ingest stage's own decoder
            if event.time is not None:
                window.events.append(event)
    return window


def load_source_events(
    table_name: str, ip: str, since: datetime, until: datetime
) -> list[ProbeEvent]:
    """The source's events with since <= time <= until, oldest first (one Query)."""
    return [
        e
        for e in load_source_window(table_name, ip, since).events
        if e.time is not None and e.time <= until
    ]


# --- work lists --------------------------------------------------------------------------


def due_sources(table_name: str, now: datetime) -> Iterator[DueItem]:
    """Sources whose turn has come, shard by shard, oldest due first within a shard."""
    for shard in keys.all_active_shards():
        for item in _due(table_name, shard, now):
            pk = str(item[keys.PK])
            if str(item[keys.SK]) == keys.SOURCE_STATE_SK and pk.startswith("SRC#"):
                ingest = item.get("last_ingest")
                yield DueItem(
                    pk.removeprefix("SRC#"),
                    str(item[keys.GSI1SK]),
                    str(ingest) if ingest is not None else None,
                )


def due_closings(table_name: str, now: datetime) -> Iterator[DueItem]:
    for item in _due(table_name, keys.CLOSING_INDEX_PK, now):
        yield DueItem(str(item["incident_id"]), str(item[keys.GSI1SK]))


def set_next_look(table_name: str, seen: DueItem, next_due: datetime | None) -> bool:
    """Move the source's place in the ACTIVE list to `next_due`, or take it off the list
    (None), only if the ingest stage flagged nothing since we read `seen` (it moves GSI1SK
    and `last_ingest`; then the source simply stays due). False when that happened."""
    table = dynamodb_table(table_name)
    names = {"#pk": keys.GSI1PK, "#sk": keys.GSI1SK}
    values: dict[str, Any] = {":seen": seen.due}
    condition = "#sk = :seen AND "
    if seen.last_ingest is None:
        condition += "attribute_not_exists(last_ingest)"
    else:
        condition += "last_ingest = :ingest"
        values[":ingest"] = seen.last_ingest
    if next_due is None:
        update = "REMOVE #pk, #sk"
    else:
        update = "SET #sk = :next"
        values[":next"] = iso_z(next_due)
        names.pop("#pk")  # DynamoDB refuses unused names
    try:
        table.update_item(
            Key={keys.PK: keys.source_pk(seen.key), keys.SK: keys.SOURCE_STATE_SK},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise StoreError(f"source state {seen.key}: {exc}") from exc
    return True


def clear_active(table_name: str, seen: DueItem) -> bool:
    """Take the source off the ACTIVE list (nothing pending) unless new events arrived."""
    return set_next_look(table_name, seen, None)


def claim_dedupe(
    table_name: str, ip: str, mailbox: str, incident_id: str, now: datetime, window: timedelta
) -> bool:
    """Record "reported `ip` to `mailbox`" for `window`; False when another incident did so
    inside the window already. Idempotent for the same incident (a retried run)."""
    try:
        dynamodb_table(table_name).put_item(
            Item={
                keys.PK: keys.dedupe_pk(ip, mailbox),
                keys.SK: keys.DEDUPE_SK,
                "incident_id": incident_id,
                "reported_at": iso_z(now),
                keys.TTL: int((now + window).timestamp()),
            },
            # TTL deletion is lazy: an expired item counts as absent.
            ConditionExpression="attribute_not_exists(PK) OR #ttl < :now OR incident_id = :id",
            ExpressionAttributeNames={"#ttl": keys.TTL},
            ExpressionAttributeValues={":now": int(now.timestamp()), ":id": incident_id},
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise StoreError(f"dedupe {ip} -> {mailbox}: {exc}") from exc
    return True


# --- helpers -----------------------------------------------------------------------------


def _due(table_name: str, partition: str, now: datetime) -> Iterator[dict[str, Any]]:
    query: dict[str, Any] = {
        "IndexName": keys.GSI1,
        "KeyConditionExpression": f"{keys.GSI1PK} = :pk AND {keys.GSI1SK} <= :now",
        "ExpressionAttributeValues": {":pk": partition, ":now": iso_z(now)},
    }
    yield from _query_all(table_name, query)


def _query_all(table_name: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
    table = dynamodb_table(table_name)
    while True:
        page = dynamodb_call(table.query, **query)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        query = {**query, "ExclusiveStartKey": page["LastEvaluatedKey"]}
