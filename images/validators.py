"""Every rule for user text and image URLs, in one place: the forms use them as validators and
the submit task checks the URL again before anything is sent to Contabo.

Names: no control characters, no text-direction overrides or isolates (U+202A to U+202E,
U+2066 to U+2069: "invoice", U+202E, "gpj.exe" reads "invoiceexe.jpg"), no line or paragraph
separators (U+2028/U+2029), and at least one visible character (not only zero-width spaces, BOMs,
joiners or combining marks). URLs: http(s), a path ending in .iso or .qcow2, no user:password
(it would be shown to every viewer), a port from 1 to 65535, and, unless
PREFLIGHT_ALLOW_PRIVATE, no loopback, private or link-local host.
"""

import ipaddress
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from images.services import preflight

IMAGE_EXTENSIONS = (".iso", ".qcow2")
ALLOWED_SCHEMES = ("http", "https")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SEPARATORS = frozenset("\u2028\u2029")
# Letters that render as nothing although Unicode calls them letters (Hangul fillers, braille
# blank).
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
INVISIBLE_CATEGORIES = ("Cf", "Zs", "Zl", "Zp", "Mn", "Me")
LOCAL_NAMES = ("localhost", "localhost.localdomain")


def _control_characters(value: str, allowed: str = "") -> list[str]:
    return [c for c in value if unicodedata.category(c) == "Cc" and c not in allowed]


def _no_direction_or_separators(value: str) -> None:
    bidi = sorted({f"U+{ord(c):04X}" for c in value if c in BIDI_CONTROLS})
    if bidi:
        raise ValidationError(
            f"Remove the text-direction control characters ({', '.join(bidi)}): they make text "
            "read differently from what it is.",
            code="bidi",
        )
    if any(c in SEPARATORS for c in value):
        raise ValidationError(
            "Remove the Unicode line or paragraph separator (U+2028/U+2029).", code="separator"
        )


def no_control_characters(value: str) -> None:
    if _control_characters(value):
        raise ValidationError(
            "Remove the control characters (tabs, line breaks or invisible codes).",
            code="control_characters",
        )
    _no_direction_or_separators(value)


def no_control_characters_but_newlines(value: str) -> None:
    if _control_characters(value, allowed="\n\r\t"):
        raise ValidationError("Remove the invisible control characters.", code="control_characters")
    _no_direction_or_separators(value)


def visible(value: str) -> None:
    """At least one character that shows: not only zero-width, BOM, joiners or marks."""
    if value and all(
        unicodedata.category(c) in INVISIBLE_CATEGORIES or c in BLANK_LETTERS for c in value
    ):
        raise ValidationError(
            "The name has no visible characters (only zero-width or formatting ones).",
            code="invisible",
        )


def validate_name(value: str) -> None:
    no_control_characters(value)
    visible(value)


# --- URLs ---------------------------------------------------------------------------------------


def _looks_like_a_host(text: str) -> bool:
    return text.lower() in LOCAL_NAMES or "." in text or text.startswith("[")


def _userinfo(parts) -> None:
    if "@" not in parts.netloc:
        return
    user, password = parts.username or "", parts.password
    if _looks_like_a_host(user) and (password is None or password.isdigit()):
        raise ValidationError(
            f"The link looks like it goes to “{user}” but really goes to “{parts.hostname}” "
            "(the part before “@” is a user name): refused as misleading.",
            code="host_confusion",
        )
    raise ValidationError(
        "Remove the user name and password from the link (“user:password@”): every viewer "
        "would see them. Use a link that needs no login, such as a signed URL.",
        code="credentials",
    )


def _port(parts) -> None:
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationError("The port must be a number from 1 to 65535.", code="port") from exc
    if port == 0:
        raise ValidationError("The port must be a number from 1 to 65535.", code="port")


def _extension(parts) -> None:
    if parts.path.lower().endswith(IMAGE_EXTENSIONS):
        return
    if any(ext in (parts.query + parts.fragment).lower() for ext in IMAGE_EXTENSIONS):
        message = (
            "The file name in the URL path must end in .iso or .qcow2; an extension in the "
            "query string (after “?”) does not count."
        )
    else:
        message = "Contabo accepts only .iso and .qcow2 images: the URL path must end in one."
    raise ValidationError(message, code="extension")


def validate_image_url(value: str) -> None:
    """An http(s) URL whose path (not its query string) ends in .iso or .qcow2, without
    credentials, with a valid port and, unless allowed, a public host."""
    if _control_characters(value) or any(c.isspace() for c in value):
        raise ValidationError("A URL cannot contain spaces or control characters.", code="spaces")
    if any(unicodedata.category(c) == "Cf" for c in value):
        raise ValidationError(
            "A URL cannot contain invisible formatting characters (zero-width, direction).",
            code="invisible",
        )
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in ALLOWED_SCHEMES:
        if scheme:
            message = (
                f"Only http:// and https:// links can be downloaded by Contabo; "
                f"“{scheme}:” links are refused."
            )
        else:
            message = "Enter a full link starting with http:// or https://."
        raise ValidationError(message, code="scheme")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValidationError(
            "This is not a valid web address (check the host name).", code="invalid"
        ) from exc
    _userinfo(parts)
    _port(parts)
    try:
        URLValidator(schemes=list(ALLOWED_SCHEMES))(value)
    except ValidationError as exc:
        raise ValidationError(
            "This is not a valid web address (check the host name).", code="invalid"
        ) from exc
    _extension(parts)
    if not settings.PREFLIGHT_ALLOW_PRIVATE:
        _public_literal_host(parts.hostname or "")


def host_refusal(host: str) -> str | None:
    """Why `host` (a name or an address) is not a public target, without asking DNS."""
    if host.lower().rstrip(".") in LOCAL_NAMES or host.lower().endswith(".localhost"):
        return "a loopback address"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: resolved and checked by the worker before it submits
    return preflight.address_refusal(host)


def _public_literal_host(host: str) -> None:
    why = host_refusal(host)
    if why:
        raise ValidationError(
            f"“{host}” is {why}: Contabo downloads from the internet and cannot reach it.",
            code="private",
        )


def submit_refusal(url: str) -> str | None:
    """The worker's last look before it sends an upload to Contabo, for what Contabo would not
    refuse itself: credentials or a misleading host in the URL, a port out of range, and, unless
    PREFLIGHT_ALLOW_PRIVATE, a host resolving to a loopback, private or link-local address. The
    reason, or None. A host that does not resolve here is left to Contabo."""
    try:
        parts = urlsplit(url)
        _userinfo(parts)
        _port(parts)
        if not settings.PREFLIGHT_ALLOW_PRIVATE:
            _public_literal_host(parts.hostname or "")
    except ValidationError as exc:
        return " ".join(exc.messages)
    except ValueError:
        return None  # not a URL we can read: Contabo's answer says why
    if settings.PREFLIGHT_ALLOW_PRIVATE:
        return None
    host = parts.hostname or ""
    try:
        addresses = preflight.resolve(host.encode("idna").decode("ascii"), parts.port or 443)
    except (OSError, UnicodeError):
        return None
    for address in addresses:
        why = preflight.address_refusal(address)
        if why:
            return (
                f"“{host}” is {why} ({address}): Contabo downloads from the internet and "
                "cannot reach it."
            )
    return None
