"""Fault injection for the reliability tests and bench: the real handlers on moto, faults via
botocore's event hooks on the very clients the functions use, and the loopback RDAP/DNS servers.

- AWS errors: a `before-call.<service>.<Operation>` handler returns an error response, so the
  real boto3 call raises the real ClientError subclass without reaching moto (as after
  botocore's own retries gave up). Timeouts raise botocore's ReadTimeoutError there.
- UnprocessedItems: BatchWriteItem answers "nothing processed" without writing anything.
- A killed function: an `after-call` handler raises `Killed` (a BaseException, like the
  runtime ending the process), so nothing after that AWS call runs and the batch gets no answer.
- RDAP 429/500: `RdapServer.fail_next`; RDAP timeouts: a server that holds answers past the
  client's deadline; DNS SERVFAIL: the loopback DNS server answers SERVFAIL for a while.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from dnslib import RCODE

from probewatch.aws_clients import aws_client
from probewatch.local.dns_server import DnsServer
from probewatch.local.rdap_server import RdapServer
from probewatch.store.raw_mail import s3_client
from probewatch.store.table import dynamodb_table

Action = Callable[[dict[str, Any]], Any]


FIRED: dict[str, int] = {"total": 0}  # faults that hit, all kinds (reset by the caller)
_PAUSED = threading.Event()  # set while the test driver itself reads the stack


@contextmanager
def paused() -> Iterator[None]:
    """No fault fires inside this block (the driver's own bookkeeping is not under test)."""
    _PAUSED.set()
    try:
        yield
    finally:
        _PAUSED.clear()


class Killed(BaseException):
    """The function died at this point (timeout, out of memory, crash): no code after it ran."""


def client_for(service: str, table_name: str) -> Any:
    """The cached client the functions themselves call for `service`."""
    if service == "dynamodb":
        return dynamodb_table(table_name).meta.client
    if service == "s3":
        return s3_client()
    return aws_client(service)


class Fault:
    """One injected fault: on `event` (e.g. before-call.dynamodb.PutItem), `times` times, for
    calls whose params satisfy `when`. `fired` counts how often it hit."""

    def __init__(
        self,
        service: str,
        event: str,
        action: Action,
        *,
        times: int | None = 1,
        when: Callable[[dict[str, Any]], bool] = lambda params: True,
    ) -> None:
        self.service, self.event, self.action = service, event, action
        self.times, self.when = times, when
        self.fired = 0
        self._lock = threading.Lock()

    @property
    def stash_event(self) -> str:
        # before-call sees the serialized HTTP request; the API parameters are only seen by
        # before-parameter-build, which shares the request context with before-call/after-call.
        return "before-parameter-build." + self.event.split(".", 1)[1]

    @staticmethod
    def stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["fault_params"] = params

    def handler(self, **kwargs: Any) -> Any:
        params = (kwargs.get("context") or {}).get("fault_params") or {}
        if _PAUSED.is_set():
            return None
        with self._lock:
            if self.times is not None and self.fired >= self.times:
                return None
            if not self.when(params):
                return None
            self.fired += 1
            FIRED["total"] += 1
        return self.action(params)


@contextmanager
def injected(table_name: str, *faults: Fault) -> Iterator[list[Fault]]:
    registered = []
    try:
        for fault in faults:
            events = client_for(fault.service, table_name).meta.events
            events.register(fault.stash_event, Fault.stash, unique_id="probewatch-fault-stash")
            events.register(fault.event, fault.handler)
            registered.append((events, fault))
        yield list(faults)
    finally:
        for events, fault in registered:
            events.unregister(fault.event, fault.handler)


def error(code: str, status: int = 400, message: str = "injected fault") -> Action:
    """Answer with an AWS error: the call raises the service's ClientError for `code`."""

    def action(_params: dict[str, Any]) -> Any:
        body = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://injected.invalid/", status, {}, None), body

    return action


def timeout(_params: dict[str, Any]) -> Any:
    raise ReadTimeoutError(endpoint_url="https://injected.invalid/")


def kill(_params: dict[str, Any] | None = None, **_: Any) -> Any:
    raise Killed("the function was killed here")


def unprocessed(params: dict[str, Any]) -> Any:
    """BatchWriteItem that processed nothing: every request comes back as UnprocessedItems."""
    body = {"UnprocessedItems": params.get("RequestItems", {}), "ResponseMetadata": {}}
    return AWSResponse("https://injected.invalid/", 200, {}, None), body


def key_startswith(attribute: str, prefix: str) -> Callable[[dict[str, Any]], bool]:
    """For PutItem/UpdateItem/GetItem params (low-level form, as at before-call time)."""

    def when(params: dict[str, Any]) -> bool:
        item = params.get("Item") or params.get("Key") or {}
        value = item.get(attribute)
        value = value.get("S") if isinstance(value, dict) else value
        return isinstance(value, str) and value.startswith(prefix)

    return when


def share(p: float, seed: int = 17) -> Callable[[dict[str, Any]], bool]:
    """True for a seeded-random share `p` of calls (reproducible, but no fixed stride that a
    record with many writes could never get through)."""
    rng = random.Random(seed)
    return lambda _params: rng.random() < p


def every(nth: int) -> Callable[[dict[str, Any]], bool]:
    """True for every nth call seen (a steady share of failures, spread over the run)."""
    seen = {"n": 0}

    def when(_params: dict[str, Any]) -> bool:
        seen["n"] += 1
        return seen["n"] % nth == 0

    return when


# ------------------------------------------------------------------ RDAP and DNS faults


class SlowRdapServer(RdapServer):
    """Holds the next `slow` answers for `delay` seconds (past the client's deadline)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slow = 0
        self.delay = 0.0

    def answer(self, path: str) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            hold = self.slow > 0
            self.slow -= 1 if hold else 0
            FIRED["total"] += 1 if hold else 0
        if hold:
            time.sleep(self.delay)
        return super().answer(path)


@contextmanager
def servfail(dns: DnsServer, count: int) -> Iterator[dict[str, int]]:
    """The next `count` DNS queries get SERVFAIL."""
    resolver = dns.resolver
    original = resolver.resolve
    state = {"left": count, "fired": 0}
    lock = threading.Lock()

    def resolve(request: Any, handler: Any) -> Any:
        with lock:
            fail = state["left"] > 0
            if fail:
                state["left"] -= 1
                state["fired"] += 1
                FIRED["total"] += 1
        if fail:
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        return original(request, handler)

    resolver.resolve = resolve  # type: ignore[method-assign]
    try:
        yield state
    finally:
        resolver.resolve = original  # type: ignore[method-assign]
