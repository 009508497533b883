"""Good manners towards the registries: per-RIR token buckets, retries with backoff, breakers.

A lookup that cannot be made politely right now raises `LookupFailed`: the incident stays
pending and a later run tries again. Nothing here ever sleeps longer than `max_wait`, so a
slow or strict registry cannot stall a run. The clock is injectable so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from probewatch.errors import LookupFailed

T = TypeVar("T")


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Limit:
    rate: float  # requests per second, sustained
    burst: int  # requests allowed back to back


# Conservative against what each RIR publishes or enforces. RIPE and LACNIC block clients that
# exceed their limits (LACNIC: about 10 queries a minute per client), so they get the least.
PUBLISHED_LIMITS: dict[str, Limit] = {
    "ARIN": Limit(rate=4.0, burst=8),
    "RIPE": Limit(rate=1.0, burst=3),
    "APNIC": Limit(rate=4.0, burst=8),
    "LACNIC": Limit(rate=1 / 6, burst=2),
    "AFRINIC": Limit(rate=1.0, burst=2),
}
# An operator-chosen RDAP_URL (a mirror, a proxy, the local fixture server) is not a registry.
DEFAULT_LIMIT = Limit(rate=50.0, burst=100)


class TransientError(Exception):
    """Raised by a request function for failures worth retrying (timeout, 5xx, 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TokenBucket:
    def __init__(self, limit: Limit, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self.tokens = float(limit.burst)
        self.updated = clock.monotonic()

    def wait_needed(self) -> float:
        """Seconds until one token is available (0 when one is there now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.limit.rate

    def take(self, max_wait: float, key: str) -> None:
        wait = self.wait_needed()
        if wait > max_wait:
            raise LookupFailed(f"{key}: rate limit would need a {wait:.1f}s wait; try next run")
        if wait > 0:
            self.clock.sleep(wait)
            self._refill()
        self.tokens -= 1

    def _refill(self) -> None:
        now = self.clock.monotonic()
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.limit.burst), self.tokens + elapsed * self.limit.rate)
        self.updated = now


class CircuitBreaker:
    """Opens after `threshold` consecutive failed attempts; lets one probe through after `cooldown`."""

    def __init__(self, clock: Clock, threshold: int = 5, cooldown: float = 60.0) -> None:
        self.clock = clock
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        if self.opened_at is None:
            return False
        return self.clock.monotonic() - self.opened_at < self.cooldown

    def allow(self) -> bool:
        return not self.is_open

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def record_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = self.clock.monotonic()


class Throttle:
    """Runs request functions per registry key with rate limits, retries and a breaker."""

    def __init__(
        self,
        clock: Clock | None = None,
        limits: dict[str, Limit] | None = None,
        attempts: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 4.0,
        max_wait: float = 10.0,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 60.0,
    ) -> None:
        self.clock = clock or SystemClock()
        self.limits = PUBLISHED_LIMITS if limits is None else limits
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_wait = max_wait
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown = breaker_cooldown
        self._buckets: dict[str, TokenBucket] = {}
        self._breakers: dict[str, CircuitBreaker] = {}

    def bucket(self, key: str) -> TokenBucket:
        if key not in self._buckets:
            limit = self.limits.get(key, DEFAULT_LIMIT)
            self._buckets[key] = TokenBucket(limit, self.clock)
        return self._buckets[key]

    def breaker(self, key: str) -> CircuitBreaker:
        if key not in self._breakers:
            self._breakers[key] = CircuitBreaker(
                self.clock, self.breaker_threshold, self.breaker_cooldown
            )
        return self._breakers[key]

    def call(self, key: str, request: Callable[[], T]) -> T:
        """`request()` once it is polite to; retried on TransientError; LookupFailed at the end."""
        breaker = self.breaker(key)
        last: TransientError | None = None
        for attempt in range(self.attempts):
            if not breaker.allow():
                raise LookupFailed(f"{key}: circuit open after repeated failures; try next run")
            self.bucket(key).take(self.max_wait, key)
            try:
                result = request()
            except TransientError as exc:
                breaker.record_failure()
                last = exc
                if attempt + 1 < self.attempts:
                    self._back_off(key, attempt, exc)
                continue
            breaker.record_success()
            return result
        raise LookupFailed(f"{key}: {last} (after {self.attempts} attempts)")

    def _back_off(self, key: str, attempt: int, exc: TransientError) -> None:
        delay = min(self.max_delay, self.base_delay * (2**attempt))
        if exc.retry_after is not None:
            if exc.retry_after > self.max_wait:
                raise LookupFailed(f"{key}: asked to wait {exc.retry_after:.0f}s; try next run")
            delay = max(delay, exc.retry_after)
        self.clock.sleep(delay)
