"""Regular expressions compiled on first use.

The format modules hold over a hundred patterns; compiling them all at import costs every
`probewatch parse` (and every cold Lambda start) some 25 ms, while a log usually needs the
patterns of one or two formats. `lazy(pattern, flags)` stands in for `re.compile` at module
level: the first attribute asked for compiles the pattern, and its methods are then plain
attributes of the stand-in (a call costs some 15 ns more than on the compiled pattern, so
the patterns run on every line of the most common formats stay `re.compile`).

A stand-in offers the methods in _METHODS and `pattern`, `flags`, `groups`, `groupindex`;
it is not the compiled pattern itself: code comparing `match.re is PATTERN` keeps
`re.compile` (cisco_asa, cisco_ios).
"""

from __future__ import annotations

import re
from typing import Any, cast

# What the format modules call on their patterns.
_METHODS = ("match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split")


class _Compiled:
    """A lazy pattern once compiled: its methods are instance attributes. (No __getattr__
    on this class: that hook would slow every method lookup.)"""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r}, {self._source[1]})"

    @property
    def pattern(self) -> str:
        return self._source[0]

    @property
    def flags(self) -> int:
        return _compile(self).flags

    @property
    def groups(self) -> int:
        return _compile(self).groups

    @property
    def groupindex(self) -> Any:
        return _compile(self).groupindex


class _Lazy(_Compiled):
    def __getattr__(self, name: str) -> Any:
        # Only reached for names not set yet, that is on first use: compile, then become
        # a _Compiled whose lookups never come here again.
        return getattr(_compile(self), name)


def _compile(lazy: _Compiled) -> re.Pattern[str]:
    compiled = lazy._compiled
    if compiled is None:
        compiled = lazy._compiled = re.compile(*lazy._source)
        for method in _METHODS:
            setattr(lazy, method, getattr(compiled, method))
        lazy.__class__ = _Compiled
    return compiled


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, done when the pattern is first used."""
    return cast("re.Pattern[str]", _Lazy(pattern, flags))
