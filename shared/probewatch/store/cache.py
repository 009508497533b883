"""The durable backtrace cache in DynamoDB, with TTL.

RDAP answers live under `RDAP#<network>/RDAP` for every prefix of the network the registry
returned (see probewatch.backtrace.cache.storage_prefixes); looking up an IP is ONE
BatchGetItem of the keys of every prefix that could cover it, the most specific hit wins. PTR and Abusix answers live per
address under `PTR#<ip>/PTR`. Items carry `expires_at`; an expired item DynamoDB has not yet
deleted is treated as a miss. A cache that fails is a miss, never a failed backtrace.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from probewatch.backtrace.cache import Network, covering_prefixes, storage_prefixes
from probewatch.backtrace.rdap import RdapNetwork
from probewatch.clock import utcnow
from probewatch.observability import logger
from probewatch.store import keys
from probewatch.store.table import dynamodb_table

# Registries reassign networks rarely; a week keeps runs cheap and still notices changes.
NETWORK_TTL = timedelta(days=7)
# Reverse DNS and Abusix change more often and cost nothing to ask again.
HOST_TTL = timedelta(days=1)
_BATCH_GET_LIMIT = 100
_AWS_ERRORS = (ClientError, BotoCoreError)


class DynamoBacktraceCache:
    def __init__(
        self,
        table_name: str,
        network_ttl: timedelta = NETWORK_TTL,
        host_ttl: timedelta = HOST_TTL,
    ) -> None:
        self.table_name = table_name
        self.network_ttl = network_ttl
        self.host_ttl = host_ttl
        self.batch_gets = 0  # requests made, for tests and the bench

    @property
    def _client(self) -> Any:
        # The resource's client (de)serialises plain Python values, like the Table does.
        return dynamodb_table(self.table_name).meta.client

    # ------------------------------------------------------------ networks

    def get_network(self, ip: str) -> RdapNetwork | None:
        prefixes = covering_prefixes(ip)  # longest first
        found = self.get_networks(prefixes)
        return next((found[prefix] for prefix in prefixes if prefix in found), None)

    def get_networks(self, prefixes: list[Network]) -> dict[Network, RdapNetwork]:
        """The cached answers stored under these exact keys, 100 keys per BatchGetItem."""
        by_pk = {keys.rdap_cache_pk(prefix): prefix for prefix in prefixes}
        pks = list(by_pk)
        found: dict[Network, RdapNetwork] = {}
        for start in range(0, len(pks), _BATCH_GET_LIMIT):
            items = self._batch_get(pks[start : start + _BATCH_GET_LIMIT], keys.RDAP_SK)
            for pk, item in items.items():
                found[by_pk[pk]] = RdapNetwork.from_dict(json.loads(item["answer"]))
        return found

    def put_network(self, network: RdapNetwork, ip: str) -> None:
        answer = json.dumps(network.to_dict(), sort_keys=True)
        expires = self._expiry(self.network_ttl)
        try:
            with dynamodb_table(self.table_name).batch_writer(
                overwrite_by_pkeys=[keys.PK, keys.SK]
            ) as batch:
                for prefix in storage_prefixes(network, ip):
                    batch.put_item(
                        Item={
                            keys.PK: keys.rdap_cache_pk(prefix),
                            keys.SK: keys.RDAP_SK,
                            "answer": answer,
                            keys.TTL: expires,
                        }
                    )
        except _AWS_ERRORS as exc:
            logger.warning("backtrace cache write failed", extra={"ip": ip, "error": str(exc)})

    # ------------------------------------------------------------ hosts (PTR, Abusix)

    def get_host(self, ip: str) -> dict[str, Any] | None:
        return self.get_hosts([ip]).get(ip)

    def get_hosts(self, ips: list[str]) -> dict[str, dict[str, Any]]:
        """Cached host answers for many addresses, 100 keys per BatchGetItem."""
        by_pk = {keys.ptr_cache_pk(ip): ip for ip in ips}
        found: dict[str, dict[str, Any]] = {}
        pks = list(by_pk)
        for start in range(0, len(pks), _BATCH_GET_LIMIT):
            items = self._batch_get(pks[start : start + _BATCH_GET_LIMIT], keys.PTR_SK)
            for pk, item in items.items():
                found[by_pk[pk]] = json.loads(item["answer"])
        return found

    def put_host(self, ip: str, answer: dict[str, Any]) -> None:
        self.put_hosts({ip: answer})

    def put_hosts(self, answers: dict[str, dict[str, Any]]) -> None:
        """Store host answers, 25 per BatchWriteItem."""
        if not answers:
            return
        expires = self._expiry(self.host_ttl)
        try:
            with dynamodb_table(self.table_name).batch_writer(
                overwrite_by_pkeys=[keys.PK, keys.SK]
            ) as batch:
                for ip, answer in answers.items():
                    batch.put_item(
                        Item={
                            keys.PK: keys.ptr_cache_pk(ip),
                            keys.SK: keys.PTR_SK,
                            "answer": json.dumps(answer, sort_keys=True),
                            keys.TTL: expires,
                        }
                    )
        except _AWS_ERRORS as exc:
            logger.warning(
                "backtrace cache write failed", extra={"hosts": len(answers), "error": str(exc)}
            )

    # ------------------------------------------------------------ helpers

    def _batch_get(self, pks: list[str], sk: str) -> dict[str, dict[str, Any]]:
        """Items by PK (at most 100 keys), unexpired only; unprocessed keys are retried."""
        request: dict[str, Any] = {
            self.table_name: {
                "Keys": [{keys.PK: pk, keys.SK: sk} for pk in pks],
                "ProjectionExpression": "#pk, answer, #ttl",
                "ExpressionAttributeNames": {"#pk": keys.PK, "#ttl": keys.TTL},
            }
        }
        now = int(utcnow().timestamp())
        found: dict[str, dict[str, Any]] = {}
        try:
            for _round in range(5):
                self.batch_gets += 1
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    if int(item.get(keys.TTL, 0)) > now:
                        found[item[keys.PK]] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        except _AWS_ERRORS as exc:
            logger.warning("backtrace cache read failed", extra={"error": str(exc)})
        return found

    @staticmethod
    def _expiry(ttl: timedelta) -> int:
        return int((utcnow() + ttl).timestamp())
