"""Where a text's lines end, before anyone splits it.

Log lines end in LF or CRLF. A bare CR ends a line only in a text that uses it as its line
ending (no LF anywhere: old Mac tools, some router exports); anywhere else a CR is stray
(a mail program's artefact, or an attacker's) and, like the other characters str.splitlines()
would break on (VT, FF, FS/GS/RS, NEL U+0085, U+2028, U+2029), it becomes a space: splitting
there would cut one log line into two halves that no parser can read.
"""

from __future__ import annotations

import re

_INLINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def normalize_line_ends(text: str) -> str:
    """`text` with "\\n" as its only line break (see the module docstring)."""
    if "\r" in text:
        if "\n" in text:
            text = text.replace("\r\n", "\n").replace("\r", " ")
        else:
            text = text.replace("\r", "\n")
    return _INLINE_BREAKS.sub(" ", text)
