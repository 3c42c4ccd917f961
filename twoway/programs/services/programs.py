"""Opening, closing and archiving programs."""

from __future__ import annotations

from django.db import transaction

from twoway.accounts.models import User
from twoway.accounts.services import audit
from twoway.programs.models import (
    Program,
    ProgramStatus,
)
from twoway.programs.services.errors import ProgramError


@transaction.atomic
def program_set_status(*, program: Program, status: str, actor: User) -> Program:
    allowed = {
        ProgramStatus.DRAFT: {ProgramStatus.OPEN, ProgramStatus.CLOSED},
        ProgramStatus.OPEN: {ProgramStatus.PAUSED, ProgramStatus.CLOSED},
        ProgramStatus.PAUSED: {ProgramStatus.OPEN, ProgramStatus.CLOSED},
        ProgramStatus.CLOSED: {ProgramStatus.OPEN},
    }
    if status not in allowed[ProgramStatus(program.status)]:
        raise ProgramError(
            f"A {program.get_status_display().lower()} program cannot become "
            f"{ProgramStatus(status).label.lower()}."
        )
    old = program.status
    program.status = status
    program.save(update_fields=["status", "updated"])
    audit(
        org=program.organization,
        actor=actor,
        action="program.status_changed",
        target=program.name,
        old=old,
        new=status,
    )
    return program
