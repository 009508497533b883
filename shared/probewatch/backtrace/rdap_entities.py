"""The entities of an RDAP ip-network answer: roles, vCards, and which abuse mailbox comes first.

Real registries differ in how they say who handles abuse, so the walk is lenient:
- LACNIC writes roles as one string ("technical, abuse"): roles are split on commas/blanks.
- An abuse entity may come without a vCard, or with one that has no email (ARIN links its POCs,
  RIPE sometimes lists only a handle): it is then fetched, by handle (or the handle at the end
  of its self link), from the same RDAP server. A fetch that fails costs that entity only.
- ARIN marks POCs that never answered its yearly validation with an "Unvalidated POC" remark.

Order of the abuse candidates: a validated mailbox before an unvalidated one, then the network's
own abuse entity (a top-level entity of the ip-network object) before one that only appears
nested under the registrant organisation (an org-wide POC), then document order.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

EntityFetcher = Callable[[str], dict[str, Any] | None]

# Deeper than any registry nests (ARIN/RIPE use 2-3 levels); a deeper answer is not walked.
MAX_ENTITY_DEPTH = 8
_ROLE_SPLIT = re.compile(r"[,;\s]+")


@dataclass(slots=True)
class AbuseCandidate:
    """An e-mail address of an entity holding the `abuse` role, best first (module docstring)."""

    email: str
    handle: str
    marked: bool  # the vCard marks it as the abuse mailbox (RIPE type=abuse, APNIC pref=1)
    own: bool = True  # a top-level entity of the network, not only its registrant's POC
    validated: bool = True  # False when the registry says the POC is unvalidated (ARIN)


def walk_entities(entities: Any) -> Iterator[tuple[dict[str, Any], int]]:
    """Every entity with its depth, nested ones included, depth-first in document order.

    Iterative and bounded by MAX_ENTITY_DEPTH, so a hostile answer cannot exhaust the stack.
    """
    stack: list[tuple[Iterator[Any], int]] = [(iter(_as_list(entities)), 0)]
    while stack:
        items, depth = stack[-1]
        entity = next(items, None)
        if entity is None:
            stack.pop()
            continue
        if not isinstance(entity, dict):
            continue
        yield entity, depth
        if depth + 1 < MAX_ENTITY_DEPTH:
            stack.append((iter(_as_list(entity.get("entities"))), depth + 1))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def roles(entity: dict[str, Any]) -> set[str]:
    """The entity's roles, lower case; a role list given as one comma string is split."""
    raw = entity.get("roles")
    values = [raw] if isinstance(raw, str) else _as_list(raw)
    found: set[str] = set()
    for value in values:
        found.update(part for part in _ROLE_SPLIT.split(str(value).lower()) if part)
    return found


def registrant_names(doc: dict[str, Any]) -> list[str]:
    names = []
    for entity, _depth in walk_entities(doc.get("entities")):
        if "registrant" in roles(entity):
            names.append(str(entity.get("handle") or ""))
            names += vcard_values(entity, "fn") + vcard_values(entity, "org")
    return [name for name in names if name]


def vcard_values(entity: dict[str, Any], prop: str) -> list[str]:
    values: list[str] = []
    for item in _vcard_items(entity):
        if str(item[0]).lower() == prop:
            value = item[3]
            values += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return values


def _vcard_items(entity: dict[str, Any]) -> list[list[Any]]:
    vcard = entity.get("vcardArray")
    if not isinstance(vcard, list) or len(vcard) < 2 or not isinstance(vcard[1], list):
        return []
    return [item for item in vcard[1] if isinstance(item, list) and len(item) >= 4]


def entity_emails(entity: dict[str, Any]) -> list[tuple[str, bool]]:
    """(address, marked) for each vCard email, in order, each address once."""
    seen: dict[str, bool] = {}
    for item in _vcard_items(entity):
        if str(item[0]).lower() != "email":
            continue
        params = item[1] if isinstance(item[1], dict) else {}
        values = item[3] if isinstance(item[3], list) else [item[3]]
        for value in values:
            address = str(value).strip().removeprefix("mailto:")
            if not address:
                continue
            seen[address] = seen.get(address, False) or _marked(params)
    return list(seen.items())


def _marked(params: dict[str, Any]) -> bool:
    types = params.get("type")
    types = types if isinstance(types, list) else [types]
    if any(str(t).lower() == "abuse" for t in types if t is not None):
        return True
    return str(params.get("pref", "")).strip() == "1"


def is_unvalidated(entity: dict[str, Any]) -> bool:
    """ARIN's remark on a POC that did not answer its validation ("Unvalidated POC")."""
    for remark in _as_list(entity.get("remarks")):
        if isinstance(remark, dict) and "unvalidated" in str(remark.get("title") or "").lower():
            return True
    return False


def entity_handle(entity: dict[str, Any]) -> str:
    """The entity's handle, or the last path segment of its self link (/entity/HANDLE)."""
    handle = entity.get("handle")
    if isinstance(handle, str) and handle.strip():
        return handle.strip()
    for link in _as_list(entity.get("links")):
        if not isinstance(link, dict) or str(link.get("rel") or "").lower() != "self":
            continue
        path = urllib.parse.urlsplit(str(link.get("href") or "")).path
        head, _slash, tail = path.rstrip("/").rpartition("/")
        if head.endswith("/entity") and tail:
            return urllib.parse.unquote(tail)
    return ""


def abuse_candidates(
    doc: dict[str, Any], fetch_entity: EntityFetcher | None = None
) -> list[AbuseCandidate]:
    """Addresses of every abuse-role entity, each once, best first (see module docstring).

    When an entity's vCard marks an abuse mailbox (RIPE type=abuse, APNIC pref=1) only the
    marked addresses count: the others are the role's general contact, not its abuse desk.
    """
    found: dict[str, AbuseCandidate] = {}
    fetched: dict[str, dict[str, Any] | None] = {}
    for entity, depth in walk_entities(doc.get("entities")):
        if "abuse" not in roles(entity):
            continue
        handle = entity_handle(entity)
        emails = entity_emails(entity)
        if not emails and fetch_entity is not None and handle:
            if handle not in fetched:
                fetched[handle] = fetch_entity(handle)
            full = fetched[handle]
            if full is not None:
                remarks = _as_list(full.get("remarks")) + _as_list(entity.get("remarks"))
                entity = {**full, "remarks": remarks}
                emails = entity_emails(entity)
        if any(marked for _address, marked in emails):
            emails = [(address, True) for address, marked in emails if marked]
        validated = not is_unvalidated(entity)
        for address, marked in emails:
            key = address.lower()
            if key not in found:
                found[key] = AbuseCandidate(address, handle, marked, depth == 0, validated)
            else:  # the same mailbox seen again (ARIN lists a POC top-level and nested)
                known = found[key]
                known.own = known.own or depth == 0
                known.marked = known.marked or marked
                known.validated = known.validated and validated
    # sorted() is stable: document order within each group.
    return sorted(found.values(), key=lambda c: (not c.validated, not c.own))
