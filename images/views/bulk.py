"""Bulk actions from the list: delete (after one confirmation) or retry many images at once.

Each image goes through its own intent and task (images.services.bulk); the result page says how
many were queued and which were refused and why. Open to every member of the account: a viewer's
request is answered with every image refused as "not a manager".
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from images import selectors
from images.access import can_manage
from images.decorators import account_member_required
from images.forms import BulkForm, ImageFilterForm
from images.services import bulk as bulk_actions


def _back(form: BulkForm) -> str:
    """The list's query string to return to (never a URL: it is appended to the list's path)."""
    back = form.cleaned_data.get("back", "") if form.is_valid() else ""
    return back.lstrip("?").replace("\n", "").replace("\r", "")


@require_POST
@account_member_required
def bulk(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Delete or Retry for the selected images.")
        return redirect("images:list")
    data = form.cleaned_data
    back = _back(form)
    criteria = ImageFilterForm(request.POST).criteria() if data["scope"] == "filter" else None
    images = selectors.bulk_selection(request.account, ids=data["ids"], criteria=criteria)
    if not images:
        messages.info(request, "Nothing was selected: tick the images first.")
        return _to_list(back)
    if len(images) > selectors.BULK_MAX:
        messages.error(
            request,
            f"More than {selectors.BULK_MAX} images are selected: narrow the filter and try again.",
        )
        return _to_list(back)
    may_manage = can_manage(request)
    context = {"back_query": back}
    if data["action"] == "delete" and not data["confirm"]:
        preview = bulk_actions.delete_preview(images, may_manage=may_manage)
        return render(request, "images/bulk_delete.html", {**context, "preview": preview})
    if data["action"] == "delete":
        outcome = bulk_actions.bulk_delete(images, user=request.user, may_manage=may_manage)
        verb = "deletion"
    else:
        outcome = bulk_actions.bulk_retry(
            images,
            user=request.user,
            may_manage=may_manage,
            remove_failed=data["remove_failed"],
        )
        verb = "download"
    status = 200 if outcome.queued or not outcome.refused else 409
    context.update(outcome=outcome, verb=verb)
    return render(request, "images/bulk_result.html", context, status=status)


def _to_list(back: str):
    response = redirect("images:list")
    if back:
        response["Location"] += f"?{back}"
    return response
