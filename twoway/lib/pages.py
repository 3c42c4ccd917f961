"""Reading a large queryset a page at a time (the worker's jobs over a 10,000-pair program)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

PAGE = 1000


def by_pk(qs: QuerySet[M, Any], size: int = PAGE) -> Iterator[list[M]]:
    """The rows of `qs` in pages of `size`, by primary key. Each page starts after the last
    key of the one before (keyset, not OFFSET), so every page costs the same, and the
    queryset's prefetches run once per page: memory stays one page's worth."""
    last: Any = None
    while True:
        page = qs if last is None else qs.filter(pk__gt=last)
        rows = list(page.order_by("pk")[:size])
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1].pk
