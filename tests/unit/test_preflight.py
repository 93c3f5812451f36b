"""Upload preflight service: address checks, redirects, timeouts and the cache entries.

HTTP goes to a tiny http.server in a thread on 127.0.0.1 (so PREFLIGHT_ALLOW_PRIVATE is on, or
the resolver and the address check are narrowed to let that one address through).
"""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from images.services import preflight
from sandbox.testing import free_port

MB = 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_HEAD(self):
        self.server.seen.append((self.path, self.headers.get("Host")))
        path = self.path.split("?", 1)[0]
        if path == "/files/ok.qcow2":
            return self._answer(200, {"Content-Length": str(5 * MB)})
        if path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/files/ok.qcow2" if left == 0 else f"/hop/{left - 1}"
            return self._answer(302, {"Location": target})
        if path == "/loop.qcow2":
            return self._answer(302, {"Location": "/loop.qcow2"})
        if path == "/slow.qcow2":
            time.sleep(2)
            return self._answer(200, {"Content-Length": "1"})
        if path == "/nolength.qcow2":
            return self._answer(200, {"Transfer-Encoding": "chunked"})
        if path == "/nohead.qcow2":
            return self._answer(405, {"Allow": "GET"})
        if path.startswith("/to/"):
            return self._answer(302, {"Location": path[len("/to/") :]})
        return self._answer(404, {})

    def _answer(self, code, headers):
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def files():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_ok(settings):
    settings.PREFLIGHT_ALLOW_PRIVATE = True
    settings.PREFLIGHT_TIMEOUT_SECONDS = 5


@pytest.fixture
def public_only(settings):
    settings.PREFLIGHT_ALLOW_PRIVATE = False
    settings.PREFLIGHT_TIMEOUT_SECONDS = 5


def resolver(monkeypatch, table: dict[str, list[str]]):
    def resolve(host, port):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    monkeypatch.setattr(preflight, "resolve", resolve)


# --- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.20", "private"),
        ("fc00::1", "private"),
        ("fd12:3456:789a::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "reserved"),  # noqa: S104 - an address under test, not a bind
        ("100.64.0.1", "reserved"),
        ("240.0.0.1", "reserved"),
        ("224.0.0.251", "reserved"),
        ("::", "reserved"),
    ],
)
def test_non_public_addresses_are_refused(address, why):
    assert why in preflight.address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert preflight.address_refusal(address) is None


def test_every_address_of_a_host_is_checked(monkeypatch):
    resolver(
        monkeypatch,
        {"public.test": ["93.184.216.34"], "mixed.test": ["93.184.216.34", "10.1.2.3"]},
    )
    assert preflight.checked_addresses("public.test", 80, allow_private=False) == ["93.184.216.34"]
    with pytest.raises(preflight.Unchecked, match=r"private network address \(10\.1\.2\.3\)"):
        preflight.checked_addresses("mixed.test", 80, allow_private=False)
    both = preflight.checked_addresses("mixed.test", 80, allow_private=True)
    assert both == ["93.184.216.34", "10.1.2.3"]
    with pytest.raises(preflight.Unchecked, match="does not resolve"):
        preflight.checked_addresses("nowhere.test", 80, allow_private=False)


def test_the_real_resolver_finds_localhost():
    assert "127.0.0.1" in preflight.resolve("127.0.0.1", 80)


def test_a_loopback_server_is_not_contacted_by_default(public_only, files):
    result = preflight.inspect(f"{files.url}/files/ok.qcow2")
    assert "loopback address (127.0.0.1)" in result["problem"]
    assert result["size_bytes"] is None
    assert files.seen == []


def test_a_name_resolving_to_a_private_address_is_not_contacted(public_only, monkeypatch):
    resolver(monkeypatch, {"intranet.test": ["192.168.0.10"]})
    result = preflight.inspect("http://intranet.test/disk.qcow2")
    assert "“intranet.test” is a private network address (192.168.0.10)" in result["problem"]


# --- HEAD, redirects, timeouts ------------------------------------------------------------------


def test_size_from_content_length(private_ok, files):
    result = preflight.inspect(f"{files.url}/files/ok.qcow2?token=x")
    assert result["status"] == 200
    assert result["size_bytes"] == 5 * MB
    assert result["size_mb"] == 5
    assert result["problem"] == ""
    assert result["redirects"] == 0
    assert files.seen == [("/files/ok.qcow2?token=x", f"127.0.0.1:{files.server_port}")]


def test_redirects_are_followed_up_to_the_limit(private_ok, files):
    result = preflight.inspect(f"{files.url}/hop/{preflight.MAX_REDIRECTS - 1}")
    assert result["size_mb"] == 5
    assert result["redirects"] == preflight.MAX_REDIRECTS
    assert result["final_url"] == f"{files.url}/files/ok.qcow2"


