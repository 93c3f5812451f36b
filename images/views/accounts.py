"""The header's account switcher."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from images import access
from images.views.shared import safe_next


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
    return redirect(safe_next(request) or "images:list")
