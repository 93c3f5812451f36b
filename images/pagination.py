"""The list's count: exact up to a cap, PostgreSQL's planner estimate beyond it."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class ListPaginator(Paginator):
    """The list's count ("N images, page X of Y"; the pages themselves are keyset pages): exact
    up to `exact_count_up_to` rows; on PostgreSQL, bigger results show the planner's estimate.

    An exact COUNT reads every matching row (or index entry) on every request: 20-90 ms at 100k
    images, more than the rest of the page. On PostgreSQL the count stops at the cap (a COUNT
    over a LIMIT); only a result that reaches it costs one EXPLAIN more, so small lists keep their
    query count. With an estimate (`estimated` is True, for the template to say "about"), no row
    becomes unreachable: Next follows the rows, not the count. SQLite keeps exact counts.
    """

    estimated = False

    def __init__(self, object_list, per_page, *, exact_count_up_to: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.exact_count_up_to = exact_count_up_to

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connections[queryset.db].vendor != "postgresql":
            return super().count
        cap = self.exact_count_up_to
        capped = queryset.order_by()[: cap + 1].count()
        if capped <= cap:
            return capped
        self.estimated = True
        return max(capped, _planner_rows(queryset))


def _planner_rows(queryset) -> int:
    """The rows PostgreSQL's planner expects `queryset` to return (one EXPLAIN, nothing read)."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
