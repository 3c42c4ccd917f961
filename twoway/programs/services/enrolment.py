"""Joining a program, changing one's intake, withdrawing, asking for a rematch."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.models import Organization, User
from twoway.accounts.services import audit
from twoway.people.models import Person
from twoway.programs.eligibility import is_eligible
from twoway.programs.models import (
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    Program,
)
from twoway.programs.services.errors import ProgramError
from twoway.programs.services.requests import _withdraw_open_requests_of


def enrolments_merge_skill(*, organization: Organization, source_id: int, target_id: int) -> None:
    """Point every intake that names skill `source_id` at `target_id` (the stronger strength
    stays where an intake names both). Runs inside the merge's transaction."""
    old, new = str(source_id), str(target_id)
    enrolments = Enrolment.objects.select_for_update().filter(program__organization=organization)
    for enrolment in enrolments.filter(Q(offers__has_key=old) | Q(seeks__has_key=old)):
        for field in ("offers", "seeks"):
            chosen = dict(getattr(enrolment, field) or {})
            if old in chosen:
                strength = int(chosen.pop(old))
                chosen[new] = max(strength, int(chosen.get(new, 0)))
                setattr(enrolment, field, dict(sorted(chosen.items(), key=lambda kv: int(kv[0]))))
        enrolment.save(update_fields=["offers", "seeks"])


@transaction.atomic
def enrolment_save(
    *,
    program: Program,
    person: Person,
    offers: dict[int, int],
    seeks: dict[int, int],
    goals: str,
    meeting_preference: str,
    capacity: int,
    role: str = EnrolmentRole.PEER,
    snoozed_until: dt.date | None = None,
    actor: User | None = None,
    source: str = "",
) -> Enrolment:
    """Join a program or update one's intake (open until one is matched).

    A person enrolling themselves leaves no audit row; someone acting for them (an API key:
    `source="api:<prefix>"`, or a program manager as `actor`) is audited as a manager is."""
    existing = Enrolment.objects.select_for_update().filter(program=program, person=person).first()
    if existing is None or existing.status == EnrolmentStatus.WITHDRAWN:
        if not program.enrolment_is_open():
            raise ProgramError("Enrolment in this program is not open.")
        if not is_eligible(program, person):
            raise ProgramError("This program is not open to you.")
    if snoozed_until is not None and snoozed_until <= timezone.localdate():
        raise ProgramError("Choose a date in the future to pause until.")
    if not offers and not seeks:
        raise ProgramError("Say at least one thing you can share or want to grow.")
    enrolment = existing or Enrolment(program=program, person=person)
    enrolment.status = EnrolmentStatus.ACTIVE
    enrolment.withdrawn_at = None
    enrolment.offers = {str(k): int(v) for k, v in sorted(offers.items())}
    enrolment.seeks = {str(k): int(v) for k, v in sorted(seeks.items())}
    enrolment.goals = goals.strip()
    enrolment.meeting_preference = meeting_preference
    enrolment.capacity = capacity
    enrolment.role = role
    enrolment.snoozed_until = snoozed_until
    enrolment.full_clean()
    enrolment.save()
    if actor is not None or source:
        joined = existing is None or existing.status == EnrolmentStatus.WITHDRAWN
        _audit(
            enrolment,
            "enrolment.created" if joined else "enrolment.updated",
            actor,
            source,
            role=enrolment.role,
            capacity=enrolment.capacity,
        )
    return enrolment


def _audit(
    enrolment: Enrolment, action: str, actor: User | None, source: str, **details: object
) -> None:
    # Who, where and how; never the intake's goals (the person's own words).
    audit(
        org=enrolment.program.organization,
        actor=actor,
        action=action,
        target=enrolment.program.name,
        id=enrolment.program_id,
        person_id=enrolment.person_id,
        **details,
        **({"source": source} if source else {}),
    )


@transaction.atomic
def enrolment_withdraw(
    *, enrolment: Enrolment, actor: User | None = None, source: str = ""
) -> Enrolment:
    """Leave a program. Open requests are withdrawn; partnerships already running go on.
    Audited when someone else withdraws the person (`actor` or `source`, as enrolment_save)."""
    # The enrolment first, then its requests: the order every answer to a request locks in.
    enrolment = Enrolment.objects.select_for_update(of=("self",), no_key=True).get(pk=enrolment.pk)
    was = enrolment.status
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_at = timezone.now()
    enrolment.save(update_fields=["status", "withdrawn_at", "updated"])
    _withdraw_open_requests_of(enrolment.program, [enrolment.person_id])
    if (actor is not None or source) and was != EnrolmentStatus.WITHDRAWN:
        _audit(enrolment, "enrolment.withdrawn", actor, source)
    return enrolment


@transaction.atomic
def enrolment_set_rematch(*, enrolment: Enrolment, wants_rematch: bool) -> Enrolment:
    enrolment.wants_rematch = wants_rematch
    enrolment.save(update_fields=["wants_rematch", "updated"])
    return enrolment
