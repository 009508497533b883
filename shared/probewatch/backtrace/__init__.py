"""Backtrace: from a source IP to the mailboxes that can act on it.

Public interface:
- `Backtracer(dns_servers=None, rdap_url=None, cache=None).trace(ip) -> BacktraceResult`
- `Backtracer.fallback_chain(domain) -> list[Contact]` (after a bounce)
- `reportable_reason(ip) -> str | None` (None = public; the filters use this too)
"""

from probewatch.backtrace.special import is_reportable, normalise_ip, reportable_reason
from probewatch.backtrace.tracer import Backtracer, BacktraceResult

__all__ = ["BacktraceResult", "Backtracer", "is_reportable", "normalise_ip", "reportable_reason"]
