"""What SES found out about the sender, read from the headers SES adds on inbound mail.

SES prepends, above everything the sender wrote:
  Received: from ... by inbound-smtp.<region>.amazonaws.com with SMTP id ...; <date>
  X-SES-Spam-Verdict: PASS|FAIL|GRAY|PROCESSING_FAILED
  X-SES-Virus-Verdict: PASS|FAIL|GRAY|PROCESSING_FAILED
  Received-SPF: pass (spfCheck: ...) client-ip=...; envelope-from=...;
  Authentication-Results: amazonses.com; spf=pass ...; dkim=pass header.i=@...; dmarc=pass ...
Only the topmost header of each name counts: a sender can write any header it likes below
SES's own, so a forged "Authentication-Results: amazonses.com; spf=pass" further down must
not win. Headers of a forwarded original live inside the body and are never looked at here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from probewatch.mail.loops import automated_reason

__all__ = ["SES_AUTHSERV_ID", "AuthVerdict", "automated_reason", "read_auth"]

SES_AUTHSERV_ID = "amazonses.com"
_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AuthVerdict:
    """SES's verdicts, lower case ("pass", "fail", "softfail", "none", "gray"...), "" if absent."""

    spf: str = ""
    dkim: str = ""
    dmarc: str = ""
    spam: str = ""
    virus: str = ""

    @property
    def passed(self) -> bool:
        """SPF or DKIM passed, and DMARC did not fail: the sender is who the From says."""
        return (self.spf == "pass" or self.dkim == "pass") and self.dmarc != "fail"

    def to_dict(self) -> dict[str, str | bool]:
        return {
            "spf": self.spf,
            "dkim": self.dkim,
            "dmarc": self.dmarc,
            "spam": self.spam,
            "virus": self.virus,
            "passed": self.passed,
        }


def read_auth(message: Message) -> AuthVerdict:
    """The verdicts of the outer message; absent headers give empty strings (not passed)."""
    results = _ses_authentication_results(message)
    spf = results.get("spf", "") or _received_spf(message)
    return AuthVerdict(
        spf=spf,
        dkim=results.get("dkim", ""),
        dmarc=results.get("dmarc", ""),
        spam=_first_word(message, "X-SES-Spam-Verdict"),
        virus=_first_word(message, "X-SES-Virus-Verdict"),
    )


def _ses_authentication_results(message: Message) -> dict[str, str]:
    """Method -> result from the topmost Authentication-Results, if SES wrote it."""
    headers = message.get_all("Authentication-Results") or []
    if not headers:
        return {}
    top = _unfold(headers[0])
    authserv_id = top.split(";", 1)[0].strip().lower()
    if authserv_id != SES_AUTHSERV_ID:
        return {}
    found: dict[str, str] = {}
    for method, result in _RESULT.findall(top.split(";", 1)[-1]):
        found.setdefault(method.lower(), result.lower())  # several DKIM signatures: the first
        if method.lower() == "dkim" and result.lower() == "pass":
            found["dkim"] = "pass"  # ...unless a later one passed
    return found


def _received_spf(message: Message) -> str:
    return _first_word(message, "Received-SPF")


def _first_word(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    words = _unfold(value).split()
    return words[0].lower() if words else ""


def _unfold(value: object) -> str:
    return " ".join(str(value).split())
