"""Pieces several pages use: the live-refresh interval, the page's image, a safe way back."""

from django.conf import settings
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme

from images import selectors
from images.models import Image


def live_context() -> dict:
    return {"refresh_ms": max(500, round(settings.PAGE_REFRESH_SECONDS * 1000))}


def get_image(request, pk: int) -> Image:
    """An image of the page's account; another account's is a 404, like a missing one."""
    try:
        return selectors.image_detail(request.account, pk)
    except Image.DoesNotExist as exc:
        raise Http404("No such image.") from exc


def safe_next(request) -> str:
    """Back to the list with the user's filters, never to another host."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if safe else ""
