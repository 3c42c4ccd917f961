"""What meetings adds to a program's page (twoway/programs/sections.py)."""

from __future__ import annotations

from typing import Any

from twoway.meetings.cadence import stalled_partnerships
from twoway.people.models import Person
from twoway.programs.models import Program
from twoway.programs.sections import program_section


@program_section
def stalled_pairs(*, program: Program, viewer: Person, role: str) -> dict[str, Any]:
    """Pairs that held no check-in within 3x the cadence: names only, never notes or pulse."""
    return {"stalled": stalled_partnerships(program)[:50]}
