"""The reply that tells a reporter, at once, that events of their email are held: their
times cannot be trusted to the second, so nothing of them is reported (issue 12).

Two reasons, one reply (probewatch.immediate_replies' rules: authenticated, not automated,
within the daily reply limit):
  * "zone-unknown": the log writes local time without a zone, the reporter never set one and
    the alert does not show it (probewatch.zone_evidence);
  * "clock-skew": the firewall clock is measured off by more than 5 seconds
    (probewatch.clock_check).
Both say exactly what to do. The email stays stored: forwarded again after the fix, its
events are read again (a new forward is a new submission).
"""

from __future__ import annotations

from datetime import datetime

from probewatch.clock_check import MAX_SKEW_SECONDS, ClockHold
from probewatch.immediate_replies import ReplySettings, send_immediate
from probewatch.mail.inbound import InboundMail
from probewatch.zone_evidence import ZonePlan


def reply_held(
    mail: InboundMail,
    settings: ReplySettings,
    now: datetime,
    *,
    zone: ZonePlan | None = None,
    zone_held: int = 0,
    zone_example: str | None = None,
    clock: ClockHold | None = None,
    clock_held: int = 0,
    accepted: int = 0,
) -> bool:
    """Tell the sender what is held and why; True when the reply went out."""
    held = zone_held + clock_held
    body = [
        f"Thank you for forwarding this. {held} event(s) from it are HELD: they will not",
        "be reported, because their times cannot be trusted to the second, and a wrong",
        "time in an abuse report points at the wrong person.",
    ]
    if accepted:
        body.append(f"({accepted} other event(s) carried exact times and were accepted.)")
    if zone_held:
        body += ["", *_zone_lines(zone, zone_held, zone_example)]
    if clock is not None and clock_held:
        body += ["", *_clock_lines(clock, clock_held)]
    body += [
        "",
        "Your email is kept: once this is fixed, forward the alert again and its events will",
        "be read again. Events older than 72 hours are never reported.",
    ]
    return send_immediate(mail, settings, now, "events held", "\n".join(body))


def _zone_lines(zone: ZonePlan | None, count: int, example: str | None) -> list[str]:
    lines = [
        f"Time zone unknown ({count} event(s)): these log lines give a local time without a",
        "time zone, your probewatch settings name no zone, and the alert itself does not",
        "show one.",
    ]
    if example:
        lines.append(f"  e.g. {example[:200]}")
    if zone is not None and zone.hint:
        lines += [
            f"Your own email was written at UTC{zone.hint}, but that is your mail program's",
            "zone, not necessarily your firewall's, so it is not used.",
        ]
    lines += [
        "To fix it, reply with one line naming your firewall's zone, for example:",
        "  SETTINGS tz=America/New_York",
        "(or tz=Europe/Berlin, tz=UTC ...; an IANA zone name handles summer time).",
        "Or set your firewall to log in UTC, or to write its offset.",
    ]
    return lines


def _clock_lines(clock: ClockHold, count: int) -> list[str]:
    way = "ahead of" if clock.offset_seconds > 0 else "behind"
    when = f" (measured {clock.measured_at})" if clock.measured_at else ""
    return [
        f"Clock off ({count} event(s)): your firewall's clock is about "
        f"{abs(clock.offset_seconds):.0f} seconds {way}",
        f"the true time{when}; reports need times right to +-{MAX_SKEW_SECONDS:.0f} seconds.",
        "Please turn on NTP (automatic time) on the firewall. Once an alert shows the clock",
        "right (forward one as an attachment, or let the firewall mail it), events are",
        "accepted again. (A long mail delay can look like a slow clock too.)",
    ]
