"""Which account a request is about, and the caller's role in it.

The `account` query parameter or the `X-Account` header (an account id; the parameter first)
picks one of the accounts the caller may see (images.access); without either, the browser
session's account or else the first visible one. An account the caller cannot see is a 404,
like another account's image.
"""

from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from images import access

PARAMETER = "account"
HEADER = "X-Account"
MAX_ID = 2**63 - 1


def account_of(request):
    """The account the request is about, with `.role` set (one query)."""
    chosen_id = _chosen_id(request)
    accounts = access.visible_accounts(request.user)
    if chosen_id is not None:
        chosen = next((a for a in accounts if a.pk == chosen_id), None)
        if chosen is None:
            raise NotFound("No such account.")
        return chosen
    if not accounts:
        raise PermissionDenied("Your user sees no Contabo account; ask an administrator.")
    session = getattr(request, "session", None)
    remembered = session.get(access.SESSION_KEY) if session is not None else None
    return next((a for a in accounts if a.pk == remembered), accounts[0])


def _chosen_id(request) -> int | None:
    """The account id the parameter (else the header) names, or None; both are checked."""
    given = {
        PARAMETER: request.query_params.get(PARAMETER),
        HEADER: request.headers.get(HEADER),
    }
    ids = []
    for name, raw in given.items():
        if raw is None:
            continue
        raw = raw.strip()
        if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            raise ValidationError({name: ["An account id (see GET /api/v1/accounts/)."]})
        ids.append(int(raw))
    return ids[0] if ids else None


def require_manager(request) -> None:
    if request.account.role != access.MANAGER:
        raise PermissionDenied("You need the manager role in this account for this.")
