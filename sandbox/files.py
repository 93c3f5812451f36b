"""Synthetic files at `/files/<name>.qcow2|.iso?size_mb=N`: URLs that work offline.

By default a file is what its extension says, a real header followed by zeros: a qcow2 v3 header
(virtual size `virtual_gb`, default 10) or an ISO 9660 primary volume descriptor. `content=` serves
another kind, generated at request time so every kind a user may link to can be tried:

- `qcow2` with `backing=<file>`, `encryption=aes|luks`, `compression=zstd`, `virtual_gb=N`;
- `iso`, `html` (a login page, text/html), `unknown` (zeros);
- `gzip`, `xz`, `zip`, `bzip2`, `zstd`: real archives of a small qcow2 (their own size).

A single `Range: bytes=a-b` is answered 206 unless `ranges=none`, which answers 200 with the whole
file, like servers that do not serve ranges.
"""

import bz2
import gzip
import io
import lzma
import math
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from sandbox.errors import ApiError

MB = 1024 * 1024
GB = 1024 * MB
BLOCK = 64 * 1024
EXTENSIONS = ("qcow2", "iso")
ARCHIVES = ("gzip", "xz", "zip", "bzip2", "zstd")
KINDS = (*EXTENSIONS, "html", "unknown", *ARCHIVES)
LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    b'<body><form method="post"><input name="user"><input type="password" name="password">'
    b"</form></body></html>\n"
)


@dataclass(frozen=True)
class SyntheticFile:
    head: bytes  # the real bytes at the start; zeros follow up to `size`
    size: int
    content_type: str = "application/octet-stream"
    ranges: bool = True

    def body(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes start..end (inclusive), in blocks."""
        end = self.size - 1 if end is None else end
        position = start
        if position < len(self.head):
            piece = self.head[position : end + 1]
            yield piece
            position += len(piece)
        block = bytes(BLOCK)
        while position <= end:
            piece = min(BLOCK, end + 1 - position)
            yield block[:piece]
            position += piece


def parse(name: str, query: dict[str, list[str]]) -> SyntheticFile:
    """The file a request names; ApiError 404/400 when it is not one."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or extension not in EXTENSIONS:
        raise ApiError(404, "Not Found: synthetic files end in .qcow2 or .iso")

    def one(key: str, default: str = "") -> str:
        return query.get(key, [default])[0]

    size = round(_number(one("size_mb", "1"), "size_mb") * MB)
    kind = one("content", extension)
    if kind not in KINDS:
        raise ApiError(400, f"content must be one of {', '.join(KINDS)}")
    ranges = one("ranges") != "none"
    if kind == "html":
        return SyntheticFile(LOGIN_PAGE, len(LOGIN_PAGE), "text/html; charset=utf-8", ranges)
    if kind in ARCHIVES:
        data = archive(kind, qcow2_header(GB), stem)
        return SyntheticFile(data, len(data), ranges=ranges)
    head = b""
    if kind == "qcow2":
        compression = one("compression", "zlib")
        if compression not in ("zlib", "zstd"):
            raise ApiError(400, "compression must be zlib or zstd")
        encryption = one("encryption")
        if encryption not in ("", "aes", "luks"):
            raise ApiError(400, "encryption must be aes or luks")
        head = qcow2_header(
            round(_number(one("virtual_gb", "10"), "virtual_gb") * GB),
            backing=one("backing"),
            encryption=encryption,
            zstd=compression == "zstd",
        )
    elif kind == "iso":
        head = iso_header(stem.upper()[:32], size)
    return SyntheticFile(head[:size], size, ranges=ranges)


def _number(raw: str, key: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise ApiError(400, f"{key} must be a number >= 0")
    return value


def qcow2_header(
    virtual_bytes: int, *, backing: str = "", encryption: str = "", zstd: bool = False
) -> bytes:
    """A qcow2 version 3 header (QEMU's docs/interop/qcow2.txt), 64 KiB clusters."""
    header_length = 112  # up to the compression type byte, padded to 8
    backing_offset = header_length + 8 if backing else 0  # after the end-of-extensions marker
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII",
        b"QFI\xfb",
        3,  # version
        backing_offset,
        len(backing.encode()),
        16,  # cluster_bits: 64 KiB
        virtual_bytes,
        {"": 0, "aes": 1, "luks": 2}[encryption],
        0,  # l1_size
        0,  # l1_table_offset
        0,  # refcount_table_offset
        0,  # refcount_table_clusters
        0,  # nb_snapshots
        0,  # snapshots_offset
        (1 << 3) if zstd else 0,  # incompatible features: compression type field
        0,  # compatible features
        0,  # autoclear features
        4,  # refcount_order
        header_length,
    )
    header += bytes([1 if zstd else 0]) + bytes(header_length - len(header) - 1)
    header += bytes(8)  # header extension end marker
    return header + backing.encode()


def iso_header(label: str, size: int) -> bytes:
    """16 empty sectors, then a primary volume descriptor ("CD001") labelled `label`."""
    descriptor = bytearray(2048)
    descriptor[0:7] = b"\x01CD001\x01"
    descriptor[40:72] = label.encode("ascii", "replace").ljust(32)
    blocks = size // 2048
    descriptor[80:88] = struct.pack("<I", blocks) + struct.pack(">I", blocks)
    descriptor[128:132] = struct.pack("<H", 2048) + struct.pack(">H", 2048)
    return bytes(16 * 2048) + bytes(descriptor)


def archive(kind: str, payload: bytes, stem: str) -> bytes:
    """`payload` packed as a real `kind` archive (zstd: one raw block, no checksum)."""
    if kind == "gzip":
        return gzip.compress(payload, mtime=0)
    if kind == "xz":
        return lzma.compress(payload)
    if kind == "bzip2":
        return bz2.compress(payload)
    if kind == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
            packed.writestr(f"{stem}.qcow2", payload)
        return buffer.getvalue()
    # zstd frame: magic, descriptor (single segment, 4-byte content size), one last raw block.
    frame = b"\x28\xb5\x2f\xfd" + bytes([0xA0]) + struct.pack("<I", len(payload))
    return frame + (len(payload) << 3 | 1).to_bytes(3, "little") + payload


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) of a single `bytes=a-b` / `bytes=a-` range within the file, else None."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, _, last = header[len("bytes=") :].strip().partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        return None
    start, end = int(first), int(last) if last else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)
