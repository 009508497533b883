"""What an opt-out covers and what a request may opt out; what a desk command is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from probewatch.desk_commands import DeskCommand, parse_desk_command
from probewatch.model import Incident
from probewatch.optouts import (
    covering,
    covering_mailbox,
    operator_target,
    requested_optouts,
    usable_network,
)
from probewatch.store.desks import OptOut

T = datetime(2026, 11, 25, tzinfo=UTC)


def incident(
    src: str = "45.155.205.12", cidr: str = "45.155.204.0/22", ptr: str | None = "h.isp.example"
) -> Incident:
    return Incident(
        incident_id="PW-20261125-00000001", src_ip=src, status="queued", opened_at=T,
        first_seen=T, last_seen=T, ptr=ptr, network={"cidr": cidr},
    )  # fmt: skip


def optout(kind: str, value: str) -> OptOut:
    return OptOut(kind, value, "asked", "reply", "2026-11-25T00:00:00Z")


def test_an_opt_out_covers_the_network_and_the_domain_not_strangers() -> None:
    net, dom = optout("network", "45.155.204.0/22"), optout("domain", "isp.example")
    assert covering([net], incident()) is net
    assert covering([net], incident(src="45.155.208.1", cidr="45.155.208.0/22")) is None
    assert covering([dom], incident(src="198.51.100.7", cidr="198.51.100.0/24")) is dom
    assert covering([dom], incident(ptr="h.isp.example.evil.example")) is None
    assert covering_mailbox([dom], "security@ISP.example") is dom
    assert covering_mailbox([dom], "abuse@notisp.example") is None


def test_a_request_opts_out_the_network_and_domain_but_never_too_much() -> None:
    values = {o.value for o in requested_optouts(incident(), "abuse@isp.example", "x", "reply", T)}
    assert values == {"45.155.204.0/22", "isp.example"}
    # A desk using webmail does not silence every network that uses that webmail.
    webmail = requested_optouts(incident(ptr=None), "isp-noc@gmail.com", "x", "reply", T)
    assert {o.value for o in webmail} == {"45.155.204.0/22"}
    # A registry's covering /8 is not one owner's network.
    broad = requested_optouts(incident(cidr="45.0.0.0/8"), "abuse@isp.example", "x", "reply", T)
    assert {o.value for o in broad} == {"isp.example"}
    # A network that does not hold the source is never taken.
    assert usable_network("198.51.100.0/24", "45.155.205.12") is None


def test_operator_targets() -> None:
    assert operator_target("198.51.100.0/24") == ("network", "198.51.100.0/24")
    assert operator_target("198.51.100.7") == ("network", "198.51.100.7/32")
    assert operator_target("Security@Sub.ISP.example") == ("domain", "isp.example")
    for bad in ("10.0.0.0/4", "::/8", "not a domain", ""):
        with pytest.raises(ValueError):
            operator_target(bad)


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Re: Security issue [PW-20261125-0a1b2c3d]", "LOOKUP\n\n> quoted", DeskCommand("LOOKUP")),
        ("Hello", "lookup PW-20261125-0a1b2c3d", DeskCommand("LOOKUP", "PW-20261125-0a1b2c3d")),
        ("Re: x", "Opt-Out.", DeskCommand("OPT-OUT")),
        ("Re: x", "opt out", DeskCommand("OPT-OUT")),
        ("Re: x", "xarf on", DeskCommand("XARF", "ON")),
        ("XARF OFF", "", DeskCommand("XARF", "OFF")),
        # Not commands: prose, a reply subject, quoted lines, an id of another shape.
        ("Re: x", "Please opt out our customer from this.", None),
        ("Re: OPT-OUT", "Thanks", None),
        ("Re: x", "> OPT-OUT", None),
        ("Re: x", "LOOKUP everything", None),
        ("Re: x", "XARF maybe", None),
    ],
)
def test_desk_commands_are_strict(subject: str, body: str, expected: DeskCommand | None) -> None:
    assert parse_desk_command(subject, body) == expected
