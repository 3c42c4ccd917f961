"""Reading a large queryset in batches by primary key (the worker's jobs over a 10,000-pair
program); the web's pages of a list are lib/paging.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

BATCH = 1000


def by_pk(qs: QuerySet[M, Any], size: int = BATCH) -> Iterator[list[M]]:
    """The rows of `qs` in batches of `size`, by primary key. Each batch starts after the last
    key of the one before (keyset, not OFFSET), so every batch costs the same, and the
    queryset's prefetches run once per batch: memory stays one batch's worth."""
    last: Any = None
    while True:
        rest = qs if last is None else qs.filter(pk__gt=last)
        rows = list(rest.order_by("pk")[:size])
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1].pk
