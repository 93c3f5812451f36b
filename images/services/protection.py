"""Delete protection: a manager marks an image protected, and no delete goes through (the delete
page, the bulk action, a new version's "delete the old one") until it is unprotected.

Both changes are audited. The flag is checked in the delete intent's conditional update too, so
protecting an image while someone deletes it leaves exactly one of the two in effect.
"""

from django.db import transaction

from images.models import AuditEvent, Image, Status
from images.services import audit
from images.services.intents import PROTECTED, NotAllowed

GONE = (Status.DELETING, Status.DELETED, Status.GONE)


def why_protected(image: Image) -> str | None:
    """The delete page's refusal for a protected image, or None."""
    return PROTECTED.format(name=image.name) if image.protected else None


def why_not_protectable(image: Image) -> str | None:
    if image.standard:
        return "Standard images belong to Contabo and cannot be deleted anyway."
    if image.status in GONE:
        return "This image is deleted or being deleted."
    return None


@transaction.atomic
def set_protected(image: Image, *, user, protected: bool) -> bool:
    """Protect or unprotect `image`; False when it already was. NotAllowed when it cannot be."""
    why = why_not_protectable(image)
    if why:
        raise NotAllowed(why)
    updated = (
        Image.objects.filter(pk=image.pk, standard=False)
        .exclude(status__in=GONE)
        .exclude(protected=protected)
        .update(protected=protected)
    )
    image.protected = protected
    if updated:
        action = "protect" if protected else "unprotect"
        audit.record(action, AuditEvent.Outcome.SUCCEEDED, image=image, actor=user)
    return bool(updated)
