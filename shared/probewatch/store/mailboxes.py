"""Report mailboxes: bounced or suppressed state, daily send counters, send attempts.

Keys come from keys.py: mailbox state `MBX#<email>/STATE` (in GSI1 `SUPPRESSED` while
suppressed, so the list is a Query), counters `MBX#<email>/DAY#<date>` and `SENDCAP/DAY#<date>`,
send attempts `INC#<id>/SEND#<n>` (the idempotency record of the send function) and
`MSG#<ses id>/MESSAGE` (which incident a sent message belongs to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from botocore.exceptions import ClientError

from probewatch.errors import AlreadyStored, StoreError
from probewatch.model import iso_z
from probewatch.store import keys
from probewatch.store.table import condition_failed, dynamodb_call, dynamodb_table

COUNTER_TTL = timedelta(days=3)
ATTEMPT_TTL = timedelta(days=90)

# Send attempt states: "sending" (intent recorded, SES not yet answered), "sent", "rejected"
# (SES refused for good), "skipped" (no usable mailbox), "retry" (failed before SES accepted it:
# a redelivery may claim it again).
RETRYABLE = "retry"


@dataclass(slots=True)
class MailboxState:
    email: str
    bad: bool = False
    bad_reason: str | None = None
    bad_at: str | None = None
    suppressed: bool = False
    suppressed_reason: str | None = None
    suppressed_by: str | None = None
    suppressed_at: str | None = None
    bounces: int = 0
    deliveries: int = 0
    last_delivery_at: str | None = None


def get_mailbox(table_name: str, email: str) -> MailboxState | None:
    item = dynamodb_call(
        dynamodb_table(table_name).get_item,
        Key=_mailbox_key(email),
        ConsistentRead=True,
    ).get("Item")
    return _mailbox_from_item(item) if item else None


def mark_bad(table_name: str, email: str, when: datetime, reason: str) -> None:
    """A permanent bounce: never mail this address again (until an operator lifts it)."""
    dynamodb_call(
        dynamodb_table(table_name).update_item,
        Key=_mailbox_key(email),
        UpdateExpression="SET email = :e, bad = :t, bad_reason = :r, bad_at = :w ADD bounces :one",
        ExpressionAttributeValues={
            ":e": email.lower(),
            ":t": True,
            ":r": reason,
            ":w": iso_z(when),
            ":one": 1,
        },
    )


def suppress(table_name: str, email: str, when: datetime, reason: str, by: str) -> None:
    """Never mail `email` again; `by` says who decided ("operator", "complaint")."""
    dynamodb_call(
        dynamodb_table(table_name).update_item,
        Key=_mailbox_key(email),
        UpdateExpression=(
            "SET email = :e, suppressed = :t, suppressed_reason = :r, suppressed_by = :b, "
            "suppressed_at = :w, #gpk = :gpk, #gsk = :e"
        ),
        ExpressionAttributeNames={"#gpk": keys.GSI1PK, "#gsk": keys.GSI1SK},
        ExpressionAttributeValues={
            ":e": email.lower(),
            ":t": True,
            ":r": reason,
            ":b": by,
            ":w": iso_z(when),
            ":gpk": keys.SUPPRESSED_INDEX_PK,
        },
    )


def unsuppress(table_name: str, email: str) -> bool:
    """Lift a suppression and a bad-mailbox mark. False when neither was set."""
    try:
        dynamodb_table(table_name).update_item(
            Key=_mailbox_key(email),
            UpdateExpression=(
                "SET suppressed = :f, bad = :f REMOVE suppressed_reason, suppressed_by, "
                "suppressed_at, bad_reason, bad_at, #gpk, #gsk"
            ),
            ConditionExpression="suppressed = :t OR bad = :t",
            ExpressionAttributeNames={"#gpk": keys.GSI1PK, "#gsk": keys.GSI1SK},
            ExpressionAttributeValues={":t": True, ":f": False},
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise StoreError(f"unsuppress {email}: {exc}") from exc
    return True


def list_suppressed(table_name: str) -> list[MailboxState]:
    """Every suppressed mailbox, by address: a Query on the sparse GSI1, never a Scan."""
    table = dynamodb_table(table_name)
    request: dict[str, Any] = {
        "IndexName": keys.GSI1,
        "KeyConditionExpression": f"{keys.GSI1PK} = :pk",
        "ExpressionAttributeValues": {":pk": keys.SUPPRESSED_INDEX_PK},
    }
    out: list[MailboxState] = []
    while True:
        page = dynamodb_call(table.query, **request)
        out.extend(_mailbox_from_item(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return out
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def record_delivery(table_name: str, email: str, when: datetime) -> None:
    dynamodb_call(
        dynamodb_table(table_name).update_item,
        Key=_mailbox_key(email),
        UpdateExpression="SET email = :e, last_delivery_at = :w ADD deliveries :one",
        ExpressionAttributeValues={":e": email.lower(), ":w": iso_z(when), ":one": 1},
    )


def take_send_slot(
    table_name: str, email: str, day: date, per_mailbox_cap: int, global_cap: int
) -> bool:
    """Count one report to `email` on `day`, against its cap and the global cap, atomically.

    False (and nothing counted) when either cap is reached: both counters move in one
    transaction, so a refused send never uses up a slot.
    """
    expires = int((datetime.combine(day, time.min, UTC) + COUNTER_TTL).timestamp())
    update = {
        "UpdateExpression": "ADD sends :one SET #ttl = :ttl",
        "ConditionExpression": "attribute_not_exists(sends) OR sends < :cap",
        "ExpressionAttributeNames": {"#ttl": keys.TTL},
    }
    items = [
        (keys.mailbox_pk(email), per_mailbox_cap),
        (keys.SENDCAP_PK, global_cap),
    ]
    client = dynamodb_table(table_name).meta.client
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table_name,
                        "Key": {keys.PK: pk, keys.SK: keys.day_sk(day.isoformat())},
                        **update,
                        "ExpressionAttributeValues": {":one": 1, ":cap": cap, ":ttl": expires},
                    }
                }
                for pk, cap in items
            ]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons") or []
            codes = {r.get("Code") for r in reasons}
            if not reasons or codes <= {"ConditionalCheckFailed", "None"}:
                return False
        raise StoreError(f"send counters for {email}: {exc}") from exc
    return True


def sends_today(table_name: str, email: str | None, day: date) -> int:
    """Reports counted on `day` for `email` (or for everyone when email is None)."""
    pk = keys.mailbox_pk(email) if email else keys.SENDCAP_PK
    item = dynamodb_call(
        dynamodb_table(table_name).get_item,
        Key={keys.PK: pk, keys.SK: keys.day_sk(day.isoformat())},
        ConsistentRead=True,
    ).get("Item")
    return int(item.get("sends", 0)) if item else 0


def claim_send_attempt(
    table_name: str, incident_id: str, attempt: int, mailbox: str, when: datetime
) -> None:
    """Record the intent to send attempt `attempt` BEFORE calling SES.

    Raises AlreadyStored when the attempt was claimed before (sent, rejected, or maybe in
    flight): the caller must not send. An attempt released with `release_send_attempt` may be
    claimed again.
    """
    try:
        dynamodb_table(table_name).put_item(
            Item={
                keys.PK: keys.incident_pk(incident_id),
                keys.SK: keys.send_attempt_sk(attempt),
                "incident_id": incident_id,
                "attempt": attempt,
                "mailbox": mailbox.lower(),
                "status": "sending",
                "claimed_at": iso_z(when),
                keys.TTL: int((when + ATTEMPT_TTL).timestamp()),
            },
            ConditionExpression="attribute_not_exists(#pk) OR #status = :retry",
            ExpressionAttributeNames={"#pk": keys.PK, "#status": "status"},
            ExpressionAttributeValues={":retry": RETRYABLE},
        )
    except ClientError as exc:
        if condition_failed(exc):
            raise AlreadyStored(f"send attempt {incident_id}/{attempt}") from exc
        raise StoreError(f"send attempt {incident_id}/{attempt}: {exc}") from exc


def finish_send_attempt(
    table_name: str,
    incident_id: str,
    attempt: int,
    status: str,
    when: datetime,
    message_id: str | None = None,
    error: str | None = None,
) -> None:
    """Store how an attempt ended; status RETRYABLE lets a redelivery claim it again."""
    names = {"#status": "status"}
    values: dict[str, Any] = {":s": status, ":w": iso_z(when)}
    sets = ["#status = :s", "finished_at = :w"]
    if message_id:
        sets.append("message_id = :m")
        values[":m"] = message_id
    if error:
        sets.append("#error = :err")
        names["#error"] = "error"
        values[":err"] = error[:500]
    dynamodb_call(
        dynamodb_table(table_name).update_item,
        Key={keys.PK: keys.incident_pk(incident_id), keys.SK: keys.send_attempt_sk(attempt)},
        UpdateExpression="SET " + ", ".join(sets),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def get_send_attempt(table_name: str, incident_id: str, attempt: int) -> dict[str, Any] | None:
    item = dynamodb_call(
        dynamodb_table(table_name).get_item,
        Key={keys.PK: keys.incident_pk(incident_id), keys.SK: keys.send_attempt_sk(attempt)},
        ConsistentRead=True,
    ).get("Item")
    if not item:
        return None
    return {
        k: (int(v) if k == "attempt" else v) for k, v in item.items() if k not in (keys.PK, keys.SK)
    }


def put_sent_message(
    table_name: str, message_id: str, incident_id: str, attempt: int, mailbox: str, when: datetime
) -> None:
    """Remember which incident an SES message id belongs to (replies quote only the id)."""
    dynamodb_call(
        dynamodb_table(table_name).put_item,
        Item={
            keys.PK: keys.sent_message_pk(message_id),
            keys.SK: keys.SENT_MESSAGE_SK,
            "incident_id": incident_id,
            "attempt": attempt,
            "mailbox": mailbox.lower(),
            "sent_at": iso_z(when),
            keys.TTL: int((when + ATTEMPT_TTL).timestamp()),
        },
    )


def get_sent_message(table_name: str, message_id: str) -> dict[str, Any] | None:
    item = dynamodb_call(
        dynamodb_table(table_name).get_item,
        Key={keys.PK: keys.sent_message_pk(message_id), keys.SK: keys.SENT_MESSAGE_SK},
    ).get("Item")
    if not item:
        return None
    return {
        "incident_id": str(item["incident_id"]),
        "attempt": int(item["attempt"]),
        "mailbox": str(item["mailbox"]),
        "sent_at": str(item["sent_at"]),
    }


def _mailbox_key(email: str) -> dict[str, str]:
    return {keys.PK: keys.mailbox_pk(email), keys.SK: keys.MAILBOX_STATE_SK}


def _mailbox_from_item(item: dict[str, Any]) -> MailboxState:
    return MailboxState(
        email=str(item.get("email") or item[keys.PK].removeprefix("MBX#")),
        bad=bool(item.get("bad", False)),
        bad_reason=item.get("bad_reason"),
        bad_at=item.get("bad_at"),
        suppressed=bool(item.get("suppressed", False)),
        suppressed_reason=item.get("suppressed_reason"),
        suppressed_by=item.get("suppressed_by"),
        suppressed_at=item.get("suppressed_at"),
        bounces=int(item.get("bounces", 0)),
        deliveries=int(item.get("deliveries", 0)),
        last_delivery_at=item.get("last_delivery_at"),
    )
