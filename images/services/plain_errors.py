"""Download failures in plain words: what Contabo's raw error message means for the user.

The list and the detail page's headline show `explain(image.error_message)`; the detail page
keeps the raw message beside it (it is what Contabo support will ask for).
"""

import re

# (pattern on the raw message, plain words); the first match wins, so specific before general.
RULES = [
    (
        r"name or service not known|nodename nor servname|temporary failure in name resolution|"
        r"getaddrinfo|could not resolve|no address associated|nxdomain|unknown host",
        "The host name does not resolve.",
    ),
    (r"connection refused|errno 111\b|econnrefused", "The server refused the connection."),
    (
        r"network is unreachable|no route to host|host is unreachable",
        "The server cannot be reached from Contabo's network.",
    ),
    (
        r"certificate|\bssl\b|\btls\b|handshake",
        "The server's HTTPS certificate was not accepted.",
    ),
    (r"stalled|no data received", "The download stalled: the server stopped sending data."),
    (r"timed out|timeout", "The server did not answer in time."),
    (
        r"connection reset|connection closed|broken pipe|incomplete read|unexpected eof",
        "The connection broke off before the whole file arrived.",
    ),
    (
        r"quota|not enough (disk )?space|storage is full|insufficient storage",
        "There is not enough image storage left at Contabo.",
    ),
    (r"only http and https", "Only http and https links can be downloaded."),
    (
        r"unsupported media type|\b415\b|invalid (image )?format|not a valid image",
        "Contabo does not accept this file type: it must be a .qcow2 or .iso image.",
    ),
]
HTTP_STATUS = re.compile(
    r"\b(?:HTTP(?:/[\d.]+)?|status(?: code)?)\s*:?\s*(\d{3})\b|\b([45]\d\d)\s+(?:not found|"
    r"forbidden|unauthori[sz]ed|gone|bad request|internal server error|service unavailable|"
    r"bad gateway|gateway time-?out|too many requests)",
    re.IGNORECASE,
)
HTTP_WORDS = {
    401: "The server needs a login (HTTP 401).",
    403: "The server needs a login or refuses access (HTTP 403).",
    404: "The file was not found (HTTP 404).",
    407: "The server needs a proxy login (HTTP 407).",
    410: "The file is gone from the server (HTTP 410).",
    429: "The server refused: too many requests (HTTP 429).",
}
NO_MESSAGE = "Contabo reported the download as failed without saying why."


def explain(message: str) -> str:
    """The plain meaning of a download error message; the message itself when none is known."""
    text = (message or "").strip()
    if not text:
        return NO_MESSAGE
    status = _http_status(text)
    if status:
        return _http(status)
    lowered = text.lower()
    for pattern, words in RULES:
        if re.search(pattern, lowered):
            return words
    return text


def _http_status(text: str) -> int | None:
    match = HTTP_STATUS.search(text)
    if not match:
        return None
    status = int(match.group(1) or match.group(2))
    return status if 400 <= status <= 599 else None


def _http(status: int) -> str:
    if status in HTTP_WORDS:
        return HTTP_WORDS[status]
    if status >= 500:
        return f"The file's server had an error (HTTP {status}); it may work later."
    return f"The file's server refused the download (HTTP {status})."
