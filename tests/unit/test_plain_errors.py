"""Download errors in plain words (images.services.plain_errors.explain).

The first group are messages the sandbox's downloader really produces (it reports what urllib
said, as Contabo's downloader reports what its HTTP library said); they are made for real in
tests/sandbox/test_plain_error_sources.py. The rest are shapes other downloaders use.
"""

import pytest

from images.services.plain_errors import NO_MESSAGE, explain

P = "Error downloading image from provided URL"


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        (f"{P}: [Errno -2] Name or service not known", "The host name does not resolve."),
        (
            f"{P}: [Errno -3] Temporary failure in name resolution",
            "The host name does not resolve.",
        ),
        (f"{P}: [Errno 111] Connection refused", "The server refused the connection."),
        (f"{P}: HTTP 404 Not Found", "The file was not found (HTTP 404)."),
        (f"{P}: HTTP 401 Unauthorized", "The server needs a login (HTTP 401)."),
        (f"{P}: HTTP 403 Forbidden", "The server needs a login or refuses access (HTTP 403)."),
        (
            f"{P}: HTTP 503 Service Unavailable",
            "The file's server had an error (HTTP 503); it may work later.",
        ),
        (f"{P}: HTTP 418 I'm a teapot", "The file's server refused the download (HTTP 418)."),
        (f"{P}: timed out", "The server did not answer in time."),
        (
            "Download stalled: no data received for 30 s",
            "The download stalled: the server stopped sending data.",
        ),
        (
            f"{P}: connection closed after 12.5 of 300 MB",
            "The connection broke off before the whole file arrived.",
        ),
        (
            f"{P}: connection reset by peer (injected fault)",
            "The connection broke off before the whole file arrived.",
        ),
        (
            "Quota exceeded: the image needs 450 MB but only 10 MB of 1000 MB custom image "
            "storage is free",
            "There is not enough image storage left at Contabo.",
        ),
        (
            f"{P}: only http and https URLs are supported",
            "Only http and https links can be downloaded.",
        ),
        (
            f"{P}: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed>",
            "The server's HTTPS certificate was not accepted.",
        ),
        ("curl: (6) Could not resolve host: images.example", "The host name does not resolve."),
        (
            "Failed to connect: No route to host",
            "The server cannot be reached from Contabo's network.",
        ),
        ("download failed: 404 Not Found", "The file was not found (HTTP 404)."),
        (
            "Unsupported Media Type",
            "Contabo does not accept this file type: it must be a .qcow2 or .iso image.",
        ),
    ],
)
def test_known_messages_in_plain_words(raw, plain):
    assert explain(raw) == plain


def test_sizes_are_not_mistaken_for_status_codes():
    assert explain("the image needs 404 MB more") == "the image needs 404 MB more"


def test_an_unknown_message_is_kept_and_an_empty_one_is_explained():
    assert explain("  Something new went wrong  ") == "Something new went wrong"
    assert explain("") == NO_MESSAGE
    assert explain(None) == NO_MESSAGE
