"""The audit trail: one row per request and per answer from the API."""

from images.contabo import ContaboError
from images.models import AuditEvent, Image


def record(
    action: str,
    outcome: str,
    *,
    image: Image | None = None,
    account=None,
    actor=None,
    message: str = "",
    request_id: str = "",
) -> AuditEvent:
    """One row of the audit trail, in the image's account (or `account` for account-wide
    actions such as a refresh)."""
    return AuditEvent.objects.create(
        account_id=image.account_id if image else getattr(account, "pk", None),
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
