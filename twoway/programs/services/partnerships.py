"""Starting, introducing and ending partnerships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from twoway.accounts.models import User
from twoway.accounts.services import audit
from twoway.lib.errors import InvalidInput
from twoway.lib.events import event_publish, event_publish_many
from twoway.notifications.services import Message, notify, notify_many
from twoway.people.models import Person
from twoway.programs.kinds import INTRODUCTION
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Enrolment,
    EnrolmentRole,
    MatchRound,
    Partnership,
    PartnershipMember,
    PartnershipSource,
    PartnershipStatus,
    Program,
)
from twoway.programs.services.errors import PartnershipClosed
from twoway.programs.tally import program_changed
from twoway.programs.wording import reasons_for


def partners_in_program(program: Program, person: Person) -> int:
    return PartnershipMember.objects.filter(
        partnership__program=program,
        partnership__status__in=OPEN_PARTNERSHIP_STATUSES,
        person=person,
    ).count()


@transaction.atomic
def partnership_create(
    *,
    program: Program,
    people: Sequence[Person],
    source: str,
    roles: dict[int, str] | None = None,
    score: float | None = None,
    reasons: Sequence[str] = (),
    match_round: MatchRound | None = None,
    start: dt.date | None = None,
) -> Partnership:
    """Start an active partnership between two or more people of the program's organization."""
    if len(people) < 2:
        raise InvalidInput("A partnership needs at least two people.")
    if len({p.pk for p in people}) != len(people):
        raise InvalidInput("A person cannot partner with themselves.")
    if any(p.organization_id != program.organization_id for p in people):
        raise InvalidInput("Everyone in a partnership belongs to the program's organization.")
    start = start or timezone.localdate()
    partnership = Partnership.objects.create(
        organization_id=program.organization_id,
        program=program,
        status=PartnershipStatus.ACTIVE,
        source=source,
        round=match_round,
        score=score,
        reasons=list(reasons),
        started_on=start,
        ends_on=start + dt.timedelta(weeks=program.term_weeks),
    )
    PartnershipMember.objects.bulk_create(
        PartnershipMember(
            partnership=partnership, person=p, role=(roles or {}).get(p.pk, EnrolmentRole.PEER)
        )
        for p in people
    )
    _announce(partnership, "partnership.created", members=sorted(p.pk for p in people))
    return partnership


def _announce(partnership: Partnership, name: str, **extra: object) -> None:
    """The event other systems hear (webhooks): ids, statuses and dates, never a reason."""
    event_publish(
        organization_id=partnership.organization_id,
        name=name,
        payload=_event_payload(partnership, **extra),
    )


def _event_payload(partnership: Partnership, **extra: object) -> dict[str, object]:
    return {
        "id": partnership.pk,
        "program_id": partnership.program_id,
        "status": partnership.status,
        "source": partnership.source,
        "started_on": partnership.started_on.isoformat() if partnership.started_on else None,
        "ends_on": partnership.ends_on.isoformat() if partnership.ends_on else None,
        "ended_at": partnership.ended_at.isoformat() if partnership.ended_at else None,
        **extra,
    }


def partnership_introduce(
    partnership: Partnership, people: Sequence[Person], reasons: Sequence[str]
) -> None:
    """Tell each member who they were matched with, why, and what each can bring the other.

    `group` names all the members: on Slack the pair is introduced once, in their group DM,
    with `group_reasons` (the reasons in the third person, read by everyone there)."""
    for person in people:
        message = _introduction(partnership.program, partnership.pk, person, people, reasons)
        notify(
            person=person,
            kind=INTRODUCTION,
            template="program_intro",
            context=message.context,
            dedupe_key=message.dedupe_key,
        )


def _introduction(
    program: Program,
    partnership_id: int,
    person: Person,
    people: Sequence[Person],
    reasons: Sequence[str],
) -> Message:
    """One member's introduction; the same row whether one pair or a whole round is started."""
    others = [p for p in people if p.pk != person.pk]
    return Message(
        person=person,
        context={
            "program": program.name,
            "partnership_id": partnership_id,
            "org_slug": program.organization.slug,
            "partners": [{"name": p.name, "title": p.title, "email": p.email} for p in others],
            "reasons": reasons_for(reasons, person.name),
            "cadence_weeks": program.checkin_every_weeks,
            "cadence_minutes": program.checkin_minutes,
            "group": sorted(p.pk for p in people),
            "group_reasons": list(reasons),
        },
        dedupe_key=f"intro:{partnership_id}:{person.pk}",
    )


@dataclass(frozen=True)
class RoundGroup:
    """A group of a round's draft, ready to start: `index` is its place in the draft."""

    index: int
    people: Sequence[Person]
    roles: dict[int, str]
    score: float | None
    reasons: Sequence[str]


