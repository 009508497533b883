"""Commands reporters send by email, and self-service registration.

A command is the first non-empty, non-quoted line of the body, or else a Subject that is
not a reply ("Re: ..." subjects only echo what is being answered): SUBSCRIBE, CONFIRM <code> (or the bare code), CANCEL <incident>, PAUSE, RESUME,
SETTINGS key=value..., HELP, STOP (UNSUBSCRIBE means STOP). Anything else is not a command and
goes on to be read as firewall logs.

Commands count only from mail that passed SPF or DKIM (DMARC not failing), was written by a
person and is not from a system address (immediate_replies.why_not_reply): otherwise the
mail is dropped silently (no change, no reply, no backscatter). Each
command gets a short reply, within the shared daily reply limit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from probewatch.immediate_replies import why_not_reply
from probewatch.model import Reporter, iso_z
from probewatch.observability import logger
from probewatch.reporter_mail import send_reply
from probewatch.store import reporters as store

if TYPE_CHECKING:
    from probewatch.config import IngestSettings
    from probewatch.mail.inbound import InboundMail

CONFIRMATION_VALID = timedelta(hours=48)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get retyped
_CODE = re.compile(r"^([A-HJ-NP-Z2-9]{4})-?([A-HJ-NP-Z2-9]{4})$")
_INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#-]{2,100}$")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw)\s*:\s*)+", re.IGNORECASE)
_NO_ARGUMENTS = {"SUBSCRIBE", "PAUSE", "RESUME", "HELP", "STOP"}
SETTING_KEYS = ("tz", "mask", "review", "digest")


@dataclass(frozen=True, slots=True)
class Command:
    verb: str  # upper case, one of the verbs above
    args: tuple[str, ...] = ()
    bare_code: bool = False  # a lone confirmation code: a command only if one is pending


def parse_command(subject: str, body: str) -> Command | None:
    """The command in the body's first own line, else in the subject; None if there is none.

    A subject starting with "Re:" is an echo of the mail being answered (our reply to
    SUBSCRIBE is "Re: SUBSCRIBE"), so only a fresh subject counts as a command.
    """
    for line in (body or "").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(">"):
            found = command_in_line(stripped)
            if found:
                return found
            break
    subject = subject or ""
    if _REPLY_PREFIX.match(subject):
        return None
    return command_in_line(subject)


def command_in_line(line: str) -> Command | None:
    """Strict: a line is a command only when it has exactly the command's shape."""
    words = line.strip().rstrip(".!").split()
    if not words:
        return None
    verb, args = words[0].upper(), tuple(words[1:])
    if verb == "UNSUBSCRIBE":
        verb = "STOP"
    if verb in _NO_ARGUMENTS:
        return Command(verb) if not args else None
    if verb == "CONFIRM" and len(args) == 1 and (code := normalize_code(args[0])):
        return Command("CONFIRM", (code,))
    if verb == "CANCEL" and len(args) == 1 and _INCIDENT_ID.match(args[0]):
        return Command("CANCEL", args)
    if verb == "SETTINGS" and args:
        return Command("SETTINGS", args)
    if len(words) == 1 and (code := normalize_code(words[0])):
        return Command("CONFIRM", (code,), bare_code=True)
    return None


def normalize_code(text: str) -> str | None:
    match = _CODE.match(text.strip().upper())
    return f"{match[1]}-{match[2]}" if match else None


def new_code() -> str:
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def apply_settings(reporter: Reporter, pairs: dict[str, str]) -> Reporter:
    """`reporter` with the given settings changed; ValueError naming every bad one."""
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in pairs.items():
        key, value = key.lower(), value.strip()
        if key == "tz":
            if value in _zones():
                changes["tz"] = value
                changes["tz_declared"] = True  # tz=UTC too: a fact now, not a default
            else:
                problems.append(f"tz={value}: not a time zone name (e.g. Europe/Berlin, UTC)")
        elif key == "mask":
            if value in ("2", "3"):
                changes["mask_octets"] = int(value)
            else:
                problems.append(f"mask={value}: must be 2 or 3 (octets hidden)")
        elif key in ("review", "digest"):
            allowed: dict[str, dict[str, Any]] = {
                "review": {"on": True, "off": False},
                "digest": {"daily": "daily", "off": "off"},
            }
            if value.lower() in allowed[key]:
                changes[key] = allowed[key][value.lower()]
            else:
                problems.append(f"{key}={value}: must be {' or '.join(allowed[key])}")
        else:
            problems.append(f"{key}: unknown setting (known: {', '.join(SETTING_KEYS)})")
    if problems:
        raise ValueError("; ".join(problems))
    return replace(reporter, **changes)


