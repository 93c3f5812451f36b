"""How an image as the API reports it maps onto the local model.

The spec gives `status` no enum. Like Contabo's Terraform provider we read `downloading` (and the
spec's example `Pending`) as still in flight, `error` as failed, and anything else as ready.
"""

from images import contabo
from images.models import Status

IN_FLIGHT_REMOTE = {"downloading", "pending"}
FAILED_REMOTE = {"error", "failed"}


def local_status(remote_status: str) -> str:
    value = remote_status.strip().lower()
    if value in IN_FLIGHT_REMOTE:
        return Status.DOWNLOADING
    if value in FAILED_REMOTE:
        return Status.FAILED
    return Status.DOWNLOADED


def remote_fields(image: contabo.Image) -> dict:
    """Fields the API owns, ready for an update() or a constructor."""
    return {
        "standard": image.standard_image,
        "url": image.url,
        "os_type": image.os_type,
        "version": image.version,
        "format": image.format,
        "remote_status": image.status,
        "error_message": image.error_message,
        "size_mb": image.size_mb,
        "uploaded_size_mb": image.uploaded_size_mb,
        "tenant_id": image.tenant_id,
        "customer_id": image.customer_id,
        "tags": [{"id": t.tag_id, "name": t.tag_name} for t in image.tags],
        "remote_created_at": image.creation_date,
        "remote_modified_at": image.last_modified_date,
    }


def user_fields(image: contabo.Image) -> dict:
    """Fields a user can change here too (rename), applied only when no rename is pending."""
    return {"name": image.name, "description": image.description}
