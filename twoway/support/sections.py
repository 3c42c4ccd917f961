"""What support adds to a program's page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.paginator import Paginator

from twoway.accounts.models import Role
from twoway.people.models import Person
from twoway.programs.models import Program
from twoway.programs.sections import program_section
from twoway.programs.selectors import pairs_for_listing
from twoway.support.selectors import uncertain_partnerships

UNCERTAIN_PER_PAGE = 25


@program_section
def uncertain_pairs(
    *, program: Program, viewer: Person, role: str, query: Mapping[str, str]
) -> dict[str, Any]:
    """Pairs where someone feels uncertain, for the program managers to check in kindly.

    The support page promises "only your program manager sees it — your partner does not". So:
    program managers only (org admins see the program's aggregates, not this list), and never a
    pair the manager is in themselves, where the list would tell them what their own partner
    said."""
    if role != Role.PROGRAM_MANAGER:
        return {}
    pairs = uncertain_partnerships(program).exclude(members__person=viewer)
    page = Paginator(pairs_for_listing(pairs), UNCERTAIN_PER_PAGE)
    return {"uncertain": page.get_page(query.get("uncertain_page"))}
