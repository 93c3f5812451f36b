"""The image list, its live rows, and its "refresh from Contabo" button."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_POST

from images import selectors
from images.access import can_manage
from images.decorators import (
    account_manager_required,
    account_member_required,
    account_member_required_live,
)
from images.forms import ImageFilterForm, list_criteria
from images.pagination import link_query
from images.services.intents import request_refresh
from images.views.shared import live_context, safe_next

STOP_POLLING = 286  # htmx swaps this answer, then cancels the element's `every` trigger


@require_GET
@account_member_required
def image_list(request):
    criteria = list_criteria(request.GET)
    # Rendered only when the page's kept filter form is missing (see list.html).
    form = SimpleLazyObject(lambda: ImageFilterForm(request.GET))
    images = selectors.image_queryset(
        request.account,
        q=criteria["q"],
        status=criteria["status"],
        os_type=criteria["os"],
        kind=criteria["kind"],
        sort=criteria["sort"],
    )
    page = selectors.paginate(
        images,
        request.GET.get("page"),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    selectors.attach_progress(page.object_list)
    live = [i for i in page.object_list if i.live]
    context = {
        "form": form,
        "criteria": criteria,
        "page": page,
        "filtered": any(criteria[k] for k in ("q", "status", "os", "kind")),
        "live_ids": [i.pk for i in live],
        "live_token": selectors.live_token(live),
        "heartbeats": selectors.job_heartbeats(request.account),
        "can_manage": can_manage(request),
        "export_query": link_query(request.GET),
        "nav": "list",
        **live_context(),
    }
    return render(request, "images/list.html", context)


@require_GET
@account_member_required_live
def image_list_live(request):
    """ONE request per interval for the whole list: the watched rows, swapped out of band.

    The poller element stays on the page (replacing it would restart its timer, making the
    period interval + request time); it sends the ids from the hidden `#live-ids` input. The
    answer re-renders every row asked for (so a row that just finished shows its final state
    once) and, out of band, that input with only the ids still live and their version; with none
    left the status is 286, htmx's "stop polling" (it still swaps this last answer).

    When the page's version (`v`, see selectors.live_token) still matches its rows, the answer is
    an empty 204 from one query by primary key: no samples read, nothing rendered or swapped.
    """
    ids = _parse_ids(request.GET.get("ids", ""))
    version = request.GET.get("v", "")
    if ids and version and selectors.live_token_of(request.account, ids) == version:
        return HttpResponse(status=204)
    images = selectors.live_images(request.account, ids)
    live = [i for i in images if i.live]
    live_ids = [i.pk for i in live]
    context = {
        "images": images,
        "live_ids": live_ids,
        "live_token": selectors.live_token(live),
        "can_manage": can_manage(request),
        **live_context(),
    }
    status = 200 if live_ids else STOP_POLLING
    return render(request, "images/partials/list_live.html", context, status=status)


def _parse_ids(raw: str) -> list[int]:
    ids = []
    for part in raw.split(","):
        part = part.strip()
        if part.isdigit() and len(part) < 19:
            ids.append(int(part))
    return list(dict.fromkeys(ids))[: selectors.LIVE_MAX_IDS]


@require_POST
@account_manager_required
def refresh(request):
    request_refresh(user=request.user, account=request.account)
    messages.success(request, "A full sync with Contabo and fresh quota figures were requested.")
    return redirect(safe_next(request) or "images:list")
