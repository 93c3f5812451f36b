"""View decorators: who may open a page, and which account it is about (images.access)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from images import access


def account_member_required(view):
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


def account_member_required_live(view):
    """account_member_required for htmx fragments: an expired session reloads the whole page
    to login."""
    with_account = account_member_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return with_account(request, *args, **kwargs)
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        return redirect_to_login(request.get_full_path())

    return wrapper


def require_manager(request) -> None:
    """Only managers of the page's account (and superusers) may write; others get a 403."""
    if not access.can_manage(request):
        raise PermissionDenied("You need the manager role for this.")


def account_manager_required(view):
    """account_member_required, and the user manages the account (require_manager)."""

    @wraps(view)
    @account_member_required
    def wrapper(request, *args, **kwargs):
        require_manager(request)
        return view(request, *args, **kwargs)

    return wrapper
