"""What meetings adds to a program's page (twoway/programs/sections.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.paginator import Paginator

from twoway.meetings.cadence import stalled_in_program
from twoway.people.models import Person
from twoway.programs.models import Program
from twoway.programs.sections import program_section
from twoway.programs.selectors import pairs_for_listing

STALLED_PER_PAGE = 25


@program_section
def stalled_pairs(
    *, program: Program, viewer: Person, role: str, query: Mapping[str, str]
) -> dict[str, Any]:
    """Pairs that held no check-in within 3x the cadence, longest first, a page at a time:
    names and the date of their last check-in only, never notes or pulse."""
    pairs = pairs_for_listing(stalled_in_program(program))
    return {
        "stalled": Paginator(pairs, STALLED_PER_PAGE).get_page(query.get("stalled_page")),
    }
