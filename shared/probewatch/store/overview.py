"""Questions about the whole table that the local stack and operators ask (never a Scan)."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key

from probewatch.store import keys
from probewatch.store.table import dynamodb_table


def count_active_sources(table_name: str) -> int:
    """Sources with new events or an open incident: the aggregate function's work list."""
    table = dynamodb_table(table_name)
    total = 0
    for shard in keys.all_active_shards():
        request = {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": Key(keys.GSI1PK).eq(shard),
            "Select": "COUNT",
        }
        while True:
            page = table.query(**request)
            total += int(page["Count"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return total
