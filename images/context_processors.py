"""The account switcher in every page's header."""

from django.urls import reverse

from images import access

# Pages about the whole account: switching keeps the user there. Other pages (one image) are of
# the old account, so switching from them lands on the list.
ACCOUNT_PAGES = {"list", "upload", "stats", "notifications"}


def accounts(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = access.current_account(request)
    match = request.resolver_match
    here = match and match.namespace == "images" and match.url_name in ACCOUNT_PAGES
    return {
        "current_account": current,
        "visible_accounts": request._accounts,
        "account_manager": current is not None and current.role == access.MANAGER,
        "switch_next": request.path if here else reverse("images:list"),
    }