def describe_settings(reporter: Reporter) -> str:
    return (
        f"tz={reporter.tz} mask={reporter.mask_octets} review={'on' if reporter.review else 'off'} "
        f"digest={reporter.digest} (status: {reporter.status})"
    )


def handle_command_mail(mail: InboundMail, settings: IngestSettings, now: datetime) -> bool:
    """Act on a command mail. True = it was one (handled, or ignored as unauthenticated):
    do not read it as logs. False = not a command."""
    command = parse_command(mail.subject, mail.body_text)
    if command is None:
        return False
    if command.bare_code and not (
        mail.auth.passed and store.get_confirmation(settings.table_name, mail.sender, now)
    ):
        return False  # a lone token that merely looks like a code: let ingest read it
    refused = why_not_reply(mail, settings)
    if refused:
        # Forged, machine-written or from a system address: acting on it, or answering it,
        # would help an attacker or start a mail loop.
        logger.warning(
            "ignored command",
            extra={"sender": mail.sender, "verb": command.verb, "why": refused},
        )
        return True
    session = _Session(mail, settings, now)
    result, reply = session.run(command)
    logger.info("command", extra={"sender": mail.sender, "verb": command.verb, "result": result})
    session.log(command, result)
    send_reply(
        mail,
        reply + "\n\n" + _SIGNATURE,
        sender=settings.sender_address,
        table_name=settings.table_name,
        limit=settings.replies_per_day,
        now=now,
    )
    return True


