"""Contact ranking: RDAP abuse roles (nested too), marked mailboxes, placeholders, desks, fallbacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from probewatch.backtrace import Backtracer
from probewatch.backtrace.contacts import fallback_chain, is_placeholder, rank_contacts
from probewatch.backtrace.rdap import parse_network

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rdap"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def vcard(*emails: tuple[dict[str, Any], str]) -> list[Any]:
    return [
        "vcard",
        [["version", {}, "text", "4.0"], *[["email", p, "text", e] for p, e in emails]],
    ]


def network(*entities: dict[str, Any], name: str = "TEST-NET") -> dict[str, Any]:
    return {
        "handle": "NET-1",
        "startAddress": "81.2.69.0",
        "endAddress": "81.2.69.255",
        "ipVersion": "v4",
        "name": name,
        "entities": list(entities),
    }


def entity(
    handle: str, roles: list[str], *emails: tuple[dict[str, Any], str], **extra: Any
) -> dict[str, Any]:
    return {"handle": handle, "roles": roles, "vcardArray": vcard(*emails), **extra}


def emails(doc: dict[str, Any], **kwargs: Any) -> list[str]:
    return [c.email for c in rank_contacts(parse_network(doc), **kwargs)]


def test_ripe_abuse_mailbox_marked_type_abuse_wins_over_the_roles_general_address() -> None:
    doc = network(
        entity(
            "AR1-RIPE",
            ["abuse"],
            ({"type": "email"}, "ops@isp-one.net"),
            ({"type": "abuse"}, "abuse@isp-one.net"),
        )
    )
    assert emails(doc) == ["abuse@isp-one.net"]


def test_apnic_pref_1_marks_the_abuse_mailbox() -> None:
    doc = network(
        entity(
            "IRT-X-AP",
            ["abuse"],
            ({}, "helpdesk@isp-two.net"),
            ({"pref": "1"}, "abuse@isp-two.net"),
        )
    )
    assert emails(doc) == ["abuse@isp-two.net"]


def test_nested_abuse_entity_inside_the_registrant_is_found() -> None:
    doc = network(
        {
            "handle": "ORG-1",
            "roles": ["registrant"],
            "entities": [
                {
                    "handle": "CUST-1",
                    "roles": ["registrant"],
                    "entities": [entity("AB-ARIN", ["abuse"], ({}, "abuse@deep-isp.com"))],
                }
            ],
        },
        entity("NOC-ARIN", ["noc", "technical"], ({}, "noc@deep-isp.com")),
    )
    assert emails(doc) == ["abuse@deep-isp.com"]


def test_two_different_abuse_entities_keep_document_order_and_report_each_address_once() -> None:
    doc = network(
        {
            "handle": "GOGL",
            "roles": ["registrant"],
            "entities": [entity("AB1", ["abuse"], ({}, "network-abuse@big.com"))],
        },
        entity("ZG39", ["abuse", "noc"], ({}, "arin-contact@big.com")),
        entity("AB1-again", ["abuse"], ({}, "Network-Abuse@big.com")),
    )
    assert emails(doc) == ["network-abuse@big.com", "arin-contact@big.com"]


def test_no_abuse_role_means_no_rdap_contact_even_with_technical_addresses() -> None:
    doc = network(entity("T1", ["technical", "administrative"], ({}, "hostmaster@isp.net")))
    assert emails(doc) == []


@pytest.mark.parametrize(
    "address",
    [
        "REDACTED FOR PRIVACY",
        "removed@lacnic.net",
        "please.query.rdds@registry.net",
        "not-disclosed@isp.net",
        "abuse@example.com",
        "nobody@localhost",
        "noemail@isp.net",
        "x@y",
        "redacted@redacted.invalid",
    ],
)
def test_placeholders_are_recognised(address: str) -> None:
    assert is_placeholder(address)


@pytest.mark.parametrize(
    "address", ["abuse@telekom.de", "operacion.redes@TRIARA.COM", "t562.tmripe@telekom.de"]
)
def test_real_mailboxes_are_not_placeholders(address: str) -> None:
    assert not is_placeholder(address)


def test_placeholders_are_never_chosen_and_the_next_source_takes_over() -> None:
    doc = load("ripe-redacted.json")
    contacts = rank_contacts(
        parse_network(doc), abusix=["abuse@redacted-test.fr"], domain="redacted-test.fr"
    )
    assert [(c.email, c.source) for c in contacts] == [
        ("abuse@redacted-test.fr", "abusix"),
        ("security@redacted-test.fr", "rfc2142"),
    ]


def test_lacnic_removed_placeholder_alone_gives_no_contact() -> None:
    doc = network(entity("RET7", ["abuse"], ({}, "removed@lacnic.net")))
    assert emails(doc) == []


def test_nir_generic_irt_ranks_behind_the_operators_own_abuse_role() -> None:
    contacts = rank_contacts(parse_network(load("apnic-nir-irt-and-operator.json")))
    assert [c.email for c in contacts] == ["abuse@sakura-test.jp", "hostmaster@nic.ad.jp"]
    assert contacts[1].confidence < contacts[0].confidence


def test_nir_irt_alone_is_kept_last_resort_behind_abusix_and_rfc2142() -> None:
    doc = network(entity("IRT-JPNIC-JP", ["abuse"], ({}, "hostmaster@nic.ad.jp")))
    contacts = rank_contacts(parse_network(doc), abusix=["abuse@isp.jp"], domain="isp.co.jp")
    assert [c.email for c in contacts] == [
        "abuse@isp.jp",
        "abuse@isp.co.jp",
        "security@isp.co.jp",
        "hostmaster@nic.ad.jp",
    ]


def test_registry_desk_is_demoted_for_a_network_the_registry_does_not_run() -> None:
    contacts = rank_contacts(parse_network(load("ripe-registry-desk.json")), domain="legacy-op.eu")
    assert [c.email for c in contacts] == [
        "abuse@legacy-op.eu",
        "security@legacy-op.eu",
        "abuse@ripe.net",
    ]


def test_registry_desk_is_the_answer_for_the_registrys_own_network() -> None:
    doc = network(
        entity("OPS4-RIPE", ["abuse"], ({"type": "abuse"}, "abuse@ripe.net")), name="RIPE-NCC"
    )
    contacts = rank_contacts(parse_network(doc), domain="isp.net")
    assert contacts[0].email == "abuse@ripe.net" and contacts[0].source == "rdap"


def test_abusix_agreeing_with_rdap_raises_confidence_and_is_not_listed_twice() -> None:
    doc = network(entity("AB", ["abuse"], ({}, "abuse@isp.net")))
    alone = rank_contacts(parse_network(doc))
    both = rank_contacts(parse_network(doc), abusix=["ABUSE@isp.net"])
    assert [c.email for c in both] == ["abuse@isp.net"]
    assert both[0].confidence > alone[0].confidence


def test_rfc2142_fallbacks_when_no_rdap_or_abusix() -> None:
    contacts = rank_contacts(None, domain="hostnet-demo.net")
    assert [(c.email, c.source) for c in contacts] == [
        ("abuse@hostnet-demo.net", "rfc2142"),
        ("security@hostnet-demo.net", "rfc2142"),
    ]
    assert contacts[0].confidence > contacts[1].confidence


def test_bounce_chain_follows_the_guidelines_order() -> None:
    chain = fallback_chain("hostnet-demo.net")
    assert [c.email for c in chain] == [
        "postmaster@hostnet-demo.net",
        "root@hostnet-demo.net",
        "webmaster@hostnet-demo.net",
    ]
    assert Backtracer().fallback_chain(None) == []


def test_abuse_entity_without_vcard_is_fetched_by_handle() -> None:
    wanted: list[str] = []

    def fetch(handle: str) -> dict[str, Any] | None:
        wanted.append(handle)
        return load("entity_RLTAB-ARIN.json")

    parsed = parse_network(load("arin-entity-reference.json"), fetch)
    assert wanted == ["RLTAB-ARIN"]
    assert [a.email for a in parsed.abuse] == ["abuse@riverline-test.net"]


def test_network_quirks_are_cleaned() -> None:
    parsed = parse_network(load("ripe-redacted.json"))  # "/32" suffixes on the addresses
    assert parsed.cidrs == ["91.198.174.0/24"] and parsed.rir == "RIPE"
    padded = network()
    padded.update(
        startAddress="074.125.000.000",
        endAddress="074.125.255.255",
        handle="NET-74-125-0-0-1",
        port43="whois.arin.net",
    )
    assert parse_network(padded).cidrs == ["74.125.0.0/16"]
    assert parse_network(padded).rir == "ARIN"


def test_non_aligned_range_decomposes_and_the_covering_cidr_is_reported() -> None:
    doc = network()
    doc.update(startAddress="196.11.239.0", endAddress="196.11.246.255")
    parsed = parse_network(doc)
    assert parsed.cidrs == [
        "196.11.239.0/24",
        "196.11.240.0/22",
        "196.11.244.0/23",
        "196.11.246.0/24",
    ]
    assert parsed.covering_cidr("196.11.245.7") == "196.11.244.0/23"
