"""Synthetic image files at `/files/<name>.qcow2|.iso?size_mb=N`: URLs that work offline."""

import math
from collections.abc import Iterator

from sandbox.errors import ApiError

MB = 1024 * 1024
BLOCK = 64 * 1024
# Real images start with these bytes; the rest of the file is zeros.
_MAGIC = {"qcow2": b"QFI\xfb\x00\x00\x00\x03", "iso": b""}


def parse(name: str, query: dict[str, list[str]]) -> tuple[str, int]:
    """(format, size in bytes) for a file request; ApiError 404/400 when it is not one."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or extension not in _MAGIC:
        raise ApiError(404, "Not Found: synthetic files end in .qcow2 or .iso")
    raw = query.get("size_mb", ["1"])[0]
    try:
        size_mb = float(raw)
    except ValueError:
        size_mb = -1.0
    if not math.isfinite(size_mb) or size_mb < 0:
        raise ApiError(400, "size_mb must be a number >= 0")
    return extension, round(size_mb * MB)


def content(extension: str, size: int) -> Iterator[bytes]:
    """The file body, in blocks."""
    head = _MAGIC[extension][:size]
    if head:
        yield head
    remaining = size - len(head)
    block = bytes(BLOCK)
    while remaining > 0:
        piece = min(BLOCK, remaining)
        yield block[:piece]
        remaining -= piece
