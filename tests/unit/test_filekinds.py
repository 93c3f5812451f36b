"""images.filekinds on byte strings: the edge cases the sandbox's files do not reach."""

import struct

from images import filekinds
from sandbox.files import qcow2_header

GB = 1024**3


def test_an_empty_file_is_blocked():
    found = filekinds.identify(b"")
    assert found["kind"] == "empty"
    assert filekinds.judge(found, ".iso")["blocking"] == ["The file is empty."]


def test_html_is_recognised_by_its_content_type_or_its_start():
    assert filekinds.identify(b"anything", "text/html; charset=utf-8")["kind"] == "html"
    bom_page = b"\xef\xbb\xbf\n  <!DOCTYPE HTML><title>\n Error\n 403 </title>"
    found = filekinds.identify(bom_page)
    assert (found["kind"], found["title"]) == ("html", "Error 403")
    assert filekinds.identify(b"<?xml version='1.0'?><x/>")["kind"] == "unknown"


def test_a_corrupt_qcow2_and_an_unknown_version_are_blocked():
    header = bytearray(qcow2_header(GB))
    struct.pack_into(">Q", header, 72, 1 << 1)  # incompatible feature: corrupt
    struct.pack_into(">I", header, 4, 4)  # version 4
    found = filekinds.identify(bytes(header))
    reasons = filekinds.judge(found, ".qcow2")["blocking"]
    assert reasons == [
        "It is qcow2 version 4, which no known tool reads.",
        "It is marked corrupt: repair it first (qemu-img check -r all).",
    ]


def test_a_truncated_qcow2_header_is_named_but_not_judged():
    found = filekinds.identify(qcow2_header(GB)[:40])
    assert found["kind"] == "qcow2" and found["truncated"]
    assert filekinds.judge(found, ".qcow2") == {"blocking": [], "warnings": []}


def test_a_backing_file_name_beyond_the_bytes_read_is_still_a_backing_file():
    header = bytearray(qcow2_header(GB, backing="base.qcow2"))
    struct.pack_into(">Q", header, 8, 70_000)  # the name lies past the first 64 KiB
    found = filekinds.identify(bytes(header))
    assert found["backing_file"] == "(unnamed)"
    assert filekinds.judge(found, ".qcow2")["blocking"]


def test_no_plans_no_size_warning():
    found = filekinds.identify(qcow2_header(500 * GB))
    assert filekinds.judge(found, ".qcow2", {})["warnings"] == []
    assert filekinds.judge(found, ".qcow2", {"Big": 1000})["warnings"] == []


def test_human_bytes():
    assert filekinds.human_bytes(512) == "512 bytes"
    assert filekinds.human_bytes(1536) == "1.5 KB"
    assert filekinds.human_bytes(20 * GB) == "20 GB"
