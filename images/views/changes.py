"""Writes to images: upload, rename, delete, protect against deletion, retry a failed download,
replace by a new version.

Each stores the user's intent through images.services; a task carries it out."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from images.decorators import account_manager_required
from images.forms import ProtectForm, RenameForm, ReplaceForm, RetryForm, UploadForm
from images.services import lineage, preflight, protection
from images.services.intents import (
    NotAllowed,
    request_delete,
    request_rename,
    request_upload,
    why_unchangeable,
)
from images.views.preflight import preflight_context, upload_context
from images.views.shared import get_image


@require_http_methods(["GET", "POST"])
@account_manager_required
def upload(request):
    # The URL's preflight entry, if any: a file its content check blocked is refused.
    checked = preflight.read(request.POST.get("preflight_token", ""), user=request.user)
    form = UploadForm(
        request.POST or None, duplicate_guard=True, account=request.account, checked=checked
    )
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
    context = upload_context(request, form)
    if request.method == "POST":  # the URL's check, if it is still about the URL typed
        checked = preflight_context(request, request.POST.get("preflight_token", ""))
        if checked["preflight"].get("url") == form.data.get("url", "").strip():
            context.update(checked)
    return render(request, "images/upload.html", context, status=status)


@require_http_methods(["GET", "POST"])
@account_manager_required
def rename(request, pk: int):
    image = get_image(request, pk)
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
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            request_rename(image, user=request.user, **form.cleaned_data)
        except NotAllowed as exc:
            refusal = str(exc)
        else:
            messages.success(request, f"Renaming “{image.name}” to “{form.cleaned_data['name']}”.")
            return redirect("images:detail", pk=image.pk)
    return _form_again(request, "images/rename.html", image, form, refusal)


def _form_again(request, template: str, image, form, refusal: str | None):
    """The change's form page: 200 on GET; after a POST, 409 with the reason the image refuses
    the change, else 400 with the form's errors."""
    status = 200
    if request.method == "POST":
        if refusal:
            messages.error(request, refusal)
        status = 409 if refusal else 400
    context = {"image": image, "form": form, "refusal": refusal}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@account_manager_required
def delete(request, pk: int):
    image = get_image(request, pk)
    refusal = why_unchangeable(image) or protection.why_protected(image)
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


@require_POST
@account_manager_required
def protect(request, pk: int):
    """Protect an image against deletion ("protected" ticked), or lift the protection."""
    image = get_image(request, pk)
    form = ProtectForm(request.POST)
    form.is_valid()  # a lone optional checkbox: always valid
    wanted = form.cleaned_data["protected"]
    try:
        protection.set_protected(image, user=request.user, protected=wanted)
    except NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"“{image.name}” is protected: it cannot be deleted until it is unprotected."
            if wanted
            else f"“{image.name}” is no longer protected against deletion.",
        )
    return redirect("images:detail", pk=image.pk)


@require_POST
@account_manager_required
def retry(request, pk: int):
    """One click: a new download of a failed image, removing the failed one or keeping it."""
    image = get_image(request, pk)
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
@account_manager_required
def replace(request, pk: int):
    """An upload form prefilled from a downloaded image; the result is its next version."""
    image = get_image(request, pk)
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
    return _form_again(request, "images/replace.html", image, form, refusal)
