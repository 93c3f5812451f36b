"""Work that waits for its account to sign in again, instead of failing for good.

While the token endpoint refuses an account (Keycloak's `401 invalid_grant` flaps, or a password
changed at Contabo), its queued uploads, renames and deletes keep their intent and show why they
wait; the task tries again later and the sweeper re-sends whatever is still waiting, so the work
goes out by itself once sign-in works.
"""

from images.contabo import ContaboError
from images.models import Image


def hold(image_id: int, exc: ContaboError) -> None:
    """Keep the image's intent and say why it waits."""
    reason = f"Contabo sign-in failing ({exc.message or exc}); will retry"
    Image.objects.filter(pk=image_id).update(wait_reason=reason[:500])


def clear(image_id: int) -> None:
    """The work went out: no longer waiting."""
    Image.objects.filter(pk=image_id).exclude(wait_reason="").update(wait_reason="")
