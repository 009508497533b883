"""The fault scenarios of RELIABILITY.md: what is injected where, and how often.

Each scenario is a name, a sentence for the table, how many times every trigger is delivered,
and a function that installs the faults on a fresh stack (a context manager for the run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from fault_harness import (
    Fault,
    error,
    every,
    injected,
    key_startswith,
    kill,
    servfail,
    share,
    timeout,
    unprocessed,
)

from probewatch.backtrace.tracer import Backtracer

Installer = Callable[[Any, Any, Any], Any]
DDB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    install: Installer | None = None
    redeliver: int = 1


def _faults(*make: Callable[[], Fault]) -> Installer:
    def install(stack: Any, _rdap: Any, _dns: Any) -> Any:
        return injected(stack.table_name, *(factory() for factory in make))

    return install


def _ddb_throttle(p: float = 0.2) -> Installer:
    def install(stack: Any, _rdap: Any, _dns: Any) -> Any:
        nth = share(p)
        return injected(
            stack.table_name,
            *(
                Fault(
                    "dynamodb",
                    f"before-call.dynamodb.{operation}",
                    error("ProvisionedThroughputExceededException"),
                    times=None,
                    when=nth,
                )
                for operation in DDB_WRITES
            ),
            Fault(
                "dynamodb",
                "before-call.dynamodb.Query",
                error("ThrottlingException"),
                times=None,
                when=share(p / 2, seed=29),
            ),
        )

    return install


@contextmanager
def _short_rdap_deadline(seconds: float) -> Iterator[None]:
    defaults = Backtracer.__init__.__kwdefaults__
    saved = dict(defaults)
    defaults["rdap_timeout"] = seconds
    try:
        yield
    finally:
        defaults.clear()
        defaults.update(saved)


def _rdap_timeouts(count: int) -> Installer:
    def install(_stack: Any, rdap: Any, _dns: Any) -> Any:
        rdap.slow, rdap.delay = count, 1.5
        return _short_rdap_deadline(0.5)

    return install


def _rdap_fail(count: int, status: int) -> Installer:
    def install(_stack: Any, rdap: Any, _dns: Any) -> Any:
        rdap.fail_next(count, status)
        return None

    return install


def _servfail(count: int) -> Installer:
    def install(_stack: Any, _rdap: Any, dns: Any) -> Any:
        return servfail(dns, count)

    return install


def is_report(params: dict[str, Any]) -> bool:
    """An abuse report (not a digest or a reply to a reporter): it names its incident."""
    raw = ((params.get("Content") or {}).get("Raw") or {}).get("Data") or b""
    return b"X-Probewatch-Incident" in (raw if isinstance(raw, bytes) else str(raw).encode())


def is_reply(params: dict[str, Any]) -> bool:
    return not is_report(params) and b"digest" not in str(params).lower().encode()


def _ses(
    code: str, times: int, when: Callable[[dict[str, Any]], bool] = is_report
) -> Callable[[], Fault]:
    return lambda: Fault(
        "sesv2", "before-call.sesv2.SendEmail", error(code), times=times, when=when
    )


def _combined(*installers: Installer) -> Installer:
    @contextmanager
    def install(stack: Any, rdap: Any, dns: Any) -> Iterator[None]:
        with ExitStack() as contexts:
            for installer in installers:
                context = installer(stack, rdap, dns)
                if context is not None:
                    contexts.enter_context(context)
            yield

    return install


SCENARIOS = [
    Scenario("clean", "no fault (the reference run)"),
    Scenario(
        "redeliver-3x",
        "every SQS batch (ingest, send), schedule (aggregate, digest) and SNS record "
        "(feedback) delivered 3 times",
        redeliver=3,
    ),
    Scenario(
        "dynamodb-throttling",
        "20% of DynamoDB writes ProvisionedThroughputExceeded, 10% of Queries Throttling "
        "for the whole run",
        _ddb_throttle(),
    ),
    Scenario(
        "dynamodb-unprocessed",
        "every 2nd BatchWriteItem comes back with all its items as UnprocessedItems",
        _faults(
            lambda: Fault(
                "dynamodb",
                "before-call.dynamodb.BatchWriteItem",
                unprocessed,
                times=None,
                when=every(2),
            )
        ),
    ),
    Scenario(
        "s3-nosuchkey",
        "GetObject NoSuchKey for the first read of one stored email",
        _faults(
            lambda: Fault(
                "s3",
                "before-call.s3.GetObject",
                error("NoSuchKey", 404),
                times=1,
                when=lambda params: str(params.get("Key", "")).startswith("raw/03-"),
            )
        ),
    ),
    Scenario(
        "s3-timeout",
        "the first 3 S3 GetObject calls time out",
        _faults(lambda: Fault("s3", "before-call.s3.GetObject", timeout, times=3)),
    ),
    Scenario(
        "ses-throttling",
        "SES TooManyRequests on 2 sends, then Throttling on 1",
        _faults(_ses("TooManyRequestsException", 2), _ses("Throttling", 1)),
    ),
    Scenario(
        "ses-sending-paused",
        "SES SendingPaused (account sending paused) on the first 3 sends",
        _faults(_ses("SendingPausedException", 2), _ses("AccountSendingPausedException", 1)),
    ),
    Scenario(
        "ses-message-rejected",
        "SES MessageRejected (permanent) for the first report",
        _faults(_ses("MessageRejected", 1)),
    ),
    Scenario("rdap-429", "RDAP answers 429 to the first 6 requests", _rdap_fail(6, 429)),
    Scenario("rdap-500", "RDAP answers 500 to the first 6 requests", _rdap_fail(6, 500)),
    Scenario(
        "rdap-timeout",
        "the first 4 RDAP answers arrive after the client's deadline",
        _rdap_timeouts(4),
    ),
    Scenario("dns-servfail", "the first 12 DNS queries get SERVFAIL", _servfail(12)),
    Scenario(
        "kill-after-ses-accepts",
        "the send function dies right after SES accepted the first report (before any record)",
        _faults(
            lambda: Fault("sesv2", "after-call.sesv2.SendEmail", kill, times=1, when=is_report)
        ),
    ),
    Scenario(
        "ses-throttling-reply",
        "SES TooManyRequests on the first immediate reply to a reporter (ingest)",
        _faults(_ses("TooManyRequestsException", 1, when=is_reply)),
    ),
    Scenario(
        "kill-ingest-after-reply",
        "the ingest function dies right after SES accepted an immediate reply to a reporter",
        _faults(lambda: Fault("sesv2", "after-call.sesv2.SendEmail", kill, times=1, when=is_reply)),
    ),
    Scenario(
        "kill-before-marked-sent",
        "the send function dies after storing the SES message id, before the incident is "
        "marked sent",
        _faults(
            lambda: Fault(
                "dynamodb",
                "before-call.dynamodb.PutItem",
                kill,
                times=1,
                when=key_startswith("PK", "MSG#"),
            )
        ),
    ),
    Scenario(
        "everything-3x",
        "at once, every trigger delivered 3 times: 10% of DynamoDB writes throttled, RDAP 429 x3, "
        "SERVFAIL x6, SES TooManyRequests x1, S3 timeout x1, send killed after SES accepted",
        _combined(
            _ddb_throttle(0.1),
            _rdap_fail(3, 429),
            _servfail(6),
            _faults(
                _ses("TooManyRequestsException", 1),
                lambda: Fault("s3", "before-call.s3.GetObject", timeout, times=1),
                lambda: Fault("sesv2", "after-call.sesv2.SendEmail", kill, times=1, when=is_report),
            ),
        ),
        redeliver=3,
    ),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
