"""Cisco Meraki MX syslog: security events (IDS alerts) and flow / firewall logs.

    <134>1 1637691198.348361125 MX84 security_event ids_alerted signature=1:29708:4
        priority=1 timestamp=1637691198.330873 direction=ingress protocol=tcp/ip
        src=203.0.113.12:80 dst=10.0.3.162:56391 decision=allowed message: ...
    <134>1 1637783891.345984502 MX84 ids-alerts signature=129:4:1 ... src=203.0.113.15:80
    <134>1 1374543986.038687615 MX60 firewall src=203.0.113.7 dst=192.0.2.8 protocol=tcp
        sport=55719 dport=22 pattern: deny all

    <134>1 1637691298.984398273 MX84 security_event security_filtering_file_scanned
        url=http://www.example.org/x.txt src=192.168.128.2:53150 dst=203.0.113.15:80
        mac=... name='EICAR...' sha256=... disposition=malicious action=block

Time: the epoch after the syslog header (UTC). IDS alerts carry evidence "ids"; their
`decision=blocked` is a block, otherwise "unknown" (seen, not stopped). Flow/firewall lines
take the action from the word after `flows` (`flows deny src=...`, MR access points and
newer MX), else from `pattern: allow|deny ...` (MX 17+: `pattern: 1 ...` allow, `0` deny;
l7_firewall: `decision=blocked`).
A file-scan verdict (a download the MX scanned for malware) is an event when it names both
ends: `action=block` is a block, anything else an allowed download ("allow", never
"unknown": the source is the downloading client, and its own request is no probe). Its protocol is "IP" unless the line states one
(the URL's scheme is not a transport). URL logs (`urls src=A:p dst=B:q ... request: GET
http://...`) describe a request without a verdict: action "unknown", evidence "no-verdict"
(never reported), protocol "IP". Other Meraki events (disposition changes without
addresses, DHCP, VPN, admin events) give no events.
"""

from __future__ import annotations

import re

from probewatch.model import Action, ProbeEvent
from probewatch.parsers import timestamps, validate
from probewatch.parsers.base import ParseContext
from probewatch.parsers.kv import parse_kv
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import NO_VERDICT, colon_endpoint, verdict

# `<134>1 1637691198.348361125 MX84 flows ...`, possibly behind a relay's BSD header
# (`<164>Sep 28 10:15:02 relay 1374543986.038687615 MX84 flows : src=...`).
_HEADER = lazy(
    r"(?:^|\s)(?:<\d{1,3}>)?(?:1 )?(?P<epoch>\d{10}\.\d+) \S+ "
    r"(?P<kind>security_event \w+|ids-alerts|flows|urls|events|airmarshal_events|ip_flow_\w+"
    r"|\w*firewall)\b"
)
_IDS_KINDS = frozenset({"security_event ids_alerted", "ids-alerts"})
_FILE_SCANNED = "security_event security_filtering_file_scanned"
_PATTERN = lazy(r"\bpattern: (?P<word>\w+)")
_FLOW_WORD = lazy(r"^\s*(?P<word>allow|deny)\b")
_PATTERN_NUMBERS = {"1": "allow", "0": "deny"}  # MX 17+ print the rule's verdict as a digit


class MerakiParser:
    name = "meraki"

    def can_parse(self, line: str) -> bool:
        return _HEADER.search(line) is not None

    def parse(self, line: str, ctx: ParseContext) -> list[ProbeEvent] | None:
        header = _HEADER.search(line)
        if header is None:
            return None
        kind = header.group("kind")
        if kind == _FILE_SCANNED:
            return self._file_scanned(line, header)
        if kind == "urls":
            return self._url(line, header)
        ids = kind in _IDS_KINDS
        flow = kind in ("flows", "firewall", "ip_flow_start", "ip_flow_end")
        if not ids and not flow and not kind.endswith("firewall"):
            return []  # URL logs, file scans, DHCP, VPN...: Meraki, but not traffic
        body = line[header.end() :]
        head, _, _ = body.partition(" message: ")
        fields = parse_kv(head)
        if "src" not in fields or "protocol" not in fields:
            return []
        src, sport = colon_endpoint(fields["src"])
        dst, dport = colon_endpoint(fields["dst"]) if "dst" in fields else (None, None)
        sport = sport or fields.get("sport")
        dport = dport or fields.get("dport")
        proto = fields["protocol"].split("/", 1)[0]  # "tcp/ip"
        if ids:
            action: Action = "block" if fields.get("decision") == "blocked" else "unknown"
        else:
            said = _FLOW_WORD.match(body)  # "flows deny src=..."
            pattern = _PATTERN.search(body)  # flows / firewall: "pattern: deny all"
            word: str = pattern.group("word") if pattern else fields.get("decision", "")
            action = verdict(said.group("word") if said else _PATTERN_NUMBERS.get(word, word))
            if kind.startswith("ip_flow_"):
                action = "allow"  # a session the MX let through
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=timestamps.parse_epoch(header.group("epoch")),
                src_ip=src,
                src_port=sport,
                dst_ip=dst,
                dst_port=dport,
                proto_name=proto,
                action_word=action,
                evidence="ids" if ids else None,
                direction=validate.direction(fields.get("direction")),  # ingress / egress
            )
        ]

    def _url(self, line: str, header: re.Match[str]) -> list[ProbeEvent]:
        fields = parse_kv(line[header.end() :].partition(" request: ")[0])
        if "src" not in fields or "dst" not in fields:
            return []
        src, sport = colon_endpoint(fields["src"])
        dst, dport = colon_endpoint(fields["dst"])
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=timestamps.parse_epoch(header.group("epoch")),
                src_ip=src,
                src_port=sport,
                dst_ip=dst,
                dst_port=dport,
                proto_name="IP",
                action_word="unknown",
                evidence=NO_VERDICT,
            )
        ]

    def _file_scanned(self, line: str, header: re.Match[str]) -> list[ProbeEvent]:
        fields = parse_kv(line[header.end() :])
        if "src" not in fields or "dst" not in fields:
            return []
        src, sport = colon_endpoint(fields["src"])
        dst, dport = colon_endpoint(fields["dst"])
        blocked = verdict(fields.get("action")) == "block"
        return [
            validate.make_event(
                format=self.name,
                raw=line,
                time=timestamps.parse_epoch(header.group("epoch")),
                src_ip=src,
                src_port=sport,
                dst_ip=dst,
                dst_port=dport,
                proto_name=fields.get("protocol", "IP").split("/", 1)[0],
                action_word="block" if blocked else "allow",
            )
        ]


PARSER = MerakiParser()
