"""The upload page's URL check: a worker asks the URL's server about the file, the page polls
for the answer. Also the upload page's context, which the check without JavaScript renders."""

from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from images import selectors
from images.decorators import (
    account_manager_required,
    account_member_required_live,
    require_manager,
)
from images.forms import PreflightForm, UploadForm
from images.services import preflight
from images.views.shared import live_context


def upload_context(request, form, **extra) -> dict:
    snapshot = selectors.latest_quota(request.account)
    in_flight = selectors.in_flight_totals(request.account)
    return {
        "nav": "upload",
        "form": form,
        "snapshot": snapshot,
        "in_flight": in_flight,
        "quota_left": selectors.quota_left(snapshot, in_flight["remaining_mb"]),
        **extra,
    }


@require_POST
@account_manager_required
def upload_preflight(request):
    """Ask a worker what the URL's server says about the file; answers a fragment that polls
    `upload_preflight_result` until the worker stored it. This process never contacts the URL.

    Without JavaScript "Check URL" submits the whole upload form here: the page comes back with
    what was typed and the check under the URL, with a button to look again.
    """
    form = PreflightForm(request.POST)
    context = {"preflight": {}}
    if form.is_valid():
        url = form.cleaned_data["url"]
        token = request.POST.get("preflight_token", "")
        entry = preflight.read(token, user=request.user)
        if entry is None or entry["url"] != url:
            token = preflight.request_preflight(url, user=request.user)
        if token is None:
            context = {"preflight": preflight.unavailable(url)}
        else:
            context = preflight_context(request, token)
    elif request.POST.get("url", "").strip():
        context = {"preflight": {"errors": form.errors["url"]}}
    if request.htmx:
        return render(request, "images/partials/preflight.html", context)
    upload_form = UploadForm(
        initial=request.POST.dict(), duplicate_guard=True, account=request.account
    )
    return render(request, "images/upload.html", upload_context(request, upload_form, **context))


@require_GET
@account_member_required_live
def upload_preflight_result(request, token: str):
    """The check stored under `token`: still polling while pending, without a trigger once done."""
    require_manager(request)
    return render(request, "images/partials/preflight.html", preflight_context(request, token))


def preflight_context(request, token: str) -> dict:
    entry = preflight.read(token, user=request.user)
    if entry is None:
        return {"preflight": {"expired": bool(token)}}
    checked = {**entry, "token": token, "pending": entry["state"] == "pending"}
    if entry.get("size_mb") is not None:
        left = selectors.quota_left(
            selectors.latest_quota(request.account),
            selectors.in_flight_totals(request.account)["remaining_mb"],
        )
        checked["quota_left"] = left
        checked["fits"] = None if left is None else entry["size_mb"] <= left
    return {"preflight": checked, **live_context()}