def partnerships_start_for_round(
    *,
    program: Program,
    match_round: MatchRound,
    groups: Sequence[RoundGroup],
    start: dt.date | None = None,
) -> list[Partnership]:
    """What `partnership_create` and `partnership_introduce` do for each group, for a batch of a
    round's groups at once: one INSERT of partnerships, one of members, one of introductions
    (same dedupe keys and contexts), and the `partnership.created` event of each.

    The caller holds the transaction and the members' enrolment locks, and has checked that
    everyone is still in the pool. (round, index) is unique: a group started once by an earlier
    attempt makes this batch fail whole instead of starting it twice."""
    for group in groups:
        ids = {p.pk for p in group.people}
        if len(group.people) < 2 or len(ids) != len(group.people):
            raise InvalidInput("A partnership needs at least two different people.")
        if any(p.organization_id != program.organization_id for p in group.people):
            raise InvalidInput("Everyone in a partnership belongs to the program's organization.")
    start = start or timezone.localdate()
    program_changed(program.pk)  # bulk inserts send no signals
    made = Partnership.objects.bulk_create(
        Partnership(
            organization_id=program.organization_id,
            program=program,
            status=PartnershipStatus.ACTIVE,
            source=PartnershipSource.ROUND,
            round=match_round,
            round_group=group.index,
            score=group.score,
            reasons=list(group.reasons),
            started_on=start,
            ends_on=start + dt.timedelta(weeks=program.term_weeks),
        )
        for group in groups
    )
    PartnershipMember.objects.bulk_create(
        PartnershipMember(
            partnership=partnership,
            person=person,
            role=group.roles.get(person.pk, EnrolmentRole.PEER),
        )
        for partnership, group in zip(made, groups, strict=True)
        for person in group.people
    )
    event_publish_many(
        organization_id=program.organization_id,
        name="partnership.created",
        payloads=[
            _event_payload(partnership, members=sorted(p.pk for p in group.people))
            for partnership, group in zip(made, groups, strict=True)
        ],
    )
    notify_many(
        kind=INTRODUCTION,
        template="program_intro",
        messages=[
            _introduction(program, partnership.pk, person, group.people, group.reasons)
            for partnership, group in zip(made, groups, strict=True)
            for person in group.people
        ],
    )
    return made


@transaction.atomic
def partnership_end(
    *,
    partnership: Partnership,
    by: Person,
    completed: bool,
    reason: str = "",
    fit_rating: int | None = None,
    rematch: bool = True,
) -> Partnership:
    """End a partnership, as completed (the term is over) or early.

    The reason and the fit rating are stored on the ender's own member row: the partner never
    sees them, and program managers only see fit ratings in aggregate. `rematch` says whether
    the ender wants to go back into the program's pool; the other members are offered it and
    stay out of the pool until they say yes (nobody is rematched without asking).
    """
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if locked.status not in OPEN_PARTNERSHIP_STATUSES:
        raise PartnershipClosed("This partnership has already ended.")
    member = PartnershipMember.objects.filter(partnership=locked, person=by).first()
    if member is None:
        raise InvalidInput("Only a member can end a partnership.")
    if fit_rating is not None and not 1 <= fit_rating <= 5:
        raise InvalidInput("The fit rating goes from 1 to 5.")
    locked.status = PartnershipStatus.COMPLETED if completed else PartnershipStatus.ENDED
    locked.ended_at = timezone.now()
    locked.ended_by = by
    locked.save(update_fields=["status", "ended_at", "ended_by"])
    member.end_reason = reason.strip()
    member.fit_rating = fit_rating
    member.save(update_fields=["end_reason", "fit_rating"])
    Enrolment.objects.filter(program_id=locked.program_id, person=by).update(wants_rematch=rematch)
    others = (
        PartnershipMember.objects.filter(partnership=locked)
        .exclude(person=by)
        .values_list("person_id", flat=True)
    )
    Enrolment.objects.filter(program_id=locked.program_id, person_id__in=list(others)).update(
        wants_rematch=False
    )
    _announce(locked, "partnership.ended")
    return locked


@transaction.atomic
def partnership_end_by_admin(
    *,
    partnership: Partnership,
    actor: User | None,
    reason: str,
    completed: bool = False,
    source: str = "",
) -> Partnership:
    """HR ends a partnership (a reorganisation, a complaint handled elsewhere).

    The reason is private to the organization's admins: it goes to the audit row only, never on
    a member row, the partnership or any answer about it. Nobody is put back into the pool
    without saying yes, as when a member ends it.
    """
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if locked.status not in OPEN_PARTNERSHIP_STATUSES:
        raise PartnershipClosed("This partnership has already ended.")
    locked.status = PartnershipStatus.COMPLETED if completed else PartnershipStatus.ENDED
    locked.ended_at = timezone.now()
    locked.ended_by = None
    locked.save(update_fields=["status", "ended_at", "ended_by"])
    members = list(
        PartnershipMember.objects.filter(partnership=locked).values_list("person_id", flat=True)
    )
    Enrolment.objects.filter(program_id=locked.program_id, person_id__in=members).update(
        wants_rematch=False
    )
    audit(
        org=locked.organization,
        actor=actor,
        action="partnership.ended_by_admin",
        target=str(locked.pk),
        status=locked.status,
        reason=reason.strip(),
        **({"source": source} if source else {}),
    )
    _announce(locked, "partnership.ended")
    return locked
