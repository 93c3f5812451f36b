"""Real download failures from the sandbox's downloader, each read in plain words."""

import pytest

from images.services.plain_errors import explain
from sandbox.testing import free_port
from testkit.waiting import wait_for


def failure(api, url: str) -> str:
    image_id = api.create(url)
    image = wait_for(lambda: api.image(image_id)["status"] == "error" and api.image(image_id))
    return image["errorMessage"]


def test_a_host_name_that_does_not_resolve(api):
    raw = failure(api, "http://no-such-host.invalid/disk.qcow2")
    assert explain(raw) == "The host name does not resolve.", raw


def test_a_refused_connection(api):
    raw = failure(api, f"http://127.0.0.1:{free_port()}/disk.qcow2")
    assert explain(raw) == "The server refused the connection.", raw


def test_a_missing_file(api, sandbox):
    raw = failure(api, f"{sandbox.url}/no/such/disk.qcow2")
    assert explain(raw) == "The file was not found (HTTP 404).", raw


@pytest.mark.parametrize("status", [401, 403])
def test_a_server_that_wants_a_login(api, httpserver, status):
    httpserver.expect_request("/private/disk.qcow2").respond_with_data("login", status)
    raw = failure(api, httpserver.url_for("/private/disk.qcow2"))
    assert explain(raw).startswith("The server needs a login"), raw
    assert f"(HTTP {status})" in explain(raw)
