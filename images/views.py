"""Thin views: read through selectors, write through services, validate with forms.

No view talks to the Contabo API: a write stores the user's intent and a task carries it out, so
every page is as fast as a database read.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from images import access, exports, selectors
from images.access import can_manage
from images.forms import (
    ImageFilterForm,
    NotificationPreferenceForm,
    PreflightForm,
    RenameForm,
    ReplaceForm,
    RetryForm,
    UploadForm,
)
from images.models import Image, NotificationPreference
from images.services import lineage, preflight
from images.services.requests import (
    NotAllowed,
    request_delete,
    request_refresh,
    request_rename,
    request_upload,
    why_unchangeable,
)


def account_required(view):
    """login_required, then `request.account`: the account the page is about (images.access).
    A user who sees no account gets a page saying so."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        request.account = access.current_account(request)
        if request.account is None:
            return render(request, "images/no_account.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def login_required_live(view):
    """account_required for htmx fragments: an expired session reloads the whole page to login."""
    with_account = account_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return with_account(request, *args, **kwargs)
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        return redirect_to_login(request.get_full_path())

    return wrapper


def manager_required(view):
    """Only managers of the page's account (and superusers) may write; others get a 403."""

    @wraps(view)
    @account_required
    def wrapper(request, *args, **kwargs):
        if not can_manage(request):
            raise PermissionDenied("You need the manager role for this.")
        return view(request, *args, **kwargs)

    return wrapper


def _live_context() -> dict:
    return {"refresh_ms": max(500, round(settings.PAGE_REFRESH_SECONDS * 1000))}


def _get_image(request, pk: int) -> Image:
    """An image of the page's account; another account's is a 404, like a missing one."""
    try:
        return selectors.image_detail(request.account, pk)
    except Image.DoesNotExist as exc:
        raise Http404("No such image.") from exc


# --- list ---------------------------------------------------------------------------------------

STOP_POLLING = 286  # htmx swaps this answer, then cancels the element's `every` trigger


@require_GET
@account_required
def image_list(request):
    form = ImageFilterForm(request.GET)
    criteria = form.criteria()
    images = selectors.image_queryset(
        request.account,
        q=criteria["q"],
        status=criteria["status"],
        os_type=criteria["os"],
        kind=criteria["kind"],
        sort=criteria["sort"],
    )
    page = selectors.paginate(images, request.GET.get("page"))
    selectors.attach_progress(page.object_list)
    live_ids = [i.pk for i in page.object_list if i.live]
    context = {
        "form": form,
        "criteria": criteria,
        "page": page,
        "filtered": any(criteria[k] for k in ("q", "status", "os", "kind")),
        "live_ids": live_ids,
        "heartbeats": selectors.freshness(request.account),
        "can_manage": can_manage(request),
        "export_query": _without_page(request.GET),
        "nav": "list",
        **_live_context(),
    }
    return render(request, "images/list.html", context)


@require_GET
@login_required_live
def image_list_live(request):
    """ONE request per interval for the whole list: the watched rows, swapped out of band.

    The poller element stays on the page (replacing it would restart its timer, making the
    period interval + request time); it sends the ids from the hidden `#live-ids` input. The
    answer re-renders every row asked for (so a row that just finished shows its final state
    once) and, out of band, that input with only the ids still live; with none left the status
    is 286, htmx's "stop polling" (it still swaps this last answer).
    """
    ids = _parse_ids(request.GET.get("ids", ""))
    images = selectors.live_images(request.account, ids)
    live_ids = [i.pk for i in images if i.live]
    context = {
        "images": images,
        "live_ids": live_ids,
        "can_manage": can_manage(request),
        **_live_context(),
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
@manager_required
def refresh(request):
    request_refresh(user=request.user, account=request.account)
    messages.success(request, "A full sync with Contabo and fresh quota figures were requested.")
    return redirect(_safe_next(request) or "images:list")


def _safe_next(request) -> str:
    """Back to the list with the user's filters, never to another host."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if safe else ""


# --- detail -------------------------------------------------------------------------------------


def _detail_context(request, pk: int) -> dict:
    image = _get_image(request, pk)
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
        **_live_context(),
    }


@require_GET
@account_required
def image_detail(request, pk: int):
    return render(request, "images/detail.html", _detail_context(request, pk))


@require_GET
@login_required_live
def image_detail_live(request, pk: int):
    """The detail page's body, re-rendered in one request per interval while anything is
    pending (download, delete, rename); without a trigger once it settles, so polling stops."""
    return render(request, "images/partials/detail_body.html", _detail_context(request, pk))


# --- writes -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manager_required
def upload(request):
    form = UploadForm(request.POST or None, duplicate_guard=True, account=request.account)
    if request.method == "POST" and form.is_valid():
        image = request_upload(user=request.user, account=request.account, **form.cleaned_data)
        if image.duplicate:
            messages.info(
                request,
                f"“{image.name}” was already queued a moment ago with the same details; "
                "it was not queued twice.",
            )
        else:
            messages.success(
                request,
                f"“{image.name}” is queued for download by Contabo; progress shows below.",
            )
        return redirect("images:detail", pk=image.pk)
    status = 200
    if form.errors:
        # A repeat of an existing image is a conflict to confirm, not invalid input.
        status = 409 if form.needs_confirmation else 400
    context = _upload_context(request, form)
    if request.method == "POST":  # the URL's check, if it is still about the URL typed
        checked = _preflight_context(request, request.POST.get("preflight_token", ""))
        if checked["preflight"].get("url") == form.data.get("url", "").strip():
            context.update(checked)
    return render(request, "images/upload.html", context, status=status)


def _upload_context(request, form, **extra) -> dict:
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
@manager_required
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
        context = _preflight_context(request, token)
    elif request.POST.get("url", "").strip():
        context = {"preflight": {"errors": form.errors["url"]}}
    if request.htmx:
        return render(request, "images/partials/preflight.html", context)
    upload_form = UploadForm(
        initial=request.POST.dict(), duplicate_guard=True, account=request.account
    )
    return render(request, "images/upload.html", _upload_context(request, upload_form, **context))


@require_GET
@login_required_live
def upload_preflight_result(request, token: str):
    """The check stored under `token`: still polling while pending, without a trigger once done."""
    if not can_manage(request):
        raise PermissionDenied("You need the manager role for this.")
    return render(request, "images/partials/preflight.html", _preflight_context(request, token))


def _preflight_context(request, token: str) -> dict:
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
    return {"preflight": checked, **_live_context()}


@require_http_methods(["GET", "POST"])
@manager_required
def rename(request, pk: int):
    image = _get_image(request, pk)
    initial = {
        "name": image.pending_name if image.pending_name is not None else image.name,
        "description": (
            image.pending_description
            if image.pending_description is not None
            else image.description
        ),
    }
    form = RenameForm(request.POST or None, initial=initial)
    refusal = why_unchangeable(image)
    if request.method == "POST":
        if refusal is None and form.is_valid():
            try:
                request_rename(image, user=request.user, **form.cleaned_data)
            except NotAllowed as exc:
                refusal = str(exc)
            else:
                messages.success(
                    request, f"Renaming “{image.name}” to “{form.cleaned_data['name']}”."
                )
                return redirect("images:detail", pk=image.pk)
        if refusal:
            messages.error(request, refusal)
    status = 409 if request.method == "POST" and refusal else 200
    if request.method == "POST" and form.errors:
        status = 400
    context = {"image": image, "form": form, "refusal": refusal}
    return render(request, "images/rename.html", context, status=status)


@require_http_methods(["GET", "POST"])
@manager_required
def delete(request, pk: int):
    image = _get_image(request, pk)
    refusal = why_unchangeable(image)
    if request.method == "POST":
        if refusal is None:
            try:
                request_delete(image, user=request.user)
            except NotAllowed as exc:
                refusal = str(exc)
            else:
                messages.success(request, f"Deleting “{image.name}” at Contabo.")
                return redirect("images:detail", pk=image.pk)
        messages.error(request, refusal)
    status = 409 if request.method == "POST" and refusal else 200
    return render(
        request, "images/delete.html", {"image": image, "refusal": refusal}, status=status
    )


# --- quota --------------------------------------------------------------------------------------


@require_GET
@account_required
def stats(request):
    history = selectors.quota_history(request.account)
    snapshot = history[-1] if history else None
    in_flight = selectors.in_flight_totals(request.account)
    context = {
        "nav": "stats",
        "snapshot": snapshot,
        "history": history,
        "largest": selectors.largest_images(request.account),
        "in_flight": in_flight,
        "quota_left": selectors.quota_left(snapshot, in_flight["remaining_mb"]),
        "heartbeats": selectors.freshness(request.account),
    }
    if snapshot:
        percent = snapshot.used_percent
        context["used_percent"] = percent
        context["full"] = percent >= 100 or snapshot.free_mb <= 0
        context["warning"] = percent >= 80 and not context["full"]
    return render(request, "images/stats.html", context)


# --- versions -----------------------------------------------------------------------------------


@require_POST
@manager_required
def retry(request, pk: int):
    """One click: a new download of a failed image, removing the failed one or keeping it."""
    image = _get_image(request, pk)
    form = RetryForm(request.POST)
    form.is_valid()  # a lone optional checkbox: always valid
    try:
        new = lineage.request_retry(
            image, user=request.user, remove_failed=form.cleaned_data["remove_failed"]
        )
    except NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("images:detail", pk=image.pk)
    removed = " The failed one is being deleted." if form.cleaned_data["remove_failed"] else ""
    messages.success(request, f"Retrying “{new.name}”: queued for download by Contabo.{removed}")
    return redirect("images:detail", pk=new.pk)


@require_http_methods(["GET", "POST"])
@manager_required
def replace(request, pk: int):
    """An upload form prefilled from a downloaded image; the result is its next version."""
    image = _get_image(request, pk)
    initial = {"name": image.name, "os_type": image.os_type, "description": image.description}
    form = ReplaceForm(request.POST or None, initial=initial, current=image)
    refusal = lineage.why_not_replaceable(image)
    if request.method == "POST" and refusal is None and form.is_valid():
        data = dict(form.cleaned_data)
        delete_old = data.pop("delete_old")
        try:
            new = lineage.request_replace(
                image, user=request.user, delete_old_when_done=delete_old, **data
            )
        except NotAllowed as exc:
            refusal = str(exc)
        else:
            messages.success(
                request, f"Version {new.version} of “{new.name}” is queued for download."
            )
            return redirect("images:detail", pk=new.pk)
    if request.method == "POST" and refusal:
        messages.error(request, refusal)
    status = 200
    if request.method == "POST":
        status = 409 if refusal else 400
    context = {"image": image, "form": form, "refusal": refusal}
    return render(request, "images/replace.html", context, status=status)


# --- export -------------------------------------------------------------------------------------


def _without_page(query) -> str:
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


def _export(request, extension: str, content_type: str, chunks):
    criteria = ImageFilterForm(request.GET).criteria()
    rows = selectors.export_rows(request.account, criteria)
    response = StreamingHttpResponse(
        chunks(selectors.EXPORT_FIELDS, rows), content_type=content_type
    )
    account = slugify(request.account.name) or f"account-{request.account.pk}"
    filename = f"contabo-images-{account}-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@account_required
def export_csv(request):
    """Every image the list's filters select, in its sort order (viewers may export too)."""
    return _export(request, "csv", "text/csv; charset=utf-8", exports.csv_lines)


@require_GET
@account_required
def export_json(request):
    return _export(request, "json", "application/json", exports.json_chunks)


# --- notifications ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request):
    """Each user opts in to e-mails for the outcomes they care about."""
    preference, _ = NotificationPreference.objects.get_or_create(user=request.user)
    form = NotificationPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your notification settings are saved.")
        return redirect("images:notifications")
    context = {
        "nav": "notifications",
        "form": form,
        "has_email": bool(request.user.email),
        "webhook_on": bool(settings.NOTIFY_WEBHOOK_URL),
        "stall_minutes": settings.STALL_AFTER_SECONDS / 60,
    }
    return render(request, "images/notifications.html", context, status=400 if form.errors else 200)


# --- accounts -----------------------------------------------------------------------------------


@require_POST
@login_required
def switch_account(request):
    """The header's account switcher: a plain form, so it works without JavaScript."""
    try:
        account = access.choose(request, int(request.POST.get("account", "")))
    except ValueError:
        account = None
    if account is None:
        raise Http404("No such account.")
    messages.success(request, f"Now showing the account “{account.name}”.")
    return redirect(_safe_next(request) or "images:list")
