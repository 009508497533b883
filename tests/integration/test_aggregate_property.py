"""Property over the whole aggregate path on moto: stored events from a special-purpose source
never lead to a report, however strong or corroborated they look, even when the backtrace
wrongly calls the address reportable."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from itertools import count

from aggregate_helpers import T0, FakeBacktracer, probe, queue_bodies, settings, store_events
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from probewatch.aggregate_run import run_aggregate
from probewatch.backtrace.special import special_networks
from probewatch.local.resources import LocalStack
from probewatch.model import Reporter
from probewatch.store.reporters import put_reporter

REPORTERS = ["a@example.org", "b@example.net", "c@example.com"]
NETWORKS = [net for net, _ in special_networks()]


def _address_in(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> st.SearchStrategy[str]:
    return st.integers(0, net.num_addresses - 1).map(lambda i: str(net.network_address + i))


incident_events = st.lists(
    st.tuples(
        st.integers(0, 30),  # minute
        st.integers(1, 65535),  # destination port
        st.sampled_from(["TCP", "UDP", "ICMP"]),
        st.sampled_from([None, "ids", "established"]),
        st.sampled_from(REPORTERS),
    ),
    min_size=1,
    max_size=8,
)


def test_no_special_purpose_source_is_ever_reported(aws_stack: LocalStack) -> None:
    for email in REPORTERS:
        put_reporter(aws_stack.table_name, Reporter(email=email))
    rounds = count()

    @hypothesis_settings(
        max_examples=20,
        deadline=None,
        # Listing health checks replaces the profile's list: keep "too slow" off (a loaded
        # machine is not a failure) along with the fixture check.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(src=st.sampled_from(NETWORKS).flatmap(_address_in), events=incident_events)
    def check(src: str, events: list[tuple[int, int, str, str | None, str]]) -> None:
        # Each example lives on its own stretch of the simulated clock.
        start = next(rounds) * 24 * 60
        stored = [
            probe(
                src,
                start + minute,
                port,
                reporter=reporter,
                proto=proto,
                evidence=evidence,
                tcp_flags="SYN" if proto == "TCP" else None,
                dst_ip=f"24.{60 + n}.11.22",
            )
            for n, (minute, port, proto, evidence, reporter) in enumerate(events)
        ]
        store_events(
            aws_stack.table_name, stored, f"prop-{start}", T0 + (start + 31) * timedelta(minutes=1)
        )
        tracer = FakeBacktracer(lie=True)
        summary = run_aggregate(settings(), T0 + (start + 120) * timedelta(minutes=1), tracer)
        assert summary.queued == summary.held == 0 and summary.errors == 0
        assert queue_bodies(aws_stack.send_queue_url) == []
        assert tracer.traced == []  # not even looked up

    check()
