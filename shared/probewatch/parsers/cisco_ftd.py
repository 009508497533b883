"""Cisco Firepower Threat Defense 430001-430003 events (`Key: value, Key: value, ...`),
which arrive under the same `%FTD-n-id:` tags as the ASA messages (cisco_asa.py).

430001 is an intrusion event (blocked/dropped inline -> block, else unknown; evidence
"ids"); 430002/430003 a connection's start/end, whose AccessControlRuleAction says what
the policy did (Trust/Fastpath let it through unchecked: allow).
"""

from __future__ import annotations

from typing import NamedTuple

from probewatch.model import Action
from probewatch.parsers.patterns import lazy
from probewatch.parsers.vendor_helpers import verdict

_FTD_FIELD = lazy(r"(\w+): ([^,]*)")


class FtdFields(NamedTuple):
    proto: str
    src: tuple[str, str | None]
    dst: tuple[str | None, str | None]
    action: Action
    evidence: str | None
    time_text: str | None


def fields(message_id: str, body: str) -> FtdFields | None:
    """The traffic a 430001-430003 body describes, None without a source and protocol."""
    found = {key: value.strip() for key, value in _FTD_FIELD.findall(body)}
    src, proto = found.get("SrcIP"), found.get("Protocol")
    if not src or not proto:
        return None
    ports = (found.get("SrcPort"), found.get("DstPort"))
    if message_id == "430001":
        result = found.get("InlineResult", "")
        action: Action = "block" if result.lower() in ("blocked", "dropped") else "unknown"
        evidence: str | None = "ids"
    else:
        word = found.get("AccessControlRuleAction", "").split()[0:1]
        action = verdict(word[0] if word else None)
        if word and word[0].lower() in ("trust", "fastpath"):
            action = "allow"
        evidence = None
    return FtdFields(proto, (src, ports[0]), (found.get("DstIP"), ports[1]), action, evidence,
                     found.get("FirstPacketSecond"))  # fmt: skip
