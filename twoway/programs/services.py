"""Everything that changes programs, enrolments, rounds, requests and partnerships.

Each function is keyword-only, runs in one transaction, writes an audit row when a program
manager acts, and queues its messages with notify() in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.models import User
from twoway.accounts.services import audit
from twoway.matching import pair_score
from twoway.notifications.services import notify
from twoway.people.models import Person
from twoway.programs.cohort import engine_settings, participants_for
from twoway.programs.eligibility import is_eligible
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Block,
    Enrollment,
    EnrollmentRole,
    EnrollmentStatus,
    MatchRequest,
    MatchRound,
    Partnership,
    PartnershipMember,
    PartnershipSource,
    PartnershipStatus,
    Program,
    ProgramStatus,
    RequestStatus,
)
from twoway.programs.wording import reasons_for


class ProgramError(Exception):
    """A rule of the program stops this action; the message is for the person who tried."""


# ---------------------------------------------------------------- programs


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


# ---------------------------------------------------------------- enrolment


def partners_in_program(program: Program, person: Person) -> int:
    return PartnershipMember.objects.filter(
        partnership__program=program,
        partnership__status__in=OPEN_PARTNERSHIP_STATUSES,
        person=person,
    ).count()


@transaction.atomic
def enrollment_save(
    *,
    program: Program,
    person: Person,
    offers: dict[int, int],
    seeks: dict[int, int],
    goals: str,
    meeting_preference: str,
    capacity: int,
    role: str = EnrollmentRole.PEER,
    snoozed_until: dt.date | None = None,
) -> Enrollment:
    """Join a program or update one's intake (open until one is matched)."""
    existing = Enrollment.objects.select_for_update().filter(program=program, person=person).first()
    if existing is None or existing.status == EnrollmentStatus.WITHDRAWN:
        if not program.enrolment_is_open():
            raise ProgramError("Enrolment in this program is not open.")
        if not is_eligible(program, person):
            raise ProgramError("This program is not open to you.")
    if snoozed_until is not None and snoozed_until <= timezone.localdate():
        raise ProgramError("Choose a date in the future to pause until.")
    if not offers and not seeks:
        raise ProgramError("Say at least one thing you can share or want to grow.")
    enrollment = existing or Enrollment(program=program, person=person)
    enrollment.status = EnrollmentStatus.ACTIVE
    enrollment.withdrawn_at = None
    enrollment.offers = {str(k): int(v) for k, v in sorted(offers.items())}
    enrollment.seeks = {str(k): int(v) for k, v in sorted(seeks.items())}
    enrollment.goals = goals.strip()
    enrollment.meeting_preference = meeting_preference
    enrollment.capacity = capacity
    enrollment.role = role
    enrollment.snoozed_until = snoozed_until
    enrollment.full_clean()
    enrollment.save()
    return enrollment


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment) -> Enrollment:
    """Leave a program. Open requests are withdrawn; partnerships already running go on."""
    enrollment.status = EnrollmentStatus.WITHDRAWN
    enrollment.withdrawn_at = timezone.now()
    enrollment.save(update_fields=["status", "withdrawn_at", "updated"])
    for request in MatchRequest.objects.filter(
        Q(sender=enrollment.person) | Q(receiver=enrollment.person),
        program=enrollment.program,
        status=RequestStatus.OPEN,
    ).select_related("sender", "receiver"):
        _close_request(
            request,
            RequestStatus.WITHDRAWN,
            tell_sender=request.receiver_id == enrollment.person_id,
        )
    return enrollment


@transaction.atomic
def enrollment_set_rematch(*, enrollment: Enrollment, wants_rematch: bool) -> Enrollment:
    enrollment.wants_rematch = wants_rematch
    enrollment.save(update_fields=["wants_rematch", "updated"])
    return enrollment


