"""Creating, editing, opening, closing and archiving programs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from twoway.accounts.models import Membership, Organization, Role, User
from twoway.accounts.services import audit
from twoway.notifications.services import notify
from twoway.people.models import Department, Person
from twoway.programs.models import (
    Program,
    ProgramStatus,
)
from twoway.programs.services.errors import ProgramError

HR_FIELDS = ("hr_contact_name", "hr_contact_email")


def _jsonable(value: Any) -> Any:
    """A field value as the audit row's JSON can hold it."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _apply(
    program: Program,
    fields: dict[str, Any],
    departments: Iterable[Department],
    invitees: Iterable[Person],
) -> None:
    for name, value in fields.items():
        setattr(program, name, value)
    # Validators included: a name with a line break is refused here, whoever calls.
    program.full_clean()
    program.save()
    program.eligible_departments.set(
        [d for d in departments if d.organization_id == program.organization_id]
    )
    program.invitees.set([p for p in invitees if p.organization_id == program.organization_id])


@transaction.atomic
def program_create(
    *,
    organization: Organization,
    actor: User | None,
    fields: dict[str, Any],
    departments: Iterable[Department] = (),
    invitees: Iterable[Person] = (),
    source: str = "",
) -> Program:
    """A new program, as a draft: nobody sees it until a program manager opens it.

    `actor` is None when a machine acts (an API key): `source` then names it in the audit."""
    program = Program(organization=organization, created_by=actor, status=ProgramStatus.DRAFT)
    _apply(program, fields, departments, invitees)
    audit(
        org=organization,
        actor=actor,
        action="program.created",
        target=program.name,
        id=program.pk,
        **_source(source),
    )
    if program.hr_contact_email:
        _hr_contact_changed(program=program, actor=actor, old=("", ""), source=source)
    return program


@transaction.atomic
def program_update(
    *,
    program: Program,
    actor: User | None,
    fields: dict[str, Any],
    departments: Iterable[Department] = (),
    invitees: Iterable[Person] = (),
    source: str = "",
) -> Program:
    """Save a program's settings, with an audit row listing each changed field, old and new."""
    before = Program.objects.select_for_update(of=("self",)).get(pk=program.pk)
    old = {name: getattr(before, name) for name in fields}
    _apply(program, fields, departments, invitees)
    changes = {
        name: [_jsonable(old[name]), _jsonable(value)]
        for name, value in fields.items()
        if old[name] != value
    }
    audit(
        org=program.organization,
        actor=actor,
        action="program.edited",
        target=program.name,
        id=program.pk,
        changes=changes,
        **_source(source),
    )
    if any(name in changes for name in HR_FIELDS):
        _hr_contact_changed(
            program=program,
            actor=actor,
            old=(before.hr_contact_name, before.hr_contact_email),
            source=source,
        )
    return program


def _source(source: str) -> dict[str, str]:
    """The audit detail naming a machine actor (`api:<key prefix>`); pages leave it out."""
    return {"source": source} if source else {}


def _hr_contact_changed(
    *, program: Program, actor: User | None, old: tuple[str, str], source: str = ""
) -> None:
    """Where a program's HR escalations go is a matter of trust: who changed it, from what to
    what, is on record, and the org admins hear of it at once."""
    new = (program.hr_contact_name, program.hr_contact_email)
    event = audit(
        org=program.organization,
        actor=actor,
        action="program.hr_contact_changed",
        target=program.name,
        id=program.pk,
        old={"name": old[0], "email": old[1]},
        new={"name": new[0], "email": new[1]},
        **_source(source),
    )
    admin_users = Membership.objects.filter(
        organization=program.organization, role=Role.ORG_ADMIN
    ).values_list("user_id", flat=True)
    for admin in Person.objects.filter(
        organization=program.organization, user_id__in=admin_users, is_active=True
    ):
        notify(
            person=admin,
            kind="admin_notice",
            template="hr_contact_changed",
            context={
                "program": program.name,
                "program_id": program.pk,
                "org_slug": program.organization.slug,
                "actor": (actor.name or actor.email) if actor else source,
                "old_name": old[0],
                "old_email": old[1],
                "new_name": new[0],
                "new_email": new[1],
            },
            dedupe_key=f"hr_contact:{event.pk}:{admin.pk}",
        )


@transaction.atomic
def program_set_status(
    *, program: Program, status: str, actor: User | None, source: str = ""
) -> Program:
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
        **_source(source),
    )
    return program
