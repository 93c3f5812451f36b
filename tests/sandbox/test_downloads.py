"""Real downloads (throttled, progressing, failing) and the synthetic /files endpoint."""

import requests

from sandbox.testing import free_port
from testkit.waiting import wait_for
from tests.sandbox.conftest import IMAGES


def test_download_progresses_then_completes(sandbox, api):
    sandbox.set_faults(bandwidth_mbps=4)
    image_id = api.create(sandbox.file_url("slow.qcow2", 3))
    seen = []

    def done():
        image = api.image(image_id)
        seen.append((image["status"], image["uploadedSizeMb"], image["sizeMb"]))
        return image["status"] == "downloaded" and image

    image = wait_for(done, timeout=10, message="download to finish")
    assert image["sizeMb"] == 3 and image["uploadedSizeMb"] == 3
    assert image["errorMessage"] == ""
    in_flight = [uploaded for status, uploaded, size in seen if status == "downloading"]
    assert len({u for u in in_flight if 0 < u < 3}) >= 2, seen  # rising, several steps
    assert in_flight == sorted(in_flight)
    assert all(size == 3 for status, _, size in seen if status == "downloading" and _ > 0)


def test_fractional_sizes_round_to_two_decimals(sandbox, api):
    image_id = api.create(sandbox.file_url("tiny.iso", 0.123456))
    image = wait_for(lambda: api.image(image_id)["status"] == "downloaded" and api.image(image_id))
    assert image["sizeMb"] == 0.12


def test_unreachable_host_ends_in_error(sandbox, api):
    closed = f"http://127.0.0.1:{free_port()}/image.qcow2"
    image_id = api.create(closed)
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    assert "refused" in image["errorMessage"].lower()


def test_http_error_status_ends_in_error(sandbox, api):
    image_id = api.create(f"{sandbox.url}/no/such/image.qcow2")
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    assert "HTTP 404" in image["errorMessage"]


def test_non_http_urls_are_not_fetched(sandbox, api):
    image_id = api.create("file:///etc/passwd.qcow2")
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    assert "http" in image["errorMessage"]


def test_image_bigger_than_free_quota_ends_in_error(sandbox, api):
    sandbox.set_faults(quota_mb=5)
    image_id = api.create(sandbox.file_url("big.qcow2", 8))
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    assert "quota" in image["errorMessage"].lower()
    stats = api.get(f"{IMAGES}/stats").json()["data"][0]
    assert stats["usedSizeMb"] == 0  # failed images hold no space


def test_quota_shrinking_mid_download_ends_in_error(sandbox, api):
    sandbox.set_faults(bandwidth_mbps=2)
    image_id = api.create(sandbox.file_url("mid.qcow2", 4))
    wait_for(lambda: api.image(image_id)["uploadedSizeMb"] > 0, message="first bytes")
    sandbox.set_faults(quota_mb=1)
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    assert "quota" in image["errorMessage"].lower()


def test_stall_mode_fails_a_download_after_the_stall_timeout(sandbox, api):
    sandbox.set_faults(bandwidth_mbps=2)
    image_id = api.create(sandbox.file_url("stall.qcow2", 4))
    wait_for(lambda: api.image(image_id)["uploadedSizeMb"] > 0, message="first bytes")
    sandbox.set_faults(download_mode="stall", stall_timeout_s=0.5)
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    assert "stalled" in image["errorMessage"]
    assert 0 < image["uploadedSizeMb"] < 4


def test_fail_mode_fails_downloads(sandbox, api):
    sandbox.set_faults(download_mode="fail")
    image_id = api.create(sandbox.file_url("fail.qcow2", 1))
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    assert "injected" in image["errorMessage"]


def test_deleting_a_downloading_image_stops_it(sandbox, api):
    sandbox.set_faults(bandwidth_mbps=1)
    image_id = api.create(sandbox.file_url("gone.qcow2", 5))
    wait_for(lambda: api.image(image_id)["uploadedSizeMb"] > 0, message="first bytes")
    assert api.request("DELETE", f"{IMAGES}/{image_id}").status_code == 204
    assert api.get(f"{IMAGES}/{image_id}").status_code == 404
    assert api.get(f"{IMAGES}/stats").json()["data"][0]["currentImagesCount"] == 0


def test_synthetic_files_have_a_content_length_and_support_head(sandbox):
    url = sandbox.file_url("demo.qcow2", 1.5)
    head = requests.head(url, timeout=10)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(int(1.5 * 1024 * 1024))
    assert head.content == b""
    body = requests.get(url, timeout=10).content
    assert len(body) == int(1.5 * 1024 * 1024)
    assert body.startswith(b"QFI\xfb")
    assert requests.get(f"{sandbox.url}/files/demo.zip", timeout=10).status_code == 404
    assert requests.get(f"{sandbox.url}/files/a.iso?size_mb=-1", timeout=10).status_code == 400


def test_synthetic_files_serve_one_range_unless_told_not_to(sandbox):
    url = sandbox.file_url("demo.qcow2", 1)
    part = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 0-99/{1024 * 1024}"
    assert part.content[:4] == b"QFI\xfb" and len(part.content) == 100
    tail = requests.get(url, headers={"Range": "bytes=1048570-"}, timeout=10)
    assert tail.status_code == 206 and tail.content == bytes(6)
    whole = requests.get(
        sandbox.file_url("demo.qcow2", 1, ranges="none"),
        headers={"Range": "bytes=0-99"},
        timeout=10,
    )
    assert whole.status_code == 200
    assert len(whole.content) == 1024 * 1024
    assert whole.headers["Accept-Ranges"] == "none"


def test_synthetic_files_of_every_kind(sandbox):
    page = requests.get(sandbox.file_url("x.qcow2", 1, content="html"), timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    assert b"<title>Sign in</title>" in page.content
    iso = requests.get(sandbox.file_url("x.iso", 1), timeout=10).content
    assert iso[32769:32774] == b"CD001"
    magics = {"gzip": b"\x1f\x8b", "xz": b"\xfd7zXZ", "zip": b"PK", "bzip2": b"BZh"}
    for kind, magic in {**magics, "zstd": b"\x28\xb5\x2f\xfd"}.items():
        assert (
            requests.get(sandbox.file_url("x.qcow2", 1, content=kind), timeout=10).content[
                : len(magic)
            ]
            == magic
        )
    bad = requests.get(sandbox.file_url("x.qcow2", 1, content="exe"), timeout=10)
    assert bad.status_code == 400
