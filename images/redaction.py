"""Credentials never shown: the `user:password@` of a URL is removed wherever a URL is displayed
or exported (rows stored before such URLs were refused, or listed by Contabo)."""

import re

# scheme://userinfo@ : userinfo is everything up to the last "@" before the host's "/".
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]*@")


def without_credentials(text: str | None) -> str | None:
    """`text` with the user name and password of every URL in it removed."""
    if not text or "@" not in text:
        return text
    return _USERINFO.sub(r"\1", text)
