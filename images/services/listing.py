"""List pages the way this account's API accepts them: the order and page size it taught us.

Polling lists custom images newest first (`creationDate:desc`) so the downloads in flight are on
the first pages. An API that refuses that order (400) is asked with the next one in
NEWEST_FIRST, down to no `orderBy` at all; an API that caps the page size (its
`_pagination.size` is smaller than asked) is asked for the effective size. Both are remembered
on the Account (`list_order`, `page_size_cap`), so the next cycle does not pay for the
discovery again.
"""

import itertools
import logging

from images.contabo import ClientError, ContaboClient, ImagePage
from images.models import Account

log = logging.getLogger("images.contabo")

NO_ORDER = "none"
NEWEST_FIRST = ("creationDate:desc", "lastModifiedDate:desc", NO_ORDER)


def page_size(account: Account, wanted: int) -> int:
    """`wanted`, or the account's cap when its API has shown one."""
    return min(wanted, account.page_size_cap) if account.page_size_cap else wanted


def list_page(
    client: ContaboClient,
    account: Account,
    *,
    page: int,
    size: int,
    orders: tuple[str, ...] = NEWEST_FIRST,
    **filters,
) -> ImagePage:
    """One page in the first of `orders` the API accepts, starting at the one it last did."""
    start = orders.index(account.list_order) if account.list_order in orders else 0
    candidates = orders[start:]
    for order, fallback in itertools.pairwise(candidates):
        try:
            return _listed(client, account, order, page, size, filters)
        except ClientError as exc:
            if exc.status != 400:
                raise
            log.warning(
                "account %s: Contabo refused orderBy=%s (%s); trying %s",
                account.pk,
                order,
                exc.message,
                fallback,
            )
    return _listed(client, account, candidates[-1], page, size, filters)


def _listed(client, account, order: str, page: int, size: int, filters: dict) -> ImagePage:
    result = client.list_images(
        page=page, size=size, order_by=None if order == NO_ORDER else [order], **filters
    )
    _remember(account, order=order)
    learn(account, result, size)
    return result


def learn(account: Account, page: ImagePage, asked: int) -> None:
    """Remember a page size the API capped (it answered `size` smaller than asked)."""
    if page.size and page.size < asked and page.size != account.page_size_cap:
        log.warning("account %s: Contabo caps list pages at %d images", account.pk, page.size)
        _remember(account, cap=page.size)


def _remember(account: Account, *, order: str | None = None, cap: int | None = None) -> None:
    changes = {}
    if order is not None and order != account.list_order:
        changes["list_order"] = order
    if cap is not None:
        changes["page_size_cap"] = cap
    if changes:
        Account.objects.filter(pk=account.pk).update(**changes)
        for field, value in changes.items():
            setattr(account, field, value)
