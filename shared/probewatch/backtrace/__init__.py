"""Backtrace: from a source IP to the mailboxes that can act on it.

Public interface:
- `Backtracer(dns_servers=None, rdap_url=None, cache=None).trace(ip) -> BacktraceResult`
- `Backtracer.fallback_chain(domain) -> list[Contact]` (after a bounce)
- `reportable_reason(ip) -> str | None` (None = public; the filters use this too)

The tracer (ipwhois, dnspython) loads only when first asked for: the filters import
`special` on every aggregate run, and most runs finalize nothing.
"""

from typing import Any

from probewatch.backtrace.special import is_reportable, normalise_ip, reportable_reason

__all__ = ["BacktraceResult", "Backtracer", "is_reportable", "normalise_ip", "reportable_reason"]


def __getattr__(name: str) -> Any:
    if name in ("Backtracer", "BacktraceResult"):
        from probewatch.backtrace import tracer

        return getattr(tracer, name)
    raise AttributeError(f"module 'probewatch.backtrace' has no attribute {name!r}")
