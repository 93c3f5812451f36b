"""The sandbox's own control API under `/_sandbox/` (not part of Contabo's spec, no auth)."""

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sandbox.errors import ApiError
from sandbox.messages import Request, Response
from sandbox.store import new_image, timestamp

if TYPE_CHECKING:
    from sandbox.app import App

MAX_SEED = 1_000_000
RETURNED_IDS = 1000
# Fields a test may force (POST /_sandbox/images/<id>) or give seeded images, with their types.
FORCEABLE = {
    "name": str,
    "description": str,
    "url": str,
    "osType": str,
    "version": str,
    "format": str,
    "status": str,
    "errorMessage": str,
    "sizeMb": (int, float),
    "uploadedSizeMb": (int, float),
}


def _fields(body: dict, allowed: dict) -> dict:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, f"Unknown fields: {', '.join(unknown)}")
    for name, value in body.items():
        if isinstance(value, bool) or not isinstance(value, allowed[name]):
            raise ApiError(400, f"{name} has the wrong type")
    if body.get("format", "qcow2") not in ("iso", "qcow2"):
        raise ApiError(400, "format must be iso or qcow2")
    return body


def _object(request: Request) -> dict:
    if not request.body.strip():
        return {}
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Body must be a JSON object")
    return body


def get_faults(app: "App", request: Request) -> Response:
    return Response.json(200, app.faults.as_dict())


def set_faults(app: "App", request: Request) -> Response:
    return Response.json(200, app.faults.update(_object(request)))


def reset(app: "App", request: Request) -> Response:
    """Wipe custom images, reset counters and knobs to their start-up values."""
    app.store.delete_custom()
    app.faults.reset()
    return Response.json(200, {"faults": app.faults.as_dict(), "calls": app.faults.calls()})


def seed(app: "App", request: Request) -> Response:
    """Bulk-insert `count` custom images (no downloads); the quota grows if they do not fit."""
    body = _object(request)
    count = body.pop("count", None)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_SEED:
        raise ApiError(400, f"count must be an integer between 1 and {MAX_SEED}")
    fields = _fields(body, {**FORCEABLE, "imageId": str})
    if "imageId" in fields and count != 1:
        raise ApiError(400, "imageId can only be chosen when seeding one image")
    prefix = fields.pop("name", "seeded-image")
    template = new_image(
        tenantId=app.settings.tenant_id,
        customerId=app.settings.customer_id,
        version="1.0",
        status="downloaded",
    )
    started = datetime.now(UTC) - timedelta(seconds=count)
    images = []
    for i in range(count):
        created = timestamp(started + timedelta(seconds=i))
        image = {
            **template,
            "imageId": str(uuid.uuid4()),
            "name": f"{prefix}-{i + 1:06d}",
            "url": f"https://images.sandbox.local/{prefix}-{i + 1:06d}.qcow2",
            "osType": "Windows" if i % 5 == 0 else "Linux",
            "sizeMb": round(100 + (i * 37) % 4900 + (i % 4) * 0.25, 2),
            "creationDate": created,
            "lastModifiedDate": created,
            **fields,
        }
        if "uploadedSizeMb" not in fields:
            image["uploadedSizeMb"] = image["sizeMb"] if image["status"] == "downloaded" else 0
        images.append(image)
    try:
        app.store.insert_many(images)
    except sqlite3.IntegrityError:
        raise ApiError(409, "An image with this imageId already exists") from None
    app.faults.raise_quota_to(app.store.custom_usage()[1])
    ids = [image["imageId"] for image in images[:RETURNED_IDS]]
    return Response.json(201, {"count": count, "imageIds": ids})


def get_calls(app: "App", request: Request) -> Response:
    return Response.json(200, app.faults.calls())


def reset_calls(app: "App", request: Request) -> Response:
    app.faults.reset_calls()
    return Response.json(200, app.faults.calls())


def force_image(app: "App", request: Request) -> Response:
    """Overwrite fields of any image (status, uploadedSizeMb, errorMessage, ...)."""
    image_id = request.params["imageId"]
    fields = _fields(_object(request), FORCEABLE)
    if not app.store.update(image_id, **fields):
        raise ApiError(404, f"Entry Image not found by imageId {image_id}")
    return Response.json(200, app.store.get(image_id))
