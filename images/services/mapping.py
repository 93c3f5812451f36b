"""How an image as the API reports it maps onto the local model.

The spec gives `status` no enum. Only the values we know end a download: `downloaded` is ready,
`error` (or `failed`) is failed. Everything else, `downloading`, the spec's example `Pending`, or a
value never seen (`processing`, an empty one), keeps a custom image in flight, shown verbatim on
its page ("Contabo says: processing"): nothing is announced, retired or released on a guess.
Standard images are Contabo's own and never downloads, so they are ready whatever they say.
"""

from images import contabo
from images.models import Status

IN_FLIGHT_REMOTE = {"downloading", "pending"}
FAILED_REMOTE = {"error", "failed"}
READY_REMOTE = {"downloaded"}


def local_status(remote_status: str, *, standard: bool = False) -> str:
    value = remote_status.strip().lower()
    if standard or value in READY_REMOTE:
        return Status.DOWNLOADED
    if value in FAILED_REMOTE:
        return Status.FAILED
    return Status.DOWNLOADING


def unknown_status(remote_status: str) -> bool:
    """A value this mapping does not know (kept in flight and shown as Contabo says it)."""
    return remote_status.strip().lower() not in IN_FLIGHT_REMOTE | FAILED_REMOTE | READY_REMOTE


#: The fields the API owns, in the order `remote_values` gives them.
REMOTE_FIELDS = (
    "standard",
    "url",
    "os_type",
    "version",
    "format",
    "remote_status",
    "error_message",
    "size_mb",
    "uploaded_size_mb",
    "tenant_id",
    "customer_id",
    "tags",
    "remote_created_at",
    "remote_modified_at",
)


def remote_values(image: contabo.Image) -> tuple:
    """The values of REMOTE_FIELDS, in that order."""
    return (
        image.standard_image,
        image.url,
        image.os_type,
        image.version,
        image.format,
        image.status,
        image.error_message,
        image.size_mb,
        image.uploaded_size_mb,
        image.tenant_id,
        image.customer_id,
        [{"id": t.tag_id, "name": t.tag_name} for t in image.tags],
        image.creation_date,
        image.last_modified_date,
    )


def remote_fields(image: contabo.Image) -> dict:
    """Fields the API owns, ready for an update() or a constructor."""
    return dict(zip(REMOTE_FIELDS, remote_values(image), strict=True))


def user_fields(image: contabo.Image) -> dict:
    """Fields a user can change here too (rename), applied only when no rename is pending."""
    return {"name": image.name, "description": image.description}
