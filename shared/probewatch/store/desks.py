"""What abuse desks and network owners asked of us: opt-outs, XARF opt-ins, their replies.

Keys come from keys.py:
* `OPTOUT/NET#<cidr>` and `OPTOUT/DOMAIN#<domain>`: a network or a domain that gets no report
  of any kind, with who decided ("reply", "complaint", "operator"), why and when. The list is
  small (one item per network owner that asked), so the send function reads the whole
  partition with one Query per report; never a Scan.
* `XARF/MBX#<email>` and `XARF/DOMAIN#<domain>`: mailboxes or whole domains that asked for
  the machine-readable XARF attachment (plain text stays the default).
* `INC#<id>/REPLY#<time>#<hash>`: a desk's reply to a report, next to the incident and its
  `SEND#` attempts, so one Query reads an incident's whole history.
* `RELAY#<email>/DAY#<date>`: how many desk replies were relayed to a reporter that day.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from probewatch.errors import StoreError
from probewatch.model import iso_z
from probewatch.store import keys
from probewatch.store.table import (
    condition_failed,
    dynamodb_call,
    dynamodb_table,
    take_daily_slot,
)

REPLY_TTL = timedelta(days=90)
RELAY_COUNTER_TTL = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class OptOut:
    kind: str  # "network" or "domain"
    value: str  # a CIDR or a registrable domain, lower case
    reason: str
    by: str  # "reply", "complaint", "operator"
    since: str  # ISO Z
    incident_id: str | None = None
    mailbox: str | None = None  # who asked, when it came by reply or complaint

    def covers_ip(self, ip: str) -> bool:
        if self.kind != "network":
            return False
        try:
            return ipaddress.ip_address(ip) in ipaddress.ip_network(self.value, strict=False)
        except ValueError:
            return False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "reason": self.reason,
            "by": self.by,
            "since": self.since,
            "incident_id": self.incident_id,
            "mailbox": self.mailbox,
        }


def put_optout(table_name: str, optout: OptOut) -> bool:
    """Store an opt-out; False (and nothing changed) when that network/domain had one already:
    the first request's reason and date stay."""
    item: dict[str, Any] = {
        keys.PK: keys.OPTOUT_PK,
        keys.SK: keys.optout_sk(optout.kind, optout.value),
        **{k: v for k, v in optout.to_json().items() if v is not None},
    }
    try:
        dynamodb_table(table_name).put_item(
            Item=item, ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
        )  # fmt: skip
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise StoreError(f"opt-out {optout.value}: {exc}") from exc
    return True


def remove_optout(table_name: str, kind: str, value: str) -> bool:
    """Lift an opt-out; False when there was none."""
    try:
        dynamodb_table(table_name).delete_item(
            Key={keys.PK: keys.OPTOUT_PK, keys.SK: keys.optout_sk(kind, value)},
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": keys.PK},
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise StoreError(f"opt-out {value}: {exc}") from exc
    return True


def list_optouts(table_name: str) -> list[OptOut]:
    """Every opt-out: one Query on the OPTOUT partition (paged)."""
    items = _query_all(table_name, keys.OPTOUT_PK)
    return [
        OptOut(
            kind=str(item.get("kind") or "domain"),
            value=str(item.get("value") or ""),
            reason=str(item.get("reason") or ""),
            by=str(item.get("by") or ""),
            since=str(item.get("since") or ""),
            incident_id=item.get("incident_id"),
            mailbox=item.get("mailbox"),
        )
        for item in items
    ]


def set_xarf(table_name: str, target: str, on: bool, when: datetime, by: str) -> None:
    """Opt a mailbox (has an @) or a domain in to (or out of) the XARF attachment."""
    key = {keys.PK: keys.XARF_PK, keys.SK: keys.xarf_sk(target)}
    if not on:
        dynamodb_call(dynamodb_table(table_name).delete_item, Key=key)
        return
    dynamodb_call(
        dynamodb_table(table_name).put_item,
        Item={**key, "target": target.lower(), "by": by, "since": iso_z(when)},
    )


def wants_xarf(table_name: str, mailbox: str, domain: str | None) -> bool:
    """Whether `mailbox`, or its whole `domain`, opted in to the XARF attachment."""
    targets = [mailbox] + ([domain] if domain else [])
    table = dynamodb_table(table_name)
    for target in targets:
        item = dynamodb_call(
            table.get_item, Key={keys.PK: keys.XARF_PK, keys.SK: keys.xarf_sk(target)}
        ).get("Item")
        if item:
            return True
    return False


def list_xarf(table_name: str) -> list[dict[str, Any]]:
    items = _query_all(table_name, keys.XARF_PK)
    return [{"target": i.get("target"), "by": i.get("by"), "since": i.get("since")} for i in items]


def put_incident_reply(
    table_name: str, incident_id: str, when: datetime, ident: str, data: dict[str, Any]
) -> None:
    """A desk's reply, kept with the incident (the same reply stored twice is one item)."""
    dynamodb_call(
        dynamodb_table(table_name).put_item,
        Item={
            keys.PK: keys.incident_pk(incident_id),
            keys.SK: keys.incident_reply_sk(iso_z(when) or "", ident),
            **data,
            "received_at": iso_z(when),
            keys.TTL: int((when + REPLY_TTL).timestamp()),
        },
    )


@dataclass(slots=True)
class IncidentHistory:
    attempts: list[dict[str, Any]]  # SEND# items: attempt, mailbox, status, claimed_at, ...
    replies: list[dict[str, Any]]  # REPLY# items: from, received_at, excerpt, command?, ...

    def sent_to(self) -> set[str]:
        """Mailboxes SES accepted a report for (lower case)."""
        return {
            str(a.get("mailbox", "")).lower() for a in self.attempts if a.get("status") == "sent"
        }


def incident_history(table_name: str, incident_id: str) -> IncidentHistory:
    """The incident's send attempts and desk replies: one Query on its partition."""
    items = _query_all(table_name, keys.incident_pk(incident_id))
    attempts, replies = [], []
    for item in items:
        sk = str(item.get(keys.SK, ""))
        clean = {k: _plain(v) for k, v in item.items() if k not in (keys.PK, keys.SK, keys.TTL)}
        if sk.startswith(keys.SEND_ATTEMPT_PREFIX):
            attempts.append(clean)
        elif sk.startswith(keys.INCIDENT_REPLY_PREFIX):
            replies.append(clean)
    return IncidentHistory(attempts=attempts, replies=replies)


def take_relay_slot(table_name: str, email: str, day: date, limit: int) -> bool:
    """Count one relayed desk reply to reporter `email` on `day`; False once `limit` is reached."""
    key = {keys.PK: keys.relay_limit_pk(email), keys.SK: keys.day_sk(day.isoformat())}
    return take_daily_slot(table_name, key, day, limit, "relays", RELAY_COUNTER_TTL)


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: ints stay ints."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _query_all(table_name: str, pk: str) -> list[dict[str, Any]]:
    """Every item of one partition (paged)."""
    table = dynamodb_table(table_name)
    query: dict[str, Any] = {
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": keys.PK},
        "ExpressionAttributeValues": {":pk": pk},
    }
    out: list[dict[str, Any]] = []
    while True:
        page = dynamodb_call(table.query, ConsistentRead=True, **query)
        out.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return out
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
