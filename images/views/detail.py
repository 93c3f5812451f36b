"""One image's page: its state, history and versions, re-rendered live while anything is
pending."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from images import selectors
from images.access import can_manage
from images.decorators import account_member_required, account_member_required_live
from images.forms import RetryForm
from images.services import lineage
from images.views.shared import get_image, live_context


def _detail_context(request, pk: int) -> dict:
    image = get_image(request, pk)
    versions = selectors.versions(image)
    successor = next(
        (v for v in versions if v.replaces_id == image.pk and v.status in lineage.ACTIVE), None
    )
    return {
        "image": image,
        "events": selectors.image_events(image),
        "watch": selectors.needs_watching(image),
        "can_manage": can_manage(request),
        "versions": versions,
        "successor": successor,
        "replaced": next((v for v in versions if v.pk == image.replaces_id), None),
        "retry_form": RetryForm(initial={"remove_failed": True}),
        **live_context(),
    }


@require_GET
@account_member_required
def image_detail(request, pk: int):
    return render(request, "images/detail.html", _detail_context(request, pk))


@require_GET
@account_member_required_live
def image_detail_live(request, pk: int):
    """The detail page's body, re-rendered in one request per interval while anything is
    pending (download, delete, rename); without a trigger once it settles, so polling stops."""
    return render(request, "images/partials/detail_body.html", _detail_context(request, pk))
