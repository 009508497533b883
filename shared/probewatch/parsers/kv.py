"""A shared key=value tokenizer (FortiGate, SonicWall, netfilter-like, generic formats).

`parse_kv(text)` returns {key: value} for every `key=value`, `key="quoted value"` or
`key='quoted'` in `text`, in one compiled-regex pass. Keys are kept as written (case and
all); the first occurrence of a key wins (netfilter repeats SRC=/DST= inside the quoted
ICMP error payload, and the outer packet comes first). Values lose their quotes; unquoted
values end at whitespace or a comma followed by another key. Bad input never raises: text
without pairs gives {}.
"""

from __future__ import annotations

from probewatch.parsers.patterns import lazy

_PAIR = lazy(
    r"""(?P<key>[A-Za-z_][\w.\-]*)=(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s,"]*(?:,(?![\w.\-]+=)[^\s,"]*)*))"""
)


def parse_kv(text: str) -> dict[str, str]:
    """Every key=value pair in `text` (first occurrence wins)."""
    pairs: dict[str, str] = {}
    for match in _PAIR.finditer(text):
        key = match.group("key")
        if key in pairs:
            continue
        value = match.group("dq")
        if value is None:
            value = match.group("sq")
            if value is None:
                value = match.group("bare")
        pairs[key] = value
    return pairs


def parse_kv_lower(text: str) -> dict[str, str]:
    """Like parse_kv, with keys lower-cased (for formats whose key case varies)."""
    pairs: dict[str, str] = {}
    for key, value in parse_kv(text).items():
        pairs.setdefault(key.lower(), value)
    return pairs
