"""The audit trail: one row per request and per answer from the API."""

from images.contabo import ContaboError
from images.models import AuditEvent, Image


def record(
    action: str,
    outcome: str,
    *,
    image: Image | None = None,
    actor=None,
    message: str = "",
    request_id: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        image=image,
        image_name=image.name if image else "",
        actor=actor,
        action=action,
        outcome=outcome,
        message=message,
        request_id=request_id,
    )


def record_error(action: str, image: Image | None, exc: ContaboError) -> AuditEvent:
    return record(
        action,
        AuditEvent.Outcome.FAILED,
        image=image,
        message=exc.message or str(exc),
        request_id=exc.request_id,
    )
