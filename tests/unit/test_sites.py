"""What a reporter's alerts reveal about where they live (their own, never-reported networks)."""

from __future__ import annotations

from datetime import UTC, datetime

from probewatch.model import ProbeEvent
from probewatch.sites import observed_sites


def _event(dst_ip: str | None, *, action: str = "block", direction: str | None = None) -> ProbeEvent:
    return ProbeEvent(
        time=datetime(2026, 11, 25, tzinfo=UTC), src_ip="45.155.205.233", src_port=4000,
        dst_ip=dst_ip, dst_port=22, proto="TCP", action=action, format="netfilter", raw="x",  # type: ignore[arg-type]
        direction=direction,
    )


def test_inbound_destinations_become_sites() -> None:
    events = [_event("81.2.69.142"), _event("81.2.69.7"), _event("2a02:c7c:1:0:1::9")]
    assert observed_sites(events) == {"81.2.69.0/24", "2a02:c7c:1::/48"}


def test_what_says_nothing_about_the_reporter_is_skipped() -> None:
    events = [
        _event("192.168.1.10"),  # behind NAT: not a public site
        _event(None),  # masked by the reporter
        _event("x.x.x.x"),  # not an address
        _event("93.184.216.34", action="allow"),  # an allowed connection can go anywhere
        _event("8.8.8.8", direction="out"),  # outbound: the destination is someone else
    ]
    assert observed_sites(events) == set()
