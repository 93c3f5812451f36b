"""Who sees which Contabo account, with which role, and which account a page is about.

The rule:
- a superuser sees every account, as a manager;
- a user with a membership in an account sees it, with the membership's role;
- an account marked `open_to_all` (the settings account, as created) is also seen by every other
  user, with their global role: manager with the `manage_images` permission (managers group),
  viewer otherwise;
- any other account is invisible to them (its pages and objects answer 404).

The account a page shows is kept in the session; it falls back to the first visible account.
"""

from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, Subquery

from images.models import Account, AccountMembership
from images.roles import MANAGE_PERMISSION

VIEWER = AccountMembership.Role.VIEWER
MANAGER = AccountMembership.Role.MANAGER
SESSION_KEY = "account_id"


def visible_accounts(user) -> list[Account]:
    """The accounts `user` may see, each with `.role` set; one query, the global role included
    (instead of has_perm's two queries)."""
    if not (user.is_authenticated and user.is_active):
        return []
    role_here = AccountMembership.objects.filter(account=OuterRef("pk"), user=user).values("role")
    app_label, codename = MANAGE_PERMISSION.split(".")
    manage = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    accounts = Account.objects.annotate(
        member_role=Subquery(role_here[:1]),
        global_manager=Exists(manage.filter(Q(user=user) | Q(group__user=user))),
    )
    visible = []
    for account in accounts:
        account.role = role_of(user, account)
        if account.role:
            visible.append(account)
    return visible


def role_of(user, account: Account) -> str | None:
    """`user`'s role in `account` (needs `member_role` and `global_manager` annotated), None
    when not visible."""
    if user.is_superuser:
        return MANAGER
    if account.member_role:
        return account.member_role
    if account.open_to_all:
        return MANAGER if account.global_manager else VIEWER
    return None


def current_account(request) -> Account | None:
    """The account the session chose if still visible, else the first visible one (cached on
    the request); None when the user sees no account."""
    if not hasattr(request, "_accounts"):
        request._accounts = visible_accounts(request.user)
        chosen = request.session.get(SESSION_KEY)
        request._account = next(
            (a for a in request._accounts if a.pk == chosen),
            request._accounts[0] if request._accounts else None,
        )
    return request._account


def choose(request, account_id: int) -> Account | None:
    """Make `account_id` the session's account, if the user may see it."""
    account = next((a for a in visible_accounts(request.user) if a.pk == account_id), None)
    if account is not None:
        request.session[SESSION_KEY] = account.pk
        for cached in ("_accounts", "_account"):
            request.__dict__.pop(cached, None)
    return account


def can_manage(request) -> bool:
    account = current_account(request)
    return account is not None and account.role == MANAGER
