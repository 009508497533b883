"""Reporter profiles, their activity log, pending confirmations and the reply limit.

Keys come from keys.py: profile `REP#<email>/PROFILE` (listed through GSI1 `REPORTERS`, a
Query, never a Scan), log lines `REP#<email>/LOG#<time>#<kind>#<id>` (one Query reads a day),
confirmation `REP#<email>/CONFIRM`, daily reply counter `REPLY#<email>/DAY#<date>`,
digest-sent marker `REP#<email>/DIGEST#<local date>`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from probewatch.errors import StoreError
from probewatch.model import Reporter, iso_z
from probewatch.store import keys
from probewatch.store.table import (
    condition_failed,
    dynamodb_call,
    dynamodb_table,
    take_daily_slot,
)

# Long enough for a month of digests to be rebuilt by hand, short enough to forget people.
LOG_TTL = timedelta(days=35)
# Reply counters only matter for their own day.
REPLY_COUNTER_TTL = timedelta(days=2)

_INT_FIELDS = {"mask_octets"}
_INT_LIST_FIELDS = {"isp_asns"}
_FLOAT_FIELDS = {"clock_offset_seconds"}  # DynamoDB numbers are Decimals, never floats


def reporter_to_item(reporter: Reporter) -> dict[str, Any]:
    email = reporter.email.lower()
    item = asdict(reporter)
    item["email"] = email
    # A string set, so ingest can ADD to it without reading the profile first.
    item["observed_sites"] = set(reporter.observed_sites) or None
    for name in _FLOAT_FIELDS:
        if item.get(name) is not None:
            item[name] = Decimal(str(item[name]))
    item.update(
        {
            keys.PK: keys.reporter_pk(email),
            keys.SK: keys.PROFILE_SK,
            keys.GSI1PK: keys.REPORTERS_INDEX_PK,
            keys.GSI1SK: email,
        }
    )
    return {name: value for name, value in item.items() if value is not None}


def reporter_from_item(item: dict[str, Any]) -> Reporter:
    """Rebuild a Reporter, ignoring attributes this version does not know."""
    values: dict[str, Any] = {}
    for f in fields(Reporter):
        if f.name not in item:
            continue
        value = item[f.name]
        if f.name in _INT_FIELDS:
            value = int(value)
        elif f.name in _FLOAT_FIELDS:
            value = float(value)
        elif f.name in _INT_LIST_FIELDS:
            value = [int(v) for v in value]
        elif isinstance(value, set | frozenset):  # string sets come back unordered
            value = sorted(str(v) for v in value)
        elif isinstance(value, list):
            value = [str(v) for v in value]
        values[f.name] = value
    return Reporter(**values)


def get_reporter(table_name: str, email: str) -> Reporter | None:
    item = dynamodb_call(
        dynamodb_table(table_name).get_item,
        Key={keys.PK: keys.reporter_pk(email), keys.SK: keys.PROFILE_SK},
    ).get("Item")
    return reporter_from_item(item) if item else None


def put_reporter(table_name: str, reporter: Reporter) -> None:
    dynamodb_call(dynamodb_table(table_name).put_item, Item=reporter_to_item(reporter))


def note_observed_sites(table_name: str, email: str, sites: set[str]) -> None:
    """Add networks the reporter's alerts were addressed to (see Reporter.observed_sites).

    One UpdateItem per email; only an existing profile is touched."""
    if not sites:
        return
    try:
        dynamodb_table(table_name).update_item(
            Key={keys.PK: keys.reporter_pk(email), keys.SK: keys.PROFILE_SK},
            UpdateExpression="ADD observed_sites :sites",
            ConditionExpression=f"attribute_exists({keys.PK})",
            ExpressionAttributeValues={":sites": set(sites)},
        )
    except ClientError as exc:
        if condition_failed(exc):
            return  # the profile is gone: nothing left to protect
        raise StoreError(f"observed sites for {email}: {exc}") from exc


def note_clock(
    table_name: str, email: str, offset_seconds: float, checked_at: datetime, basis: str
) -> None:
    """Remember the latest reliable measurement of the reporter's firewall clock (see
    Reporter.clock_offset_seconds). One UpdateItem; only an existing profile is touched."""
    try:
        dynamodb_table(table_name).update_item(
            Key={keys.PK: keys.reporter_pk(email), keys.SK: keys.PROFILE_SK},
            UpdateExpression="SET clock_offset_seconds = :o, clock_checked_at = :t, "
            "clock_basis = :b",
            ConditionExpression=f"attribute_exists({keys.PK})",
            ExpressionAttributeValues={
                ":o": Decimal(str(offset_seconds)),
                ":t": iso_z(checked_at),
                ":b": basis,
            },
        )
    except ClientError as exc:
        if condition_failed(exc):
            return
        raise StoreError(f"clock state for {email}: {exc}") from exc


def delete_reporter(table_name: str, email: str) -> bool:
    """Remove the profile (the log expires by itself). False when there was none."""
    result = dynamodb_call(
        dynamodb_table(table_name).delete_item,
        Key={keys.PK: keys.reporter_pk(email), keys.SK: keys.PROFILE_SK},
        ReturnValues="ALL_OLD",
    )
    return bool(result.get("Attributes"))


def list_reporters(table_name: str) -> list[Reporter]:
    """Every profile, ordered by email: one paginated Query on GSI1."""
    items = _query_all(
        table_name,
        IndexName=keys.GSI1,
        KeyConditionExpression=f"{keys.GSI1PK} = :pk",
        ExpressionAttributeValues={":pk": keys.REPORTERS_INDEX_PK},
    )
    # GSI reads are eventually consistent; re-read nothing, the digest can wait a second.
    return [reporter_from_item(item) for item in items]


def append_log(
    table_name: str, email: str, when: datetime, kind: str, ident: str, data: dict[str, Any]
) -> None:
    """Record one thing the digest will tell the reporter about.

    Idempotent: the same kind, ident and time (to the second) overwrite the same item, so a
    retried Lambda never lists a thing twice. `data` must be JSON-able (datetimes are turned
    into ISO strings); it is stored as one JSON string so floats need no Decimal dance.
    """
    time_iso = iso_z(when)
    assert time_iso is not None
    item = {
        keys.PK: keys.reporter_pk(email),
        keys.SK: keys.reporter_log_sk(time_iso, kind, ident),
        "time": time_iso,
        "kind": kind,
        "ident": ident,
        "data": json.dumps(data, default=_json_default, sort_keys=True),
        keys.TTL: int((when + LOG_TTL).timestamp()),
    }
    dynamodb_call(dynamodb_table(table_name).put_item, Item=item)


def read_log(table_name: str, email: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Log lines with since <= time < until, oldest first: `{time, kind, ident, data}`."""
    # "LOG#<until>" sorts before every "LOG#<until>#..." key, so BETWEEN is half-open here.
    items = _query_all(
        table_name,
        KeyConditionExpression=f"{keys.PK} = :pk AND {keys.SK} BETWEEN :lo AND :hi",
        ExpressionAttributeValues={
            ":pk": keys.reporter_pk(email),
            ":lo": keys.LOG_PREFIX + str(iso_z(since)),
            ":hi": keys.LOG_PREFIX + str(iso_z(until)),
        },
        ConsistentRead=True,
    )
    return [
        {
            "time": item["time"],
            "kind": item["kind"],
            "ident": item["ident"],
            "data": json.loads(item.get("data") or "{}"),
        }
        for item in items
    ]


