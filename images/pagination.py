"""The list's count: exact up to a cap; beyond it an estimate kept for a minute."""

import hashlib
import json
from urllib.parse import urlencode

from django.core.cache import caches
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

ESTIMATES_CACHE = "counts"  # per process, a minute per entry (settings.CACHES)
# The query parameters that name a page of the list (number or cursor): a link to other rows,
# another sort or an export drops them.
PAGE_PARAMS = ("page", "after", "before")


def link_query(query, **values) -> str:
    """The query string of a link to other rows of the list (another sort, an export): `query`
    (a QueryDict) without its page, `values` set in place of its own (or after them)."""
    pairs = []
    for key, items in query.lists():
        if key in values:
            pairs.append((key, values[key]))
        elif key not in PAGE_PARAMS:
            pairs += [(key, item) for item in items]
    pairs += [(key, value) for key, value in values.items() if key not in query]
    return urlencode(pairs)


class ListPaginator(Paginator):
    """The list's count ("N images, page X of Y"; the pages themselves are keyset pages): exact
    up to `exact_count_up_to` rows, "about" beyond.

    An exact COUNT reads every matching row (or index entry): 5-15 ms at 100k images, more than
    the rest of the page. So the count stops at the cap (a COUNT over a LIMIT: at most cap + 1
    index entries), and a result past it is estimated: PostgreSQL's planner (one EXPLAIN,
    nothing read), SQLite (which has no estimate) an exact count. The estimate is kept a minute
    per process and query (`key`, when the caller names the query; else its SQL, which costs a
    compilation), and while it is, the list reads no count at all: a big list that shrank below
    the cap says "about" its old size for at most that minute. With an estimate
    (`estimated`, for the template to say "about"), no row becomes unreachable: Next follows
    the rows, not the count.
    """

    estimated = False

    def __init__(self, object_list, per_page, *, exact_count_up_to: int, key=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.exact_count_up_to = exact_count_up_to
        self.key = key

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        what = self.key if self.key is not None else queryset.query.sql_with_params()
        key = cache_key("estimate", queryset.db, what, self.exact_count_up_to)
        estimates = caches[ESTIMATES_CACHE]
        estimate = estimates.get(key)
        if estimate is None:
            cap = self.exact_count_up_to
            capped = queryset[: cap + 1].count()
            if capped <= cap:
                return capped
            estimate = max(capped, _estimate(queryset))
            estimates.set(key, estimate)
        self.estimated = True
        return estimate


def cache_key(kind: str, *what) -> str:
    """A short key for CACHES["counts"] from any repr-able values."""
    return f"{kind}:" + hashlib.blake2b(repr(what).encode(), digest_size=16).hexdigest()


def _estimate(queryset) -> int:
    """PostgreSQL: the rows its planner expects (one EXPLAIN, nothing read); SQLite: an exact
    count."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count()
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
