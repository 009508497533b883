"""Conformance: recorded real RDAP answers (../shared/rdap) served on loopback, traced end to end.

For every row of EXPECTED.tsv only that response (plus the separately stored entities) is
served, so recordings of the same network from different years cannot shadow each other.
The first RDAP contact the backtrace chooses must equal the first expected abuse mailbox in
>= 95% of rows; rows without an expected mailbox must yield no RDAP contact at all, and no
row may ever yield a placeholder.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from probewatch.backtrace import Backtracer
from probewatch.backtrace.contacts import is_placeholder
from probewatch.local.dns_server import DnsServer
from probewatch.local.rdap_server import RdapFixtures, RdapServer

pytestmark = pytest.mark.network


def corpus_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "EXPECTED.tsv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[DnsServer, RdapServer]]:
    # An empty zone: PTR and Abusix say NXDOMAIN, so only RDAP decides the RDAP contact.
    with DnsServer({"records": {}}) as dns, RdapServer(RdapFixtures()) as rdap:
        yield dns, rdap


def trace_row(
    servers: tuple[DnsServer, RdapServer], folder: Path, row: dict[str, str]
) -> dict[str, object]:
    dns, rdap = servers
    rdap.fixtures = RdapFixtures([folder / row["file"], *sorted(folder.glob("entity_*.json"))])
    ip = row["query_ip"].split("/", 1)[0]
    result = Backtracer(dns.address, rdap.url).trace(ip)
    return {
        "rdap": [c.email for c in result.contacts if c.source == "rdap"],
        "all": [c.email for c in result.contacts],
        "cidr": result.network.get("cidr"),
    }


@pytest.mark.parametrize("corpus", ["rdap", "holdout/rdap"])
def test_first_rdap_abuse_mailbox_matches_expected(
    shared_dir: Path,
    servers: tuple[DnsServer, RdapServer],
    corpus: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = shared_dir / corpus
    if not (folder / "EXPECTED.tsv").exists():
        pytest.skip(f"{folder} has no EXPECTED.tsv")
    rows = corpus_rows(folder)
    assert rows, "the corpus must not be empty"
    exact = cidr_hits = 0
    misses: list[str] = []
    for row in rows:
        got = trace_row(servers, folder, row)
        expected = [e for e in row["abuse_emails"].split(",") if e]
        assert not any(is_placeholder(email) for email in got["all"]), (row["file"], got)  # type: ignore[union-attr]
        if not expected:
            assert got["rdap"] == [], (row["file"], got)
            ok = True
        else:
            ok = got["rdap"][:1] == expected[:1]
        exact += ok
        if not ok:
            misses.append(f"{row['file']}: got {got['rdap'][:1]} expected {expected[:1]}")
        cidr_hits += got["cidr"] in row["network_cidrs"].split(",")
    share = exact / len(rows)
    with capsys.disabled():
        print(
            f"\n{corpus}: {exact}/{len(rows)} = {share:.1%} exact first abuse mailbox; "
            f"network CIDR {cidr_hits}/{len(rows)}"
        )
    assert share >= 0.95, "\n".join(misses)
    assert cidr_hits / len(rows) >= 0.9
