"""The six Images operations of the Contabo API, as the spec describes them."""

import re
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from sandbox import dialect
from sandbox.errors import ApiError
from sandbox.messages import Request, Response
from sandbox.store import COLUMNS, Query, new_image

if TYPE_CHECKING:
    from sandbox.app import App

IMAGES_PATH = "/v1/compute/images"
REQUEST_ID = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-5][0-9A-Fa-f]{3}-[089abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
INT64_MAX = 2**63 - 1  # page and size are `format: int64`
_INTEGER = re.compile(r"^[+-]?\d{1,19}$")
_SEARCH_SEPARATOR = re.compile(r"\s+or\s+", re.IGNORECASE)
_LIST_PARAMS = ("size", "orderBy", "name", "standardImage", "search")
_SUMMARY_FIELDS = ("tenantId", "customerId", "imageId")


def check_headers(request: Request) -> None:
    """x-request-id is required and must match the spec's pattern (x-trace-id is free-form)."""
    request_id = request.headers.get("x-request-id")
    if request_id is None:
        raise ApiError(400, "Missing required header x-request-id (a UUID4)")
    if not REQUEST_ID.match(request_id):
        raise ApiError(400, "Header x-request-id must be a UUID4")


# -- query parsing -----------------------------------------------------------------------


def _single(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    if values is None:
        return None
    if len(values) > 1:
        raise ApiError(400, f"Query parameter {name} must be given at most once")
    return values[0]


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = _single(request, name)
    if raw is None:
        return default
    if not _INTEGER.match(raw) or not 1 <= int(raw) <= INT64_MAX:
        raise ApiError(400, f"Query parameter {name} must be an int64 >= 1")
    return int(raw)


def _order_by(request: Request, knobs) -> tuple[tuple[str, bool], ...]:
    order = []
    for value in request.query.get("orderBy", []):
        if not value:
            continue  # an empty orderBy asks for no particular order
        field, _, direction = value.partition(":")
        if field not in COLUMNS:
            fields = ", ".join(COLUMNS)
            raise ApiError(400, f"orderBy: unknown field {field!r}; use one of {fields}")
        if direction.lower() not in ("", "asc", "desc"):
            raise ApiError(400, "orderBy must look like field:ASC or field:DESC")
        if dialect.refused_order(field, knobs):
            raise ApiError(400, f"orderBy: sorting by {field!r} is not supported")
        order.append((field, direction.lower() == "desc"))
    return tuple(order)


def _list_query(request: Request, knobs) -> Query:
    standard = _single(request, "standardImage")
    if standard not in (None, "true", "false"):
        raise ApiError(400, "Query parameter standardImage must be true or false")
    search = _single(request, "search")
    terms = tuple(t.strip() for t in _SEARCH_SEPARATOR.split(search or "") if t.strip())
    return Query(
        page=_positive_int(request, "page", 1),
        size=dialect.page_size(
            min(_positive_int(request, "size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE), knobs
        ),
        order_by=_order_by(request, knobs),
        name=_single(request, "name"),
        standard_image=None if standard is None else standard == "true",
        search_terms=terms,
    )


def _page_link(request: Request, page: int) -> str:
    """A relative link to `page`, keeping the request's other list parameters."""
    params = [("page", page)]
    params += [(name, v) for name in _LIST_PARAMS for v in request.query.get(name, [])]
    return f"{IMAGES_PATH}?{urlencode(params, safe=':')}"


# -- body validation ---------------------------------------------------------------------


def _object(request: Request) -> dict:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return body


def _strings(body: dict, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    for name in required:
        if name not in body:
            raise ApiError(400, f"{name} is required")
    for name in required + optional:
        if name in body and not isinstance(body[name], str):
            raise ApiError(400, f"{name} must be a string")


def image_format(url: str) -> str:
    """iso or qcow2 from the URL path's suffix; ApiError 415 (spec body) for anything else."""
    path = urlsplit(url).path.lower()
    for fmt in ("iso", "qcow2"):
        if path.endswith(f".{fmt}"):
            return fmt
    raise ApiError(415, "Unsupported Media Type")


# -- operations --------------------------------------------------------------------------


def _custom_image(app: "App", image_id: str) -> dict:
    image = app.store.get(image_id)
    if image is None:
        raise ApiError(404, f"Entry Image not found by imageId {image_id}")
    if image["standardImage"]:
        raise ApiError(403, "Standard images cannot be modified or deleted")
    return image


def _summary(image: dict) -> dict:
    return {
        "data": [{field: image[field] for field in _SUMMARY_FIELDS}],
        "_links": {"self": f"{IMAGES_PATH}/{image['imageId']}"},
    }


def retrieve_image_list(app: "App", request: Request) -> Response:
    knobs = app.faults.knobs
    query = _list_query(request, knobs)
    if knobs.unstable_order:
        images, total = dialect.shuffled_page(app.store, query)
    else:
        images, total = app.store.search(query)
    total_pages = -(-total // query.size)
    links = {
        "self": _page_link(request, query.page),
        "first": _page_link(request, 1),
        "last": _page_link(request, max(total_pages, 1)),
    }
    if query.page > 1:
        links["previous"] = _page_link(request, min(query.page - 1, max(total_pages, 1)))
    if query.page < total_pages:
        links["next"] = _page_link(request, query.page + 1)
    pagination = {
        "size": query.size,
        "totalElements": total,
        "totalPages": total_pages,
        "page": query.page,
    }
    data = [dialect.image(image, knobs) for image in images] if dialect.active(knobs) else images
    body = {"_pagination": pagination, "data": data, "_links": links}
    return Response.json(200, dialect.envelope(body, knobs))


def retrieve_image(app: "App", request: Request) -> Response:
    image_id = request.params["imageId"]
    image = app.store.get(image_id)
    if image is None:
        raise ApiError(404, f"Entry Image not found by imageId {image_id}")
    del image["tags"]
    knobs = app.faults.knobs
    body = {"data": [dialect.image(image, knobs)], "_links": {"self": f"{IMAGES_PATH}/{image_id}"}}
    return Response.json(200, dialect.envelope(body, knobs))


def create_custom_image(app: "App", request: Request) -> Response:
    body = _object(request)
    _strings(body, ("name", "url", "osType", "version"), ("description",))
    if body["osType"] not in ("Windows", "Linux"):
        raise ApiError(400, "osType must be one of Windows, Linux")
    fmt = image_format(body["url"])
    count, used = app.store.custom_usage()
    quota = app.faults.knobs.quota_mb
    if used >= quota:
        raise ApiError(
            402,
            f"Custom image storage is full ({used:g} of {quota:g} MB used, {count} images): "
            "delete images or buy more storage",
        )
    image = new_image(
        tenantId=app.settings.tenant_id,
        customerId=app.settings.customer_id,
        name=body["name"],
        description=body.get("description", ""),
        url=body["url"],
        osType=body["osType"],
        version=body["version"],
        format=fmt,
    )
    app.store.insert_many([image])
    app.downloads.start(image["imageId"], image["url"])
    return Response.json(201, _summary(image))


def update_image(app: "App", request: Request) -> Response:
    body = _object(request)
    _strings(body, (), ("name", "description"))
    image = _custom_image(app, request.params["imageId"])
    changes = {name: body[name] for name in ("name", "description") if name in body}
    if changes:
        app.store.update(image["imageId"], **changes)
    return Response.json(200, _summary(image))


def delete_image(app: "App", request: Request) -> Response:
    image = _custom_image(app, request.params["imageId"])
    app.store.delete(image["imageId"])
    return Response(204)


def retrieve_custom_images_stats(app: "App", request: Request) -> Response:
    count, used = app.store.custom_usage()
    quota = app.faults.knobs.quota_mb
    stats = {
        "tenantId": app.settings.tenant_id,
        "customerId": app.settings.customer_id,
        "currentImagesCount": count,
        "totalSizeMb": quota,
        "usedSizeMb": round(used, 2),
        "freeSizeMb": round(max(0.0, quota - used), 2),
    }
    knobs = app.faults.knobs
    body = {"data": [dialect.stats(stats, knobs)], "_links": {"self": f"{IMAGES_PATH}/stats"}}
    return Response.json(200, dialect.envelope(body, knobs))