# ---------------------------------------------------------------- partnerships


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
        raise ValidationError("A partnership needs at least two people.")
    if len({p.pk for p in people}) != len(people):
        raise ValidationError("A person cannot partner with themselves.")
    if any(p.organization_id != program.organization_id for p in people):
        raise ValidationError("Everyone in a partnership belongs to the program's organization.")
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
            partnership=partnership, person=p, role=(roles or {}).get(p.pk, EnrollmentRole.PEER)
        )
        for p in people
    )
    return partnership


def partnership_introduce(
    partnership: Partnership, people: Sequence[Person], reasons: Sequence[str]
) -> None:
    """Tell each member who they were matched with, why, and what each can bring the other."""
    for person in people:
        others = [p for p in people if p.pk != person.pk]
        notify(
            person=person,
            kind="introduction",
            template="program_intro",
            context={
                "program": partnership.program.name,
                "partnership_id": partnership.pk,
                "org_slug": partnership.program.organization.slug,
                "partners": [{"name": p.name, "title": p.title, "email": p.email} for p in others],
                "reasons": reasons_for(reasons, person.name),
                "cadence_weeks": partnership.program.checkin_every_weeks,
                "cadence_minutes": partnership.program.checkin_minutes,
            },
            dedupe_key=f"intro:{partnership.pk}:{person.pk}",
        )


class PartnershipClosed(Exception):
    pass


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
        raise ValidationError("Only a member can end a partnership.")
    if fit_rating is not None and not 1 <= fit_rating <= 5:
        raise ValidationError("The fit rating goes from 1 to 5.")
    locked.status = PartnershipStatus.COMPLETED if completed else PartnershipStatus.ENDED
    locked.ended_at = timezone.now()
    locked.ended_by = by
    locked.save(update_fields=["status", "ended_at", "ended_by"])
    member.end_reason = reason.strip()
    member.fit_rating = fit_rating
    member.save(update_fields=["end_reason", "fit_rating"])
    Enrollment.objects.filter(program_id=locked.program_id, person=by).update(wants_rematch=rematch)
    others = (
        PartnershipMember.objects.filter(partnership=locked)
        .exclude(person=by)
        .values_list("person_id", flat=True)
    )
    Enrollment.objects.filter(program_id=locked.program_id, person_id__in=list(others)).update(
        wants_rematch=False
    )
    return locked


# ---------------------------------------------------------------- requests


def _people_conflict(program: Program, a: Person, b: Person) -> str | None:
    """Why these two may not be paired, in words for the person asking, or None."""
    if a.pk == b.pk:
        return "You cannot send a request to yourself."
    if Block.objects.filter(Q(person=a, blocked=b) | Q(person=b, blocked=a)).exists():
        # Do not say who blocked whom.
        return f"{b.name} is not available for a request."
    if b.pk in {p.pk for p in a.manager_chain()} or a.pk in {p.pk for p in b.manager_chain()}:
        return "Peer partners come from outside one's own reporting line."
    shared = PartnershipMember.objects.filter(person=b, partnership__members__person=a)
    if shared.filter(partnership__status__in=OPEN_PARTNERSHIP_STATUSES).exists():
        return f"You and {b.name} are already partners."
    if not program.allow_repeats and shared.exists():
        return f"You and {b.name} were partners before; this program pairs people only once."
    return None


def _active_enrollment(
    program: Program, person: Person, *, lock: bool = False
) -> Enrollment | None:
    qs = Enrollment.objects.filter(program=program, person=person, status=EnrollmentStatus.ACTIVE)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


