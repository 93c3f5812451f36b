"""What an image file really is, from its first bytes: qcow2, ISO 9660, a web page or an archive.

`identify` reads the header (no network: the preflight worker hands it the first HEAD_BYTES of
the file); `judge` turns what was found into blocking errors (Contabo would fail, or make an image
that cannot boot) and warnings (it may work, but not on every plan), in plain words.
"""

import re
import struct

HEAD_BYTES = 64 * 1024  # enough for a qcow2 header with its backing file name and the ISO label
MB = 1024 * 1024
GB = 1024 * MB

QCOW2_MAGIC = b"QFI\xfb"
ISO_OFFSET = 32769  # "CD001" in the primary volume descriptor (sector 16, byte 1)
ARCHIVES = (  # (magic, name), longest first where one is a prefix of another
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"BZh", "bzip2"),
    (b"\x1f\x8b", "gzip"),
)
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title")
QCOW2_ENCRYPTION = {1: "AES", 2: "LUKS"}
QCOW2_COMPRESSION = {0: "zlib", 1: "zstd"}
# Incompatible feature bits of qcow2 v3 (docs/interop/qcow2.txt in QEMU).
QCOW2_CORRUPT = 1 << 1
QCOW2_EXTERNAL_DATA = 1 << 2
QCOW2_COMPRESSION_FIELD = 1 << 3

EXPECTED = {".qcow2": "qcow2", ".iso": "iso"}
KIND_LABELS = {"qcow2": "a qcow2 disk image", "iso": "an ISO 9660 disc image"}


def identify(head: bytes, content_type: str = "") -> dict:
    """What `head` (the file's first bytes) is: {"kind", "label", "facts", ...details}.

    kind is "qcow2", "iso", "html", "archive", "empty" or "unknown"; facts are (name, value)
    pairs for the page.
    """
    if not head:
        return {"kind": "empty", "label": "an empty file", "facts": []}
    if head.startswith(QCOW2_MAGIC):
        return _qcow2(head)
    if head[ISO_OFFSET : ISO_OFFSET + 5] == b"CD001":
        return _iso(head)
    for magic, name in ARCHIVES:
        if head.startswith(magic):
            article = "an" if name == "xz" else "a"
            label = f"{article} {name} archive"
            return {"kind": "archive", "archive": name, "label": label, "facts": []}
    if _looks_like_html(head, content_type):
        title = _title(head)
        return {
            "kind": "html",
            "label": "a web page",
            "title": title,
            "facts": [("Page title", title)] if title else [],
        }
    return {"kind": "unknown", "label": "not a recognised image", "facts": []}


def _qcow2(head: bytes) -> dict:
    found = {"kind": "qcow2", "label": "qcow2", "facts": []}
    if len(head) < 72:
        found["truncated"] = True
        return found
    version, backing_offset, backing_size, cluster_bits, size, crypt = struct.unpack_from(
        ">IQIIQI", head, 4
    )
    incompatible, compression = 0, 0
    if version >= 3 and len(head) >= 104:
        incompatible = struct.unpack_from(">Q", head, 72)[0]
        header_length = struct.unpack_from(">I", head, 100)[0]
        if incompatible & QCOW2_COMPRESSION_FIELD and header_length > 104 and len(head) > 104:
            compression = head[104]
    backing = ""
    if backing_offset:
        raw = head[backing_offset : backing_offset + backing_size]
        backing = raw.decode("utf-8", "replace") if len(raw) == backing_size else "(unnamed)"
    found.update(
        label=f"a qcow2 disk image (version {version})",
        version=version,
        virtual_bytes=size,
        backing_file=backing,
        encryption=QCOW2_ENCRYPTION.get(crypt, f"method {crypt}") if crypt else "",
        compression=QCOW2_COMPRESSION.get(compression, f"type {compression}"),
        corrupt=bool(incompatible & QCOW2_CORRUPT),
        external_data=bool(incompatible & QCOW2_EXTERNAL_DATA),
    )
    found["facts"] = [
        ("Format", f"qcow2 version {version}"),
        ("Virtual disk", human_bytes(size)),
        ("Cluster size", human_bytes(1 << cluster_bits) if 9 <= cluster_bits <= 21 else "?"),
        ("Compression", found["compression"]),
        ("Encryption", found["encryption"] or "none"),
        ("Backing file", backing or "none"),
    ]
    return found


