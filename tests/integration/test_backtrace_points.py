"""Issue 12's backtrace points against the loopback RDAP server and recorded answers.

Fixtures: tests/fixtures/rdap_points/ (written for these tests, shaped like real ARIN, RIPE
and LACNIC answers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from probewatch import cli
from probewatch.backtrace import Backtracer
from probewatch.backtrace.throttle import Throttle
from probewatch.local.dns_server import DnsServer
from probewatch.local.rdap_server import RdapServer
from probewatch.store.cache import DynamoBacktraceCache

pytestmark = pytest.mark.network

POINTS = Path(__file__).resolve().parents[1] / "fixtures" / "rdap_points"


class Clock:
    """A throttle clock that never sleeps."""

    now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def quick_throttle() -> Throttle:
    return Throttle(clock=Clock(), limits={})


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    with DnsServer({"records": {}}) as server:  # NXDOMAIN everywhere: only RDAP decides
        yield server


@pytest.fixture
def rdap() -> Iterator[RdapServer]:
    with RdapServer(POINTS) as server:
        yield server


def emails(result: Any) -> list[str]:
    return [c.email for c in result.contacts if c.source == "rdap"]


def test_a_broad_block_cached_this_run_never_answers_for_a_narrower_registration(
    aws_stack: Any, dns: DnsServer, rdap: RdapServer
) -> None:
    # An earlier run learned the customer's /24 and left it in DynamoDB.
    earlier = Backtracer(dns.address, rdap.url, DynamoBacktraceCache(aws_stack.table_name))
    assert emails(earlier.trace("81.2.69.5")) == ["abuse@customer-test.net"]
    # This run first meets the broad /8 (another address), then the customer's address.
    tracer = Backtracer(dns.address, rdap.url, DynamoBacktraceCache(aws_stack.table_name))
    assert emails(tracer.trace("81.9.9.9")) == ["abuse@broad-block-test.net"]
    rdap.reset_counts()
    result = tracer.trace("81.2.69.77")
    assert emails(result) == ["abuse@customer-test.net"]
    assert result.network["cidr"] == "81.2.69.0/24"
    assert rdap.requests["ip"] == 0  # answered by the durable cache, not the registry
    assert emails(tracer.trace("81.200.1.1")) == ["abuse@broad-block-test.net"]  # /8 still reused


def test_the_network_own_validated_abuse_poc_comes_before_the_org_unvalidated_one(
    dns: DnsServer, rdap: RdapServer
) -> None:
    tracer = Backtracer(dns.address, rdap.url)
    assert emails(tracer.trace("64.33.1.1")) == [
        "net-abuse@hill-test.net",
        "org-abuse@hill-test.net",
    ]
    assert emails(tracer.trace("64.34.1.1")) == ["abuse@river-test.net", "old-abuse@river-test.net"]


def test_lacnic_roles_in_one_string_are_split(dns: DnsServer, rdap: RdapServer) -> None:
    assert emails(Backtracer(dns.address, rdap.url).trace("200.45.3.3")) == [
        "abuse@telesur-test.com.ar"
    ]


def test_an_abuse_entity_without_an_email_is_followed_by_handle_or_self_link(
    dns: DnsServer, rdap: RdapServer
) -> None:
    tracer = Backtracer(dns.address, rdap.url)
    assert emails(tracer.trace("64.35.0.9")) == ["abuse@linked-test.net"]
    assert emails(tracer.trace("64.36.0.9")) == ["abuse@selflink-test.net"]
    # Always from the configured server, never from the host the self link names.
    assert "/entity/LNKAB-ARIN" in rdap.paths and "/entity/SLFAB-ARIN" in rdap.paths
    assert rdap.requests["entity"] == 2


class EntityFailingServer(RdapServer):
    """Answers networks; every entity request fails with a 500."""

    def answer(self, path: str) -> tuple[int, dict[str, Any] | None]:
        if path.startswith("/entity/"):
            with self._lock:
                self.paths.append(path)
                self.requests["failed"] += 1
            return 500, None
        return super().answer(path)


def test_a_failing_entity_fetch_costs_that_entity_only_and_is_not_cached(
    aws_stack: Any, dns: DnsServer
) -> None:
    durable = DynamoBacktraceCache(aws_stack.table_name)
    with EntityFailingServer(POINTS) as rdap:
        tracer = Backtracer(dns.address, rdap.url, durable, throttle=quick_throttle())
        result = tracer.trace("64.37.1.1")
        assert result.reportable and emails(result) == ["abuse@half-test.net"]
        assert rdap.requests["failed"] == 3  # the entity, tried three times; the IP did not fail
        tracer.trace("64.37.1.2")  # same run: the failed entity is not asked again
        assert rdap.requests["failed"] == 3
    # The incomplete answer was not written to DynamoDB: the next run asks the registry again.
    assert durable.get_network("64.37.1.1") is None


def test_cli_text_output_is_readable(
    dns: DnsServer, rdap: RdapServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["backtrace", "--text", "--dns-servers", dns.address, "--rdap-url", rdap.url]
    assert cli.main([*args, "64.34.1.1", "10.1.2.3"]) == 0
    public, private = capsys.readouterr().out.splitlines()
    assert "None" not in public
    assert public == (
        "64.34.1.1: 64.34.0.0/16 RIVER-TEST ARIN; no confirmed reverse DNS; "
        "abuse@river-test.net, old-abuse@river-test.net"
    )
    assert private == "10.1.2.3: not reportable (private)"


def test_cli_json_contract_is_unchanged(
    dns: DnsServer, rdap: RdapServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["backtrace", "--json", "--dns-servers", dns.address, "--rdap-url", rdap.url]
    assert cli.main([*args, "64.33.1.1"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert list(record) == ["ip", "reportable", "reason", "ptr", "domain", "network", "contacts"]
    assert record["contacts"][0] == {
        "email": "net-abuse@hill-test.net",
        "source": "rdap",
        "confidence": 0.9,
    }