@transaction.atomic
def request_send(*, program: Program, sender: Person, receiver: Person, note: str) -> MatchRequest:
    """Ask someone to be peers. A request that meets one the other way pairs them at once."""
    if not program.allows_self_match or program.status != ProgramStatus.OPEN:
        raise ProgramError("This program does not take requests right now.")
    note = note.strip()
    if not note:
        raise ProgramError("Add a short note: say why you would like to be peers.")
    sender_enrolment = _active_enrollment(program, sender, lock=True)
    if sender_enrolment is None:
        raise ProgramError("Join the program before you send a request.")
    receiver_enrolment = _active_enrollment(program, receiver)
    if receiver_enrolment is None or receiver_enrolment.is_snoozed() or not receiver.is_active:
        raise ProgramError(f"{receiver.name} is not taking requests in this program right now.")
    conflict = _people_conflict(program, sender, receiver)
    if conflict:
        raise ProgramError(conflict)
    if partners_in_program(program, sender) >= sender_enrolment.capacity:
        raise ProgramError("You already have as many partners as you said you can take.")
    if partners_in_program(program, receiver) >= receiver_enrolment.capacity:
        raise ProgramError(f"{receiver.name} has no room for another partner right now.")
    if MatchRequest.objects.filter(
        program=program, sender=sender, receiver=receiver, status=RequestStatus.OPEN
    ).exists():
        raise ProgramError(f"Your request to {receiver.name} is still waiting for an answer.")
    open_count = MatchRequest.objects.filter(
        program=program, sender=sender, status=RequestStatus.OPEN
    ).count()
    if open_count >= program.max_open_requests:
        raise ProgramError(
            f"You have {open_count} requests waiting; wait for an answer or withdraw one "
            "before sending more."
        )
    request = MatchRequest.objects.create(
        program=program, sender=sender, receiver=receiver, note=note
    )
    mirror = (
        MatchRequest.objects.select_for_update()
        .filter(program=program, sender=receiver, receiver=sender, status=RequestStatus.OPEN)
        .first()
    )
    if mirror is not None:
        # "We asked for each other": pair them now. Close this request first so that the
        # capacity clean-up inside the accept does not tell the sender it was withdrawn.
        _close_request(request, RequestStatus.ACCEPTED, tell_sender=False)
        partnership = request_accept(request=mirror, by=sender, response="We asked for each other!")
        request.partnership = partnership
        request.save(update_fields=["partnership"])
        return request
    notify(
        person=receiver,
        kind="request",
        template="request_received",
        context={
            "program": program.name,
            "org_slug": program.organization.slug,
            "sender": sender.name,
            "sender_title": sender.title,
            "note": note,
            "request_id": request.pk,
        },
        dedupe_key=f"request:{request.pk}:received",
    )
    return request


def _close_request(
    request: MatchRequest,
    status: str,
    *,
    tell_sender: bool,
    response: str = "",
    partnership: Partnership | None = None,
) -> None:
    request.status = status
    request.response = response
    request.responded_at = timezone.now()
    request.partnership = partnership
    request.save(update_fields=["status", "response", "responded_at", "partnership"])
    if tell_sender:
        notify(
            person=request.sender,
            kind="request",
            template=f"request_{status}",
            context={
                "program": request.program.name,
                "org_slug": request.program.organization.slug,
                "receiver": request.receiver.name,
                "response": response,
                "partnership_id": partnership.pk if partnership else None,
            },
            dedupe_key=f"request:{request.pk}:{status}",
        )


