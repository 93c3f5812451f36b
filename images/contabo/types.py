"""Typed results of the Images endpoints, read tolerantly from JSON bodies.

Contabo's own CLI and Terraform provider read every field as a plain string or number, so a
JSON ``null``, a missing key or a number sent as a string never breaks them; this reader is as
forgiving. A missing or ``null`` text is ``""``, a missing number ``0``, a missing date ``None``,
a number in a string is read as the number, and unknown fields are ignored. Every such
departure from the spec is noted in ``quirks`` (e.g. ``"null:sizeMb"``) for the probe.

What cannot be read at all (a list item with no ``imageId``, a size of ``"lots"``, a status that
is an object) makes that one item *malformed*: a list page skips it and names it in ``skipped``,
so one bad item never fails its page. A single-object answer that cannot be read is a
:class:`ProtocolError`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ProtocolError


@dataclass(frozen=True, slots=True)
class Tag:
    tag_id: int
    tag_name: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image as listed or fetched; ``request_id`` is the call that returned it."""

    image_id: str
    tenant_id: str
    customer_id: str
    name: str
    description: str
    url: str
    size_mb: float
    uploaded_size_mb: float
    os_type: str
    version: str
    format: str
    status: str
    error_message: str
    standard_image: bool
    creation_date: datetime | None
    last_modified_date: datetime | None
    tags: tuple[Tag, ...] = ()
    request_id: str = field(default="", compare=False)
    quirks: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A list item that could not be read: its id when it had one, and why."""

    image_id: str
    problem: str


@dataclass(frozen=True, slots=True)
class ImagePage:
    """One list page. ``total_pages``/``total_elements`` are None when the API left them out;
    ``size`` is the page size the API says it used (the effective one when it caps)."""

    images: tuple[Image, ...]
    page: int
    size: int
    total_elements: int | None
    total_pages: int | None
    request_id: str = field(default="", compare=False)
    skipped: tuple[Skipped, ...] = field(default=(), compare=False)
    quirks: tuple[str, ...] = field(default=(), compare=False, repr=False)
    items: int = field(default=0, compare=False)

    def is_last(self, requested_size: int) -> bool:
        """No page follows: the API says so, or (without totals) this page was not full."""
        if self.items == 0:
            return True
        if self.total_pages is not None:
            return self.page >= self.total_pages
        return self.items < min(requested_size, self.size or requested_size)


@dataclass(frozen=True)
class Stats:
    """Custom-image quota; a figure the API left out is None (``free`` is derived if it can be)."""

    tenant_id: str
    customer_id: str
    current_images_count: int | None
    total_size_mb: float | None
    used_size_mb: float | None
    free_size_mb: float | None
    request_id: str = field(default="", compare=False)
    quirks: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def missing(self) -> list[str]:
        names = ("currentImagesCount", "totalSizeMb", "usedSizeMb", "freeSizeMb")
        values = (
            self.current_images_count,
            self.total_size_mb,
            self.used_size_mb,
            self.free_size_mb,
        )
        return [n for n, v in zip(names, values, strict=True) if v is None]


@dataclass(frozen=True)
class CreatedImage:
    image_id: str
    tenant_id: str
    customer_id: str
    request_id: str = field(default="", compare=False)


@dataclass(frozen=True)
class UpdatedImage:
    image_id: str
    request_id: str = field(default="", compare=False)


@dataclass(frozen=True)
class Deleted:
    image_id: str
    request_id: str = field(default="", compare=False)


_MISSING = object()


class _Fields:
    """Tolerant typed access to one JSON object; what cannot be read is a ProtocolError."""

    def __init__(self, obj: Any, where: str, status: int, request_id: str) -> None:
        self.where, self.status, self.request_id = where, status, request_id
        if not isinstance(obj, Mapping):
            raise self.error(f"expected an object, got {type(obj).__name__}")
        self.obj = obj
        self.quirks: list[str] = []

    def error(self, problem: str) -> ProtocolError:
        return ProtocolError(self.status, f"bad response: {self.where}: {problem}", self.request_id)

    def raw(self, key: str) -> Any:
        """The value, or None when missing or null (noted either way)."""
        value = self.obj.get(key, _MISSING)
        if value is None:
            self.quirks.append(f"null:{key}")
        elif value is _MISSING:
            self.quirks.append(f"missing:{key}")
            return None
        return value

    def text(self, key: str) -> str:
        value = self.obj.get(key)
        if type(value) is str:  # the usual case, checked first: most fields of every item
            return value
        value = self.raw(key)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.quirks.append(f"number-as-text:{key}")
            return f"{value:g}" if isinstance(value, float) else str(value)
        raise self.error(f"field {key!r} has type {type(value).__name__}")

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            self.quirks.append(f"text-as-boolean:{key}")
            return value.strip().lower() == "true"
        raise self.error(f"field {key!r} has type {type(value).__name__}")

    def number(self, key: str) -> float | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                parsed = float(value.strip())
            except ValueError:
                raise self.error(f"field {key!r} is not a number: {value!r}") from None
            self.quirks.append(f"text-as-number:{key}")
            return parsed
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"field {key!r} has type {type(value).__name__}")
        return float(value)

    def whole(self, key: str) -> int | None:
        value = self.number(key)
        if value is not None and not value.is_integer():
            raise self.error(f"field {key!r} is not a whole number: {value}")
        return None if value is None else int(value)

    def timestamp(self, key: str) -> datetime | None:
        raw = self.text(key)
        if not raw:
            return None
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise self.error(f"field {key!r} is not an ISO 8601 date-time: {raw!r}") from None
        # Timestamps without an offset are taken as UTC, like the spec's examples.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def array(self, key: str) -> list[Any]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"field {key!r} has type {type(value).__name__}")
        return value


def _first_item(body: Any, where: str, status: int, request_id: str) -> _Fields:
    """``data[0]`` of a single-object envelope (the API always wraps it in an array)."""
    envelope = _Fields(body, where, status, request_id)
    data = envelope.array("data")
    if not data:
        raise envelope.error("'data' is missing or empty")
    return _Fields(data[0], f"{where} data[0]", status, request_id)


def _tags(f: _Fields) -> tuple[Tag, ...]:
    """The readable tags; an unreadable one is dropped and noted (tags are display only)."""
    tags = []
    for i, raw in enumerate(f.array("tags")):
        try:
            t = _Fields(raw, f"{f.where} tags[{i}]", f.status, f.request_id)
            tag_id = t.whole("tagId")
            tags.append(Tag(0 if tag_id is None else tag_id, t.text("tagName")))
        except ProtocolError:
            f.quirks.append("bad-tag:tags")
    return tuple(tags)


def _image(f: _Fields, *, listed: bool) -> Image:
    """An image; `listed` items carry `tags` in the schema, GET-by-id ones do not."""
    image_id = f.text("imageId").strip()
    if not image_id:
        raise f.error("no imageId")
    values = dict(
        image_id=image_id,
        tenant_id=f.text("tenantId"),
        customer_id=f.text("customerId"),
        name=f.text("name"),
        description=f.text("description"),
        url=f.text("url"),
        size_mb=f.number("sizeMb") or 0.0,
        uploaded_size_mb=f.number("uploadedSizeMb") or 0.0,
        os_type=f.text("osType"),
        version=f.text("version"),
        format=f.text("format"),
        status=f.text("status"),
        error_message=f.text("errorMessage"),
        standard_image=f.flag("standardImage"),
        creation_date=f.timestamp("creationDate"),
        last_modified_date=f.timestamp("lastModifiedDate"),
        tags=_tags(f) if listed or "tags" in f.obj else (),
    )
    known = KNOWN_IMAGE_FIELDS
    f.quirks += [f"unknown:{key}" for key in f.obj if key not in known]
    return Image(**values, request_id=f.request_id, quirks=tuple(f.quirks))


KNOWN_IMAGE_FIELDS = frozenset(
    {
        "imageId",
        "tenantId",
        "customerId",
        "name",
        "description",
        "url",
        "sizeMb",
        "uploadedSizeMb",
        "osType",
        "version",
        "format",
        "status",
        "errorMessage",
        "standardImage",
        "creationDate",
        "lastModifiedDate",
        "tags",
    }
)


def _item_id(raw: Any) -> str:
    value = raw.get("imageId") if isinstance(raw, Mapping) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def parse_image_page(
    body: Any, status: int, request_id: str, *, page: int = 1, size: int = 0
) -> ImagePage:
    """Parse a ListImageResponse; ``page``/``size`` (what was asked) stand in for a missing
    ``_pagination``. Malformed items are skipped and listed, never raised."""
    envelope = _Fields(body, "image list", status, request_id)
    meta_raw = envelope.raw("_pagination")
    meta = _Fields(meta_raw if meta_raw is not None else {}, "_pagination", status, request_id)
    data = envelope.array("data")
    images, skipped, quirks = [], [], envelope.quirks
    for i, raw in enumerate(data):
        try:
            image = _image(_Fields(raw, f"image list data[{i}]", status, request_id), listed=True)
        except ProtocolError as exc:
            skipped.append(Skipped(_item_id(raw), exc.message.removeprefix("bad response: ")))
            continue
        images.append(image)
        quirks += image.quirks
    numbers = {key: meta.whole(key) for key in ("page", "size", "totalElements", "totalPages")}
    if meta_raw is not None:
        quirks += [f"{q.split(':')[0]}:_pagination.{q.split(':')[1]}" for q in meta.quirks]
    return ImagePage(
        images=tuple(images),
        page=numbers["page"] or page,
        size=numbers["size"] or size or len(data),
        total_elements=numbers["totalElements"],
        total_pages=numbers["totalPages"],
        request_id=request_id,
        skipped=tuple(skipped),
        quirks=tuple(dict.fromkeys(quirks)),
        items=len(data),
    )


def parse_image(body: Any, status: int, request_id: str) -> Image:
    """Parse a FindImageResponse (no ``tags`` in the schema; used if present)."""
    return _image(_first_item(body, "image", status, request_id), listed=False)


def parse_created(body: Any, status: int, request_id: str) -> CreatedImage:
    """Parse a CreateCustomImageResponse: the new image's id is the one field we need."""
    f = _first_item(body, "created image", status, request_id)
    image_id = f.text("imageId").strip()
    if not image_id:
        raise f.error("missing field 'imageId'")
    return CreatedImage(image_id, f.text("tenantId"), f.text("customerId"), request_id)


def parse_updated(body: Any, status: int, request_id: str) -> UpdatedImage:
    """Parse an UpdateCustomImageResponse (its tenant/customer ids are not kept)."""
    f = _first_item(body, "updated image", status, request_id)
    image_id = f.text("imageId").strip()
    if not image_id:
        raise f.error("missing field 'imageId'")
    return UpdatedImage(image_id, request_id)


def parse_stats(body: Any, status: int, request_id: str) -> Stats:
    """Parse a CustomImagesStatsResponse; ``free`` is ``total - used`` when only it is left out."""
    f = _first_item(body, "image stats", status, request_id)
    total, used, free = f.number("totalSizeMb"), f.number("usedSizeMb"), f.number("freeSizeMb")
    if free is None and total is not None and used is not None:
        free = max(0.0, total - used)
    return Stats(
        tenant_id=f.text("tenantId"),
        customer_id=f.text("customerId"),
        current_images_count=f.whole("currentImagesCount"),
        total_size_mb=total,
        used_size_mb=used,
        free_size_mb=free,
        request_id=request_id,
        quirks=tuple(f.quirks),
    )
