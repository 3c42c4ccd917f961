"""A paginator told how many rows there are, for lists whose count is known already."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class CountedPaginator(Paginator):
    """Counting twenty thousand rows again for the page links costs more than the page itself
    when the caller knows the number (kept counts, features built for the program)."""

    def __init__(self, object_list: QuerySet[Any, Any], per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known = count

    @cached_property
    def count(self) -> int:
        return self._known