@transaction.atomic
def request_accept(*, request: MatchRequest, by: Person, response: str = "") -> Partnership:
    """Accept a request: both people become partners, unless either is full.

    Locks are taken in one order everywhere — both enrolments by primary key, then the request —
    so two accepts at once that share a person run one after the other, and the second sees the
    first's partnership: nobody is ever over capacity, and no two accepts deadlock. When someone
    reaches capacity, their other open requests are withdrawn and those senders told.
    """
    sender_id, receiver_id, program_id = MatchRequest.objects.filter(pk=request.pk).values_list(
        "sender_id", "receiver_id", "program_id"
    )[0]
    enrolments = list(
        Enrollment.objects.select_for_update()
        .filter(
            program_id=program_id,
            person_id__in=[sender_id, receiver_id],
            status=EnrollmentStatus.ACTIVE,
        )
        .select_related("person")
        .order_by("pk")
    )
    locked = (
        MatchRequest.objects.select_for_update()
        .select_related("program", "program__organization", "sender", "receiver")
        .get(pk=request.pk)
    )
    if locked.receiver_id != by.pk:
        raise ProgramError("Only the person who received a request can accept it.")
    if locked.status != RequestStatus.OPEN:
        raise ProgramError("This request is no longer open.")
    program = locked.program
    if len(enrolments) != 2:
        raise ProgramError("One of you has left the program; the request cannot be accepted.")
    conflict = _people_conflict(program, locked.receiver, locked.sender)
    if conflict:
        raise ProgramError(conflict)
    for enrolment in enrolments:
        if partners_in_program(program, enrolment.person) >= enrolment.capacity:
            who = "You have" if enrolment.person_id == by.pk else f"{locked.sender.name} has"
            raise ProgramError(f"{who} no room for another partner now.")
    a, b = participants_for(program, enrolments)
    scored = pair_score(a, b, engine_settings(program))
    partnership = partnership_create(
        program=program,
        people=[locked.sender, locked.receiver],
        source=PartnershipSource.REQUEST,
        score=scored.score,
        reasons=scored.reasons,
    )
    _close_request(
        locked,
        RequestStatus.ACCEPTED,
        tell_sender=True,
        response=response.strip(),
        partnership=partnership,
    )
    partnership_introduce(partnership, [locked.sender, locked.receiver], scored.reasons)
    for enrolment in enrolments:
        if partners_in_program(program, enrolment.person) >= enrolment.capacity:
            _withdraw_open_requests_of(program, enrolment.person)
    return partnership


def _withdraw_open_requests_of(program: Program, person: Person) -> None:
    """`person` is full: close the requests still waiting on them or from them."""
    for other in MatchRequest.objects.filter(
        Q(sender=person) | Q(receiver=person), program=program, status=RequestStatus.OPEN
    ).select_related("sender", "receiver", "program", "program__organization"):
        _close_request(other, RequestStatus.WITHDRAWN, tell_sender=other.receiver_id == person.pk)


@transaction.atomic
def request_decline(*, request: MatchRequest, by: Person, response: str = "") -> MatchRequest:
    locked = (
        MatchRequest.objects.select_for_update()
        .select_related("program", "sender", "receiver")
        .get(pk=request.pk)
    )
    if locked.receiver_id != by.pk:
        raise ProgramError("Only the person who received a request can decline it.")
    if locked.status != RequestStatus.OPEN:
        raise ProgramError("This request is no longer open.")
    _close_request(locked, RequestStatus.DECLINED, tell_sender=True, response=response.strip())
    return locked


@transaction.atomic
def request_withdraw(*, request: MatchRequest, by: Person) -> MatchRequest:
    locked = MatchRequest.objects.select_for_update().get(pk=request.pk)
    if locked.sender_id != by.pk:
        raise ProgramError("Only the sender can withdraw a request.")
    if locked.status != RequestStatus.OPEN:
        raise ProgramError("This request is no longer open.")
    _close_request(locked, RequestStatus.WITHDRAWN, tell_sender=False)
    return locked


# ---------------------------------------------------------------- blocks


@transaction.atomic
def block_add(*, person: Person, blocked: Person) -> Block:
    if person.pk == blocked.pk or person.organization_id != blocked.organization_id:
        raise ProgramError("You cannot block this person.")
    block, _ = Block.objects.get_or_create(person=person, blocked=blocked)
    # Requests between the two close quietly: the other person is not told why.
    for request in MatchRequest.objects.filter(
        Q(sender=person, receiver=blocked) | Q(sender=blocked, receiver=person),
        status=RequestStatus.OPEN,
    ):
        _close_request(request, RequestStatus.WITHDRAWN, tell_sender=False)
    return block


@transaction.atomic
def block_remove(*, person: Person, blocked_id: int) -> None:
    Block.objects.filter(person=person, blocked_id=blocked_id).delete()


__all__ = [
    "PartnershipClosed",
    "ProgramError",
    "block_add",
    "block_remove",
    "enrollment_save",
    "enrollment_set_rematch",
    "enrollment_withdraw",
    "partnership_create",
    "partnership_end",
    "partnership_introduce",
    "program_set_status",
    "request_accept",
    "request_decline",
    "request_send",
    "request_withdraw",
]