def claim_digest(table_name: str, email: str, day: date) -> bool:
    """Mark the digest of the reporter's local calendar day `day` as being sent; False if a
    run (a retry, or an overlapping hourly run) already did. Keyed on the day alone, so no
    second digest for the same date goes out even if the reporter's zone changed."""
    try:
        dynamodb_table(table_name).put_item(
            Item={
                keys.PK: keys.reporter_pk(email),
                keys.SK: keys.digest_sent_sk(day.isoformat()),
                "day": day.isoformat(),
                keys.TTL: int((datetime.combine(day, time(), UTC) + LOG_TTL).timestamp()),
            },
            ConditionExpression=f"attribute_not_exists({keys.SK})",
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise StoreError(f"digest marker for {email}: {exc}") from exc
    return True


def release_digest(table_name: str, email: str, day: date) -> None:
    """Undo claim_digest after a failed send, so a retry sends it."""
    dynamodb_call(
        dynamodb_table(table_name).delete_item,
        Key={keys.PK: keys.reporter_pk(email), keys.SK: keys.digest_sent_sk(day.isoformat())},
    )


def put_confirmation(table_name: str, email: str, code: str, expires: datetime) -> None:
    """Remember the code a SUBSCRIBE reply carried; a newer SUBSCRIBE replaces it."""
    dynamodb_call(
        dynamodb_table(table_name).put_item,
        Item={
            keys.PK: keys.reporter_pk(email),
            keys.SK: keys.CONFIRM_SK,
            "code": code,
            "expires": iso_z(expires),
            keys.TTL: int(expires.timestamp()),
        },
    )


def get_confirmation(table_name: str, email: str, now: datetime) -> str | None:
    """The pending code, or None. TTL deletion is lazy, so expiry is checked here too."""
    item = dynamodb_call(
        dynamodb_table(table_name).get_item,
        Key={keys.PK: keys.reporter_pk(email), keys.SK: keys.CONFIRM_SK},
        ConsistentRead=True,
    ).get("Item")
    if not item or int(item.get(keys.TTL, 0)) <= now.timestamp():
        return None
    return str(item["code"])


def delete_confirmation(table_name: str, email: str) -> None:
    dynamodb_call(
        dynamodb_table(table_name).delete_item,
        Key={keys.PK: keys.reporter_pk(email), keys.SK: keys.CONFIRM_SK},
    )


def take_reply_slot(
    table_name: str, email: str, day: date, limit: int, *, counter: str = "replies"
) -> bool:
    """Count one reply to `email` on `day`; False (and nothing counted) once `limit` is reached.

    Shared by every automatic reply to a reporter, so together they never exceed the limit.
    Mail the reporter asked for in advance (review notices, `counter="notices"`) is counted
    on its own, so a busy review day cannot use up the replies to what they send.
    """
    key = {keys.PK: keys.reply_limit_pk(email), keys.SK: keys.day_sk(day.isoformat())}
    return take_daily_slot(table_name, key, day, limit, counter, REPLY_COUNTER_TTL)


def _query_all(table_name: str, **query: Any) -> list[dict[str, Any]]:
    table = dynamodb_table(table_name)
    items: list[dict[str, Any]] = []
    while True:
        page = dynamodb_call(table.query, **query)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON-able in a reporter log line: {type(value).__name__}")
