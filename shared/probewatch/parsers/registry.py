"""The list of format parsers, in the order the dispatcher asks them.

Adding a format is one line: import its module and append its PARSER instance to the right
section. Each parser's `can_parse` must be specific enough that the order inside a section
does not matter (the dispatcher tries the parser of the previous line first, because formats
come in runs). Parsers with `fallback = True` (the generic key=value parser) are never tried
out of turn: only after every specific parser declined.

Every entry needs a fixture folder tests/unit/parsers/fixtures/<parser.name>/ (the unit
tests fail otherwise; see the README.md there).
"""

from __future__ import annotations

from probewatch.parsers import (
    cef,
    checkpoint,
    cisco_asa,
    cisco_ios,
    desktop_firewalls,
    dlink,
    draytek,
    dshield,
    fortigate,
    generic_kv,
    huawei_usg,
    ipfilter,
    juniper_srx,
    meraki,
    mikrotik,
    netfilter,
    netgear,
    netscreen,
    paloalto,
    pf_filterlog,
    pflog,
    portsentry,
    sonicwall,
    sophos,
    suricata_eve,
    suricata_fast,
    tplink,
    watchguard,
    windows_firewall,
    windows_wfp,
    zyxel,
)
from probewatch.parsers.base import Parser

# --- host and consumer formats (Parsers A) -------------------------------------------------
HOST_AND_ROUTER: list[Parser] = [
    netfilter.PARSER,
    pf_filterlog.PARSER,
    pflog.PARSER,
    ipfilter.PARSER,
    windows_firewall.PARSER,
    windows_wfp.PARSER,
    netgear.PARSER,
    dlink.PARSER,
    draytek.PARSER,
    portsentry.PARSER,
    dshield.PARSER,
    mikrotik.PARSER,
    desktop_firewalls.PARSER,
    tplink.PARSER,
]

# --- enterprise formats (Parsers B: append `module.PARSER,` lines here) ---------------------
ENTERPRISE: list[Parser] = [
    cisco_asa.PARSER,
    cisco_ios.PARSER,
    fortigate.PARSER,
    paloalto.PARSER,
    sonicwall.PARSER,
    juniper_srx.PARSER,
    netscreen.PARSER,
    checkpoint.PARSER,
    cef.PARSER,
    sophos.PARSER,
    watchguard.PARSER,
    huawei_usg.PARSER,
    zyxel.PARSER,
    suricata_fast.PARSER,
    suricata_eve.PARSER,
    meraki.PARSER,
]

# --- fallbacks: only when nothing specific matched (generic key=value goes here) ------------
FALLBACK: list[Parser] = [
    generic_kv.PARSER,
]

PARSERS: list[Parser] = [*HOST_AND_ROUTER, *ENTERPRISE, *FALLBACK]


def by_name(name: str) -> Parser:
    """The registered parser whose `name` is `name` (KeyError if none)."""
    for parser in PARSERS:
        if parser.name == name:
            return parser
    raise KeyError(name)