def test_too_many_redirects_stop(private_ok, files):
    result = preflight.inspect(f"{files.url}/loop.qcow2")
    assert f"More than {preflight.MAX_REDIRECTS} redirects" in result["problem"]
    assert result["size_bytes"] is None
    assert len(files.seen) == preflight.MAX_REDIRECTS + 1


def test_each_redirect_hop_is_checked_again(public_only, files, monkeypatch):
    """The first host is let through; the redirect to a private address is not followed."""
    resolver(monkeypatch, {"files.test": ["127.0.0.1"], "internal.test": ["10.0.0.7"]})
    real = preflight.address_refusal
    monkeypatch.setattr(
        preflight, "address_refusal", lambda a: None if a == "127.0.0.1" else real(a)
    )
    port = files.server_port
    result = preflight.inspect(f"http://files.test:{port}/to/http://internal.test:{port}/x.qcow2")
    assert "“internal.test” is a private network address (10.0.0.7)" in result["problem"]
    assert result["redirects"] == 1
    # One request only, pinned to the checked address but naming the host it asked for.
    assert files.seen == [(f"/to/http://internal.test:{port}/x.qcow2", f"files.test:{port}")]


def test_a_redirect_to_another_scheme_is_not_followed(private_ok, files):
    result = preflight.inspect(f"{files.url}/to/ftp://example.com/x.iso")
    assert "Only http and https links are checked" in result["problem"]


def test_timeout(private_ok, files, settings):
    settings.PREFLIGHT_TIMEOUT_SECONDS = 0.5
    started = time.monotonic()
    result = preflight.inspect(f"{files.url}/slow.qcow2")
    assert time.monotonic() - started < 1.5
    assert result["problem"] == "The server did not answer within 0.5 s."


def test_unknown_size_and_refused_head_say_why(private_ok, files):
    nolength = preflight.inspect(f"{files.url}/nolength.qcow2")
    assert nolength["problem"] == "The server did not say how large the file is."
    assert nolength["size_bytes"] is None
    nohead = preflight.inspect(f"{files.url}/nohead.qcow2")
    assert "does not answer HEAD requests (405)" in nohead["problem"]
    missing = preflight.inspect(f"{files.url}/missing.qcow2")
    assert "answered 404 Not Found" in missing["problem"]
    assert missing["status"] == 404


def test_connection_refused(private_ok):
    result = preflight.inspect(f"http://127.0.0.1:{free_port()}/x.qcow2")
    assert result["problem"] == "Could not connect to the server."


@pytest.mark.parametrize(
    ("url", "name", "extension"),
    [
        ("https://a.example/path/Ubuntu%2024.04.QCOW2?x=1.iso", "Ubuntu 24.04.QCOW2", ".qcow2"),
        ("http://a.example/win.iso", "win.iso", ".iso"),
        ("http://a.example/", "", ""),
    ],
)
def test_file_name_and_extension_come_from_the_path(url, name, extension):
    assert preflight.file_of(url) == (name, extension)


# --- the cache entries --------------------------------------------------------------------------


def test_pending_then_done_for_its_user_only(private_ok, files, sent_tasks):
    owner, other = SimpleNamespace(pk=1), SimpleNamespace(pk=2)
    url = f"{files.url}/files/ok.qcow2"
    token = preflight.request_preflight(url, user=owner)
    assert sent_tasks == [("preflight_url", (token, url))]
    pending = preflight.read(token, user=owner)
    assert pending["state"] == "pending"
    assert (pending["name"], pending["extension"]) == ("ok.qcow2", ".qcow2")
    assert preflight.read(token, user=other) is None
    assert files.seen == []  # nothing is asked until the worker runs

    preflight.run(token, url)  # the worker's part, inline
    done = preflight.read(token, user=owner)
    assert done["state"] == "done"
    assert done["size_mb"] == 5
    assert preflight.read("not-a-token", user=owner) is None


def test_a_check_nobody_picks_up_is_given_up(private_ok, sent_tasks, settings):
    user = SimpleNamespace(pk=1)
    token = preflight.request_preflight("http://a.example/x.iso", user=user)
    entry = cache.get(preflight._key(token))
    waited = settings.PREFLIGHT_TIMEOUT_SECONDS + preflight.QUEUE_GRACE + 1
    cache.set(preflight._key(token), {**entry, "created": entry["created"] - waited})
    entry = preflight.read(token, user=user)
    assert entry["state"] == "done"
    assert entry["problem"].startswith("No worker answered within")


def test_broker_down_is_reported_at_once(sent_tasks):
    sent_tasks.broker_down = True
    user = SimpleNamespace(pk=1)
    token = preflight.request_preflight("http://a.example/x.iso", user=user)
    entry = preflight.read(token, user=user)
    assert entry["state"] == "done"
    assert "could not be queued" in entry["problem"]


def test_an_expired_entry_is_not_recreated_by_a_late_worker(private_ok, files):
    preflight.run("gone-token", f"{files.url}/files/ok.qcow2")
    assert preflight.read("gone-token", user=SimpleNamespace(pk=1)) is None
