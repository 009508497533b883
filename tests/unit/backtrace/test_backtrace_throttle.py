"""Throttling, retries and the circuit breaker, on a fake clock: nothing here really sleeps."""

from __future__ import annotations

import io
import urllib.error
from email.message import Message
from typing import Any

import pytest

from probewatch.backtrace.rdap import RdapClient
from probewatch.backtrace.throttle import PUBLISHED_LIMITS, Limit, Throttle, TransientError
from probewatch.errors import LookupFailed


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_strict_registries_get_the_lowest_limits() -> None:
    strict = max(PUBLISHED_LIMITS["LACNIC"].rate, PUBLISHED_LIMITS["RIPE"].rate)
    assert strict < min(PUBLISHED_LIMITS["ARIN"].rate, PUBLISHED_LIMITS["APNIC"].rate)


def test_token_bucket_spaces_requests_after_the_burst() -> None:
    clock = FakeClock()
    throttle = Throttle(clock=clock, limits={"RIPE": Limit(rate=2.0, burst=2)})
    for _ in range(4):
        throttle.call("RIPE", lambda: "ok")
    assert clock.sleeps == pytest.approx([0.5, 0.5])


def test_buckets_are_per_registry() -> None:
    clock = FakeClock()
    throttle = Throttle(clock=clock, limits={"RIPE": Limit(1.0, 1), "ARIN": Limit(1.0, 1)})
    throttle.call("RIPE", lambda: 1)
    throttle.call("ARIN", lambda: 1)
    assert clock.sleeps == []


def test_a_wait_longer_than_max_wait_fails_the_lookup_instead_of_stalling() -> None:
    clock = FakeClock()
    throttle = Throttle(clock=clock, limits={"LACNIC": Limit(rate=1 / 60, burst=1)}, max_wait=5)
    throttle.call("LACNIC", lambda: 1)
    with pytest.raises(LookupFailed, match="rate limit"):
        throttle.call("LACNIC", lambda: 1)
    assert clock.sleeps == []


def test_transient_failures_are_retried_with_exponential_backoff() -> None:
    clock = FakeClock()
    throttle = Throttle(clock=clock, limits={}, attempts=3, base_delay=0.5)
    outcomes: list[Any] = [TransientError("503"), TransientError("timeout"), "answer"]

    def request() -> Any:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert throttle.call("custom", request) == "answer"
    assert clock.sleeps == pytest.approx([0.5, 1.0])


def test_exhausted_retries_raise_lookup_failed() -> None:
    throttle = Throttle(clock=FakeClock(), limits={}, attempts=2)

    def broken() -> None:
        raise TransientError("HTTP 503")

    with pytest.raises(LookupFailed, match="503"):
        throttle.call("custom", broken)


def test_retry_after_is_honoured_and_a_long_one_defers_to_the_next_run() -> None:
    clock = FakeClock()
    throttle = Throttle(clock=clock, limits={}, attempts=2, base_delay=0.1, max_wait=10)
    calls = iter([TransientError("429", retry_after=3), "ok"])

    def request() -> Any:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert throttle.call("custom", request) == "ok"
    assert clock.sleeps == [3]

    def too_long() -> None:
        raise TransientError("429", retry_after=3600)

    with pytest.raises(LookupFailed, match="next run"):
        throttle.call("custom", too_long)


def test_circuit_breaker_opens_then_lets_a_probe_through_after_cooldown() -> None:
    clock = FakeClock()
    throttle = Throttle(
        clock=clock, limits={}, attempts=1, breaker_threshold=3, breaker_cooldown=60
    )
    sent: list[int] = []

    def failing() -> None:
        sent.append(1)
        raise TransientError("timeout")

    for _ in range(3):
        with pytest.raises(LookupFailed):
            throttle.call("RIPE", failing)
    with pytest.raises(LookupFailed, match="circuit open"):
        throttle.call("RIPE", failing)
    assert len(sent) == 3  # the open breaker sent nothing
    assert throttle.call("ARIN", lambda: "fine") == "fine"  # other registries unaffected
    clock.now += 61
    assert throttle.call("RIPE", lambda: "back") == "back"
    assert not throttle.breaker("RIPE").is_open


def _http_error(code: int, headers: dict[str, str] | None = None) -> urllib.error.HTTPError:
    message = Message()
    for name, value in (headers or {}).items():
        message[name] = value
    return urllib.error.HTTPError(
        "http://rdap.test/ip/1.2.3.4", code, "err", message, io.BytesIO(b"{}")
    )


class FakeOpener:
    """Stands in for urllib.request.urlopen: returns bodies or raises HTTP errors in turn."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.urls: list[str] = []

    def __call__(self, request: Any, timeout: float) -> Any:
        self.urls.append(request.full_url)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return io.BytesIO(outcome.encode())


NETWORK = '{"handle": "N", "startAddress": "81.2.69.0", "endAddress": "81.2.69.255", "ipVersion": "v4", "port43": "whois.ripe.net"}'


def test_rdap_client_retries_a_503_and_parses_the_answer() -> None:
    opener = FakeOpener(_http_error(503), NETWORK)
    client = RdapClient("http://rdap.test/", throttle=Throttle(clock=FakeClock()), opener=opener)
    network = client.lookup("81.2.69.10")
    assert network is not None and network.cidrs == ["81.2.69.0/24"] and network.rir == "RIPE"
    assert opener.urls == ["http://rdap.test/ip/81.2.69.10"] * 2
    assert client.requests["ip"] == 2


def test_rdap_404_means_no_record_not_a_failure() -> None:
    client = RdapClient(
        "http://rdap.test",
        throttle=Throttle(clock=FakeClock()),
        opener=FakeOpener(_http_error(404)),
    )
    assert client.lookup("81.2.69.10") is None


def test_rdap_persistent_errors_raise_lookup_failed() -> None:
    opener = FakeOpener(*[_http_error(502)] * 3)
    client = RdapClient("http://rdap.test", throttle=Throttle(clock=FakeClock()), opener=opener)
    with pytest.raises(LookupFailed):
        client.lookup("81.2.69.10")


BOOTSTRAP = (
    '{"services": [[["45.0.0.0/8", "185.0.0.0/8"], ["https://rdap.db.ripe.net/"]],'
    ' [["23.0.0.0/8"], ["http://rdap.arin.net/registry/", "https://rdap.arin.net/registry/"]]]}'
)


def test_without_rdap_url_the_iana_bootstrap_picks_the_registry_and_its_limits() -> None:
    opener = FakeOpener(BOOTSTRAP, NETWORK.replace("81.2.69", "45.155.205"))
    clock = FakeClock()
    client = RdapClient(None, throttle=Throttle(clock=clock), opener=opener)
    network = client.lookup("45.155.205.233")
    assert opener.urls == [
        "https://data.iana.org/rdap/ipv4.json",
        "https://rdap.db.ripe.net/ip/45.155.205.233",
    ]
    assert network is not None and network.rir == "RIPE"
    # The request was paid from the RIPE bucket, not the generous default one.
    assert client.throttle.bucket("RIPE").tokens < PUBLISHED_LIMITS["RIPE"].burst
