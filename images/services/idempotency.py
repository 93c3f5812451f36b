"""Idempotency-Key for uploads through the API: a script that retries a create after a timeout
gets the image its first request made, not a second one (as Stripe's API does).

A key belongs to its user and is remembered API_IDEMPOTENCY_HOURS. It is bound to the request it
came with (a fingerprint of the fields): the same key with other fields is refused, not replayed.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from images.models import IdempotencyKey, Image
from images.services.intents import request_upload


class KeyReused(Exception):
    """The key was already used by this user for a request with other fields."""


def fingerprint(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def earlier_image(*, user, key: str, fingerprint: str) -> Image | None:
    """The image an earlier request with this key made, or None; KeyReused if that request
    carried other fields."""
    since = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    found = (
        IdempotencyKey.objects.filter(user=user, key=key, created_at__gte=since)
        .select_related("image")
        .first()
    )
    if found is None or found.image is None:
        return None
    if found.fingerprint != fingerprint:
        raise KeyReused(key)
    return found.image


@transaction.atomic
def upload_once(*, user, key: str, fingerprint: str, **fields) -> tuple[Image, bool]:
    """request_upload under `key`: (the image, True when it was made by an earlier request).

    The user's row is locked first, so two requests with the same key racing in parallel are
    decided one after the other: the second finds the first one's key.
    """
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    earlier = earlier_image(user=user, key=key, fingerprint=fingerprint)
    if earlier is not None:
        return earlier, True
    IdempotencyKey.objects.filter(user=user, key=key).delete()  # expired, or its image is gone
    image = request_upload(user=user, **fields)
    IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, image=image)
    return image, False
