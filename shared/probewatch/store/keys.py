"""The single-table layout: every key probewatch writes is built here and nowhere else.

Table (infra/template.yaml, `ProbeTable`): PK (S), SK (S), TTL attribute `expires_at`,
one sparse global index GSI1 (GSI1PK, GSI1SK) that holds only items that need attention.

| item                    | PK                      | SK                              | GSI1PK / GSI1SK                    |
|-------------------------|-------------------------|---------------------------------|------------------------------------|
| event                   | SRC#<ip>                | EVT#<time iso>#<event id>       | -                                  |
| source state            | SRC#<ip>                | STATE                           | ACTIVE#<shard> / <last event iso>  |
|   (GSI1 keys only while the source has new events or an open incident: the aggregate hot path)
| incident                | INC#<incident id>       | INCIDENT                        | -                                  |
| send attempt (idempot.) | INC#<incident id>       | SEND#<attempt no>               | -                                  |
| reporter profile        | REP#<email>             | PROFILE                         | REPORTERS / <email>                |
| reporter log line       | REP#<email>             | LOG#<time iso>#<kind>#<id>      | -                                  |
|   (submissions, reports sent, holds, bounces, replies: the digest reads one day with one Query)
| submission              | SUB#<submission id>     | SUBMISSION                      | -                                  |
| mailbox state           | MBX#<email>             | STATE                           | SUPPRESSED / <email> when suppressed|
| mailbox daily count     | MBX#<email>             | DAY#<yyyy-mm-dd>                | -                                  |
| global daily count      | SENDCAP                 | DAY#<yyyy-mm-dd>                | -                                  |
| report dedupe           | DEDUPE#<ip>#<mailbox>   | WINDOW                          | -                                  |
| RDAP cache (per CIDR)   | RDAP#<network>/<len>    | RDAP                            | -                                  |
| PTR cache (per IP)      | PTR#<ip>                | PTR                             | -                                  |
|   (also holds that IP's Abusix answer: both are per-address lookups with the same TTL)
| reply rate limit        | REPLY#<email>           | DAY#<yyyy-mm-dd>                | -                                  |
| pending confirmation    | REP#<email>             | CONFIRM                         | -                                  |
| sent report (by SES id) | MSG#<ses message id>    | MESSAGE                         | -                                  |
|   (lets an abuse desk's reply, which quotes only the SES Message-ID, find its incident)
| current incident pointer| SRC#<ip>                | INCIDENT                        | -                                  |
|   (sorts between the events and STATE: one Query reads a source's window and its pointer)
| incident, once final    | INC#<incident id>       | INCIDENT                        | CLOSING / <close due iso>          |
|   (GSI1 keys only while a final incident waits out its 7 quiet days: closing is one Query)
| digest sent (per day)   | REP#<email>             | DIGEST#<local yyyy-mm-dd>       | -                                  |
|   (the reporter's local calendar day: an hourly run, retried or overlapping, sends it once)
"""

from __future__ import annotations

import hashlib
import ipaddress

PK = "PK"
SK = "SK"
GSI1 = "GSI1"
GSI1PK = "GSI1PK"
GSI1SK = "GSI1SK"
TTL = "expires_at"

# Active-source partitions are sharded so a burst of new sources does not hot-spot one key.
ACTIVE_SHARDS = 4


def source_pk(ip: str) -> str:
    return f"SRC#{ip}"


def event_sk(time_iso: str, event_id: str) -> str:
    return f"EVT#{time_iso}#{event_id}"


EVENT_PREFIX = "EVT#"
SOURCE_STATE_SK = "STATE"


def active_shard(ip: str) -> str:
    shard = int(hashlib.blake2s(ip.encode(), digest_size=2).hexdigest(), 16) % ACTIVE_SHARDS
    return f"ACTIVE#{shard}"


def all_active_shards() -> list[str]:
    return [f"ACTIVE#{n}" for n in range(ACTIVE_SHARDS)]


def incident_pk(incident_id: str) -> str:
    return f"INC#{incident_id}"


INCIDENT_SK = "INCIDENT"


def send_attempt_sk(attempt: int) -> str:
    return f"SEND#{attempt:03d}"


def reporter_pk(email: str) -> str:
    return f"REP#{email.lower()}"


PROFILE_SK = "PROFILE"
CONFIRM_SK = "CONFIRM"
REPORTERS_INDEX_PK = "REPORTERS"


def reporter_log_sk(time_iso: str, kind: str, ident: str) -> str:
    return f"LOG#{time_iso}#{kind}#{ident}"


LOG_PREFIX = "LOG#"


def submission_pk(submission_id: str) -> str:
    return f"SUB#{submission_id}"


SUBMISSION_SK = "SUBMISSION"


def mailbox_pk(email: str) -> str:
    return f"MBX#{email.lower()}"


MAILBOX_STATE_SK = "STATE"
SUPPRESSED_INDEX_PK = "SUPPRESSED"
SENDCAP_PK = "SENDCAP"


def day_sk(day_iso: str) -> str:
    return f"DAY#{day_iso}"


def dedupe_pk(ip: str, mailbox: str) -> str:
    return f"DEDUPE#{ip}#{mailbox.lower()}"


DEDUPE_SK = "WINDOW"


def rdap_cache_pk(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    return f"RDAP#{network.with_prefixlen}"


RDAP_SK = "RDAP"


def ptr_cache_pk(ip: str) -> str:
    return f"PTR#{ip}"


PTR_SK = "PTR"


def reply_limit_pk(email: str) -> str:
    return f"REPLY#{email.lower()}"


def sent_message_pk(message_id: str) -> str:
    return f"MSG#{message_id}"


SENT_MESSAGE_SK = "MESSAGE"


# Appended by the aggregate stage (store/incidents.py).
SOURCE_INCIDENT_SK = "INCIDENT"
CLOSING_INDEX_PK = "CLOSING"


# Appended for the per-local-day digest (store/reporters.py: claim_digest).
def digest_sent_sk(day_iso: str) -> str:
    return f"DIGEST#{day_iso}"


# Appended for the abuse-desk features (store/desks.py).
# | opt-out (network/domain)| OPTOUT                  | NET#<cidr> or DOMAIN#<domain>   | -                                  |
# |   (one small partition: the send function reads it whole with one Query per report)
# | XARF opt-in             | XARF                    | MBX#<email> or DOMAIN#<domain>  | -                                  |
# | desk reply to a report  | INC#<incident id>       | REPLY#<time iso>#<hash>         | -                                  |
# |   (next to the incident and its SEND# attempts: one Query reads an incident's history)
# | relay rate limit        | RELAY#<email>           | DAY#<yyyy-mm-dd>                | -                                  |
OPTOUT_PK = "OPTOUT"
XARF_PK = "XARF"
INCIDENT_REPLY_PREFIX = "REPLY#"
SEND_ATTEMPT_PREFIX = "SEND#"


def optout_sk(kind: str, value: str) -> str:
    """kind "network" (value a CIDR) or "domain"."""
    return f"{'NET' if kind == 'network' else 'DOMAIN'}#{value.lower()}"


def xarf_sk(target: str) -> str:
    """A mailbox (has an @) or a whole domain."""
    return f"MBX#{target.lower()}" if "@" in target else f"DOMAIN#{target.lower()}"


def incident_reply_sk(time_iso: str, ident: str) -> str:
    return f"{INCIDENT_REPLY_PREFIX}{time_iso}#{ident}"


def relay_limit_pk(email: str) -> str:
    return f"RELAY#{email.lower()}"
