"""Typed results of the Images endpoints and their strict parsing from JSON bodies.

Parsing follows the OpenAPI schemas: a missing required field or a value of the wrong
JSON type raises :class:`ProtocolError` instead of leaking ``KeyError``/``TypeError``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ProtocolError


@dataclass(frozen=True)
class Tag:
    tag_id: int
    tag_name: str


@dataclass(frozen=True)
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
    creation_date: datetime
    last_modified_date: datetime
    tags: tuple[Tag, ...] = ()
    request_id: str = field(default="", compare=False)


@dataclass(frozen=True)
class ImagePage:
    images: tuple[Image, ...]
    page: int
    size: int
    total_elements: int
    total_pages: int
    request_id: str = field(default="", compare=False)


@dataclass(frozen=True)
class Stats:
    tenant_id: str
    customer_id: str
    current_images_count: int
    total_size_mb: float
    used_size_mb: float
    free_size_mb: float
    request_id: str = field(default="", compare=False)


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


class _Fields:
    """Typed access to one JSON object; every failure becomes a ProtocolError."""

    def __init__(self, obj: Any, where: str, status: int, request_id: str) -> None:
        self.where, self.status, self.request_id = where, status, request_id
        if not isinstance(obj, Mapping):
            raise self.error(f"expected an object, got {type(obj).__name__}")
        self.obj = obj

    def error(self, problem: str) -> ProtocolError:
        return ProtocolError(self.status, f"bad response: {self.where}: {problem}", self.request_id)

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.obj:
            raise self.error(f"missing field {key!r}")
        value = self.obj[key]
        # bool is an int subclass; never accept it where a number is expected.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.error(f"field {key!r} has type {type(value).__name__}")
        return value

    def text(self, key: str) -> str:
        return self.get(key, str)

    def flag(self, key: str) -> bool:
        return self.get(key, bool)

    def number(self, key: str) -> float:
        return float(self.get(key, (int, float)))

    def whole(self, key: str) -> int:
        value = self.get(key, (int, float))
        if isinstance(value, float) and not value.is_integer():
            raise self.error(f"field {key!r} is not a whole number: {value}")
        return int(value)

    def timestamp(self, key: str) -> datetime:
        raw = self.text(key)
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise self.error(f"field {key!r} is not an ISO 8601 date-time: {raw!r}") from None
        # Timestamps without an offset are taken as UTC, like the spec's examples.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def array(self, key: str) -> list[Any]:
        return self.get(key, list)


def _first_item(body: Any, where: str, status: int, request_id: str) -> _Fields:
    """``data[0]`` of a single-object envelope (the API always wraps it in an array)."""
    data = _Fields(body, where, status, request_id).array("data")
    if not data:
        raise _Fields(body, where, status, request_id).error("'data' is empty")
    return _Fields(data[0], f"{where} data[0]", status, request_id)


def _tag(raw: Any, where: str, status: int, request_id: str) -> Tag:
    t = _Fields(raw, where, status, request_id)
    return Tag(t.whole("tagId"), t.text("tagName"))


def _image(f: _Fields, *, with_tags: bool) -> Image:
    tags: tuple[Tag, ...] = ()
    if with_tags or "tags" in f.obj:
        tags = tuple(
            _tag(raw, f"{f.where} tags[{i}]", f.status, f.request_id)
            for i, raw in enumerate(f.array("tags"))
        )
    return Image(
        image_id=f.text("imageId"),
        tenant_id=f.text("tenantId"),
        customer_id=f.text("customerId"),
        name=f.text("name"),
        description=f.text("description"),
        url=f.text("url"),
        size_mb=f.number("sizeMb"),
        uploaded_size_mb=f.number("uploadedSizeMb"),
        os_type=f.text("osType"),
        version=f.text("version"),
        format=f.text("format"),
        status=f.text("status"),
        error_message=f.text("errorMessage"),
        standard_image=f.flag("standardImage"),
        creation_date=f.timestamp("creationDate"),
        last_modified_date=f.timestamp("lastModifiedDate"),
        tags=tags,
        request_id=f.request_id,
    )


def parse_image_page(body: Any, status: int, request_id: str) -> ImagePage:
    """Parse a ListImageResponse (``tags`` is required on list items)."""
    envelope = _Fields(body, "image list", status, request_id)
    meta = _Fields(envelope.get("_pagination", dict), "_pagination", status, request_id)
    images = tuple(
        _image(_Fields(raw, f"image list data[{i}]", status, request_id), with_tags=True)
        for i, raw in enumerate(envelope.array("data"))
    )
    return ImagePage(
        images=images,
        page=meta.whole("page"),
        size=meta.whole("size"),
        total_elements=meta.whole("totalElements"),
        total_pages=meta.whole("totalPages"),
        request_id=request_id,
    )


def parse_image(body: Any, status: int, request_id: str) -> Image:
    """Parse a FindImageResponse (no ``tags`` in the schema; used if present)."""
    return _image(_first_item(body, "image", status, request_id), with_tags=False)


def parse_created(body: Any, status: int, request_id: str) -> CreatedImage:
    """Parse a CreateCustomImageResponse."""
    f = _first_item(body, "created image", status, request_id)
    return CreatedImage(f.text("imageId"), f.text("tenantId"), f.text("customerId"), request_id)


def parse_updated(body: Any, status: int, request_id: str) -> UpdatedImage:
    """Parse an UpdateCustomImageResponse (its tenant/customer ids are not kept)."""
    f = _first_item(body, "updated image", status, request_id)
    for key in ("tenantId", "customerId"):  # required by the schema: validated, not kept
        f.text(key)
    return UpdatedImage(f.text("imageId"), request_id)


def parse_stats(body: Any, status: int, request_id: str) -> Stats:
    """Parse a CustomImagesStatsResponse."""
    f = _first_item(body, "image stats", status, request_id)
    return Stats(
        tenant_id=f.text("tenantId"),
        customer_id=f.text("customerId"),
        current_images_count=f.whole("currentImagesCount"),
        total_size_mb=f.number("totalSizeMb"),
        used_size_mb=f.number("usedSizeMb"),
        free_size_mb=f.number("freeSizeMb"),
        request_id=request_id,
    )