class _Session:
    """One authenticated command mail: the sender's profile and the verbs' effects."""

    def __init__(self, mail: InboundMail, settings: IngestSettings, now: datetime) -> None:
        self.mail, self.settings, self.now = mail, settings, now
        self.table = settings.table_name
        self.email = mail.sender.lower()
        self.reporter = store.get_reporter(self.table, self.email)
        self.incident_id: str | None = None

    def run(self, command: Command) -> tuple[str, str]:
        """(short result for the log, reply text)."""
        if command.verb == "HELP":
            return "help", self._help()
        if command.verb == "SUBSCRIBE":
            return self._subscribe()
        if command.verb == "CONFIRM":
            return self._confirm(command.args[0])
        if self.reporter is None:
            return (
                "not-registered",
                "This address is not registered with probewatch.\n\n" + self._help(),
            )
        if command.verb == "CANCEL":
            return self._cancel(command.args[0])
        if command.verb == "SETTINGS":
            return self._settings(command.args)
        return self._set_status(command.verb)

    def log(self, command: Command, result: str) -> None:
        """Note the command in the reporter's log (the digest lists it); strangers get none."""
        if self.reporter is None:
            return
        shown = "CONFIRM" if command.verb == "CONFIRM" else " ".join([command.verb, *command.args])
        ident = hashlib.sha256(f"{self.mail.message_id}\0{shown}".encode()).hexdigest()[:16]
        data = {"command": shown, "result": result}
        if self.incident_id:
            data["incident_id"] = self.incident_id
        store.append_log(self.table, self.email, self.now, "command", ident, data)

    def _help(self) -> str:
        lines = [
            "probewatch commands (reply with one of these as the subject or the first line):",
            "  PAUSE                stop reporting from your alerts until RESUME",
            "  RESUME               start again",
            "  SETTINGS tz=<zone> mask=2|3 review=on|off digest=daily|off",
            "                       e.g. SETTINGS tz=Europe/Berlin review=on",
            "  CANCEL <incident>    stop a report that is waiting for your review",
            "  STOP                 no more reports from your alerts, no more email",
            "  HELP                 this text",
        ]
        if self.settings.self_service:
            lines.insert(1, "  SUBSCRIBE            register this address (we reply with a code)")
        if self.reporter is not None:
            lines += ["", f"Your settings: {describe_settings(self.reporter)}"]
        lines += [
            "",
            "To report probes, forward your firewall or router alert emails to "
            f"{self.settings.inbound_address}, inline or as attachments.",
        ]
        return "\n".join(lines)

    def _subscribe(self) -> tuple[str, str]:
        if self.reporter is not None and self.reporter.status != "stopped":
            return "already-registered", (
                f"This address is already registered. Your settings: {describe_settings(self.reporter)}"
            )
        if not self.settings.self_service:
            return "self-service-off", (
                "Registration by email is switched off here; please ask the operator to add you."
            )
        code = new_code()
        store.put_confirmation(self.table, self.email, code, self.now + CONFIRMATION_VALID)
        return "code-sent", (
            f"To confirm that you want to register {self.email} with probewatch, reply with:\n\n"
            f"    CONFIRM {code}\n\n"
            f"The code is valid for {CONFIRMATION_VALID.days * 24} hours. If you did not ask for "
            "this, ignore this message."
        )

    def _confirm(self, code: str) -> tuple[str, str]:
        if not self.settings.self_service:
            return "self-service-off", "Registration by email is switched off here."
        pending = store.get_confirmation(self.table, self.email, self.now)
        if pending is None or not hmac.compare_digest(pending, code):
            return (
                "bad-code",
                "That code is not valid or has expired. Send SUBSCRIBE for a new one.",
            )
        reporter = self.reporter or Reporter(email=self.email, created_at=iso_z(self.now))
        self.reporter = replace(reporter, status="active", digest="daily")
        store.put_reporter(self.table, self.reporter)
        store.delete_confirmation(self.table, self.email)
        return "registered", (
            f"Welcome: {self.email} is registered.\n\n"
            f"Forward your firewall or router alert emails to {self.settings.inbound_address}, "
            "inline or as attachments. Every day you get a digest of what was received, "
            "what was reported to whom, and what was dropped and why.\n"
            f"Your settings: {describe_settings(self.reporter)}\n"
            "Reply HELP for the commands."
        )

    def _cancel(self, incident_id: str) -> tuple[str, str]:
        # Imported here: only CANCEL needs the incident store (ingest imports this module).
        from probewatch.store.incidents import IncidentChanged, get_incident, save_incident

        self.incident_id = incident_id
        for _attempt in range(3):  # the aggregate may be saving it at this very moment
            incident = get_incident(self.table, incident_id)
            if incident is None or self.email not in {r.lower() for r in incident.reporters}:
                # Same answer whether it exists or not: others' incident ids stay private.
                return "not-found", f"No incident {incident_id} of yours was found."
            if incident.status != "held":
                return f"not-cancelled-{incident.status}", (
                    f"Incident {incident_id} ({incident.src_ip}) can no longer be cancelled: "
                    f"it is {incident.status}."
                )
            incident.status = "cancelled"
            incident.decision_code = "cancelled"
            incident.decision = f"cancelled by a reporter during review at {iso_z(self.now)}"
            try:
                save_incident(self.table, incident)
            except IncidentChanged:
                continue
            return "cancelled", (
                f"Cancelled: the report about {incident.src_ip} (incident {incident_id}) "
                "will not be sent."
            )
        return "busy", f"Incident {incident_id} is being updated; please send CANCEL again."

    def _settings(self, args: tuple[str, ...]) -> tuple[str, str]:
        assert self.reporter is not None
        pairs: dict[str, str] = {}
        malformed = [arg for arg in args if "=" not in arg]
        for arg in args:
            key, _, value = arg.partition("=")
            pairs[key] = value
        try:
            if malformed:
                raise ValueError(f"expected key=value, got {', '.join(malformed)}")
            updated = apply_settings(self.reporter, pairs)
        except ValueError as exc:
            return "invalid", (
                f"Nothing was changed: {exc}.\n"
                "Usage: SETTINGS tz=<zone> mask=2|3 review=on|off digest=daily|off\n"
                f"Your settings: {describe_settings(self.reporter)}"
            )
        store.put_reporter(self.table, updated)
        self.reporter = updated
        return "updated", f"Settings saved: {describe_settings(updated)}"

    def _set_status(self, verb: str) -> tuple[str, str]:
        assert self.reporter is not None
        if verb == "PAUSE":
            updated, text = (
                replace(self.reporter, status="paused"),
                (
                    "Paused: alerts you forward will not be reported until you send RESUME. "
                    "Your digest continues."
                ),
            )
        elif verb == "RESUME":
            # Coming back from STOP brings the digest back too.
            digest = "daily" if self.reporter.status == "stopped" else self.reporter.digest
            updated, text = (
                replace(self.reporter, status="active", digest=digest),
                ("Resumed: alerts you forward will be reported again."),
            )
        else:
            updated, text = (
                replace(self.reporter, status="stopped", digest="off"),
                (
                    "Stopped: alerts you forward will no longer be used and you will get no digests. "
                    "To come back, send SUBSCRIBE."
                ),
            )
        store.put_reporter(self.table, updated)
        self.reporter = updated
        return updated.status, text


_SIGNATURE = "-- \nprobewatch (automatic reply)"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())
