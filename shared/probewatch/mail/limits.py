"""How much of an email probewatch is willing to read, and the bookkeeping that enforces it.

Every limit has a reason code a reporter sees in the digest. The whole-message limits (size,
header bounds, nesting depth, part count) reject the email; the decompression limit skips the one archive
that would blow it (a zip bomb must not cost more than `max_decompressed_bytes` of memory).
"""

from __future__ import annotations

from dataclasses import dataclass

from probewatch.errors import MailRejected

TOO_LARGE = "too-large"
TOO_DEEP = "too-deep"
TOO_MANY_PARTS = "too-many-parts"
DECOMPRESSED_TOO_LARGE = "decompressed-too-large"


@dataclass(frozen=True, slots=True)
class MailLimits:
    max_bytes: int = 25 * 1024 * 1024
    max_depth: int = 5  # message/rfc822 and multipart levels below the outer message
    max_parts: int = 200
    max_decompressed_bytes: int = 16 * 1024 * 1024
    # Checked on the raw bytes before parsing (mail.prescan): what makes the parser slow.
    max_header_bytes: int = 512 * 1024  # the outer header block
    max_header_fields: int = 1000
    max_encoded_words: int = 100  # in any one header field (a Subject has a handful)
    max_parameters: int = 100  # in any one Content-Type / Content-Disposition
    max_mime_field_bytes: int = 16 * 1024
    max_raw_line_bytes: int = 1024 * 1024  # one physical line of the raw message
    max_line_chars: int = 64 * 1024  # one line of a decoded text (no log line is longer)

    @classmethod
    def from_settings(cls, settings: object) -> MailLimits:
        """The limits an IngestSettings carries (max_email_bytes, max_depth, ...); a missing
        one keeps its default."""
        # Not cls.max_bytes: with slots=True that is the slot descriptor, not the default.
        default = cls()
        return cls(
            max_bytes=int(getattr(settings, "max_email_bytes", default.max_bytes)),
            max_depth=int(getattr(settings, "max_depth", default.max_depth)),
            max_parts=int(getattr(settings, "max_parts", default.max_parts)),
            max_decompressed_bytes=int(
                getattr(settings, "max_decompressed_bytes", default.max_decompressed_bytes)
            ),
        )


class Budget:
    """What is left of the limits while one email is being read."""

    def __init__(self, limits: MailLimits) -> None:
        self.limits = limits
        self.parts = 0
        self.decompressed = 0

    def check_size(self, size: int) -> None:
        if size > self.limits.max_bytes:
            raise MailRejected(TOO_LARGE, f"{size} bytes, limit {self.limits.max_bytes}")

    def enter(self, depth: int) -> None:
        """Count one MIME part found at `depth` (0 = the outer message)."""
        if depth > self.limits.max_depth:
            raise MailRejected(TOO_DEEP, f"nesting deeper than {self.limits.max_depth}")
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise MailRejected(TOO_MANY_PARTS, f"more than {self.limits.max_parts} parts")

    def decompression_room(self) -> int:
        return max(0, self.limits.max_decompressed_bytes - self.decompressed)

    def spend_decompressed(self, size: int) -> None:
        self.decompressed += size
