"""Compressed log attachments (.gz, .zip, .tar.gz) -> (member name, bytes), bounded.

Sizes written inside an archive are never trusted: every member is read in chunks and the
read stops as soon as the email's decompression budget is spent, so a zip bomb costs at most
`max_decompressed_bytes` of memory. Only members that look like text logs are returned.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from probewatch.errors import MailRejected
from probewatch.mail.limits import DECOMPRESSED_TOO_LARGE, Budget

if TYPE_CHECKING:
    from _typeshed import SupportsRead

_CHUNK = 64 * 1024
TEXT_SUFFIXES = (".log", ".txt", ".csv", ".tsv", ".json", ".out", ".text")


class ArchiveUnreadable(ValueError):
    """The archive is corrupt or not what its name says."""


def is_text_name(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(TEXT_SUFFIXES) or "." not in lowered.rsplit("/", 1)[-1]


def archive_kind(name: str, content_type: str) -> str | None:
    """The archive kind ("gzip", "zip", "tar") from the file name, then the declared type."""
    lowered = name.lower()
    if lowered.endswith((".tar.gz", ".tgz", ".tar")):
        return "tar"
    if lowered.endswith(".gz") or content_type in {"application/gzip", "application/x-gzip"}:
        return "gzip"
    if lowered.endswith(".zip") or content_type in {
        "application/zip",
        "application/x-zip-compressed",
    }:
        return "zip"
    return None


def extract(kind: str, name: str, data: bytes, budget: Budget) -> Iterator[tuple[str, bytes]]:
    """The text members of an archive. Raises MailRejected(decompressed-too-large) when the
    budget runs out, ArchiveUnreadable when the archive is broken."""
    try:
        if kind == "gzip":
            inner = name[:-3] if name.lower().endswith(".gz") else name
            data_out = _read_bounded(gzip.GzipFile(fileobj=io.BytesIO(data)), budget, name)
            yield inner, data_out
        elif kind == "zip":
            yield from _zip_members(data, budget)
        elif kind == "tar":
            yield from _tar_members(data, budget, name)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ArchiveUnreadable(f"{name}: {exc}") from exc


def _zip_members(data: bytes, budget: Budget) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir() or not is_text_name(info.filename):
                continue
            with archive.open(info) as member:
                yield info.filename, _read_bounded(member, budget, info.filename)


def _tar_members(data: bytes, budget: Budget, name: str) -> Iterator[tuple[str, bytes]]:
    raw: BinaryIO = io.BytesIO(data)
    if name.lower().endswith((".gz", ".tgz")):
        raw = io.BytesIO(_read_bounded(gzip.GzipFile(fileobj=raw), budget, name))
    with tarfile.open(fileobj=raw, mode="r:") as archive:
        for info in archive:
            if not info.isfile() or not is_text_name(info.name):
                continue
            member = archive.extractfile(info)
            if member is not None:
                yield info.name, _read_bounded(member, budget, info.name)


def _read_bounded(stream: SupportsRead[bytes], budget: Budget, name: str) -> bytes:
    room = budget.decompression_room()
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, room - total + 1))
        if not chunk:
            break
        total += len(chunk)
        if total > room:
            budget.spend_decompressed(total)
            raise MailRejected(
                DECOMPRESSED_TOO_LARGE,
                f"{name}: more than {budget.limits.max_decompressed_bytes} bytes decompressed",
            )
        chunks.append(chunk)
    budget.spend_decompressed(total)
    return b"".join(chunks)
