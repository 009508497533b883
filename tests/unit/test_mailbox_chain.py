"""The order of mailboxes a report tries, and the registry desks that never get one."""

from __future__ import annotations

from datetime import UTC, datetime

from probewatch.mailbox_chain import extend_with_fallbacks, fallback_chain, responsible_domain
from probewatch.model import Contact, Incident
from probewatch.registry_desks import is_registry_desk, registry_desks

T = datetime(2026, 11, 25, tzinfo=UTC)


def make(contacts: list[Contact], ptr: str | None = None, network: dict | None = None) -> Incident:
    return Incident(
        incident_id="PW-20261125-00000001",
        src_ip="192.0.2.1",
        status="queued",
        opened_at=T,
        first_seen=T,
        last_seen=T,
        contacts=contacts,
        ptr=ptr,
        network=network or {},
    )


def test_fallback_chain_follows_rfc2142_then_the_guidelines() -> None:
    assert [c.email for c in fallback_chain("Example.NET.")] == [
        "abuse@example.net",
        "security@example.net",
        "postmaster@example.net",
        "root@example.net",
        "webmaster@example.net",
    ]
    assert all(c.source == "fallback" for c in fallback_chain("example.net"))
    assert fallback_chain("") == [] and fallback_chain("a@b.example") == []


def test_responsible_domain_prefers_backtrace_then_ptr_then_contacts() -> None:
    rdap = Contact("noc@carrier.example", "rdap", 0.9)
    assert (
        responsible_domain(make([rdap], ptr="h1.dsl.isp.co.uk", network={"domain": "isp.example"}))
        == "isp.example"
    )
    assert responsible_domain(make([rdap], ptr="h1.dsl.isp.co.uk")) == "isp.co.uk"
    assert responsible_domain(make([rdap])) == "carrier.example"
    assert responsible_domain(make([])) is None


def test_extend_appends_only_untried_fallbacks_after_the_ranked_contacts() -> None:
    inc = make([Contact("abuse@isp.example", "rdap", 0.9)], ptr="h.isp.example")
    assert extend_with_fallbacks(inc) is True
    assert [c.email for c in inc.contacts] == [
        "abuse@isp.example",
        "security@isp.example",
        "postmaster@isp.example",
        "root@isp.example",
        "webmaster@isp.example",
    ]
    assert extend_with_fallbacks(inc) is False  # nothing new the second time


def test_registry_desks_are_skipped_unless_the_network_is_their_own() -> None:
    assert {"abuse@lacnic.net", "helpdesk@apnic.net", "hostmaster@nic.ad.jp"} <= registry_desks()
    assert is_registry_desk("Abuse@LACNIC.net", "isp.example")
    assert is_registry_desk("helpdesk@apnic.net", None)
    assert not is_registry_desk("abuse@lacnic.net", "lacnic.net")
    assert not is_registry_desk("abuse@ripe.net", "ripe.net")
    assert not is_registry_desk("abuse@isp.example", "isp.example")


def test_a_registry_desk_never_lends_its_domain_to_the_fallback_chain() -> None:
    inc = make([Contact("helpdesk@apnic.net", "rdap", 0.5)])
    assert responsible_domain(inc) is None
    assert extend_with_fallbacks(inc) is False


def test_postmaster_root_and_webmaster_are_for_bounces_only() -> None:
    from probewatch.mailbox_chain import bounce_only

    chain = fallback_chain("isp.example")
    assert [c.email for c in chain if bounce_only(c)] == [
        "postmaster@isp.example",
        "root@isp.example",
        "webmaster@isp.example",
    ]
    # A registry's or Abusix's answer naming such a mailbox is a contact, not a fallback.
    assert not bounce_only(Contact("postmaster@isp.example", "rdap", 0.9))