def _iso(head: bytes) -> dict:
    descriptor = ISO_OFFSET - 1
    label = head[descriptor + 40 : descriptor + 72].decode("ascii", "replace").strip()
    facts = [("Format", "ISO 9660")]
    if label:
        facts.append(("Volume label", label))
    if len(head) >= descriptor + 130:
        blocks = struct.unpack_from("<I", head, descriptor + 80)[0]
        block_size = struct.unpack_from("<H", head, descriptor + 128)[0]
        facts.append(("Volume size", human_bytes(blocks * block_size)))
    return {"kind": "iso", "label": "an ISO 9660 disc image", "volume": label, "facts": facts}


def _looks_like_html(head: bytes, content_type: str) -> bool:
    if content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    return start.startswith(HTML_STARTS)


def _title(head: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", head[:8192], re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    return " ".join(match.group(1).decode("utf-8", "replace").split())[:120]


def judge(found: dict, extension: str, plans: dict[str, float] | None = None) -> dict:
    """{"blocking": [...], "warnings": [...]}: why Contabo would fail on this file, and what
    may still go wrong. `plans` maps a plan's name to its disk in GB."""
    blocking: list[str] = []
    warnings: list[str] = []
    kind = found["kind"]
    expected = EXPECTED.get(extension, "")
    raw = extension or ".qcow2"
    if kind == "html":
        title = f" (“{found['title']}”)" if found.get("title") else ""
        blocking.append(
            f"The link gives a web page{title}, not an image: most likely a login, download or "
            "error page. Use the direct link to the file itself."
        )
    elif kind == "archive":
        blocking.append(
            f"This is {found['label']}: unpack it first: Contabo needs the raw {raw} file."
        )
    elif kind == "empty":
        blocking.append("The file is empty.")
    elif kind == "unknown":
        blocking.append(_unknown(expected))
    elif expected and kind != expected:
        blocking.append(
            f"The file is {KIND_LABELS[kind]}, but its name ends in {extension}: the content "
            "does not match the extension."
        )
    if kind == "qcow2" and not found.get("truncated"):
        blocking.extend(_qcow2_blocking(found))
        warnings.extend(_too_big(found["virtual_bytes"], plans or {}))
    return {"blocking": blocking, "warnings": warnings}


def _unknown(expected: str) -> str:
    if expected == "iso":
        return "The file is not an ISO image: there is no ISO 9660 signature (CD001) in it."
    return "The file is not a qcow2 image: it does not start with the qcow2 signature (QFI\\xfb)."


def _qcow2_blocking(found: dict) -> list[str]:
    reasons = []
    if found["version"] not in (2, 3):
        reasons.append(f"It is qcow2 version {found['version']}, which no known tool reads.")
    if found["backing_file"]:
        reasons.append(
            f"It has a backing file (“{found['backing_file']}”): it holds only the changes on top "
            "of another image, which Contabo cannot fetch. Flatten it first: "
            "qemu-img convert -O qcow2 in.qcow2 out.qcow2."
        )
    if found["encryption"]:
        reasons.append(
            f"It is encrypted ({found['encryption']}): Contabo cannot read it. Convert it to an "
            "unencrypted qcow2 first."
        )
    if found["external_data"]:
        reasons.append("Its data lives in a separate file, which Contabo cannot fetch.")
    if found["corrupt"]:
        reasons.append("It is marked corrupt: repair it first (qemu-img check -r all).")
    return reasons


def _too_big(virtual_bytes: int, plans: dict[str, float]) -> list[str]:
    small = [(name, gb) for name, gb in plans.items() if virtual_bytes > gb * GB]
    if not small:
        return []
    listed = ", ".join(f"{name} ({gb:g} GB)" for name, gb in sorted(small, key=lambda p: p[1]))
    return [
        f"Its virtual disk is {human_bytes(virtual_bytes)}, larger than the disk of {listed}: "
        "a server of that plan cannot be installed from it."
    ]


def human_bytes(n: int) -> str:
    """1536 -> "1.5 KB", 20 GiB -> "20 GB" (binary units, as Contabo's MB)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            if unit == "bytes":
                return f"{n} bytes"
            return f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    raise AssertionError("unreachable")
