"""Self-match requests: send, accept, decline, withdraw; capacity under concurrent accepts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from twoway.accounts.services import audit
from twoway.matching import pair_score
from twoway.notifications.services import Message, notify, notify_many
from twoway.people.models import Person
from twoway.programs.cohort import engine_settings, participants_for
from twoway.programs.kinds import REQUEST
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Block,
    Enrolment,
    EnrolmentStatus,
    MatchRequest,
    Partnership,
    PartnershipMember,
    PartnershipSource,
    Program,
    ProgramKind,
    ProgramStatus,
    RequestStatus,
)
from twoway.programs.services.errors import ProgramError
from twoway.programs.services.partnerships import (
    partners_in_program,
    partnership_create,
    partnership_introduce,
)


def _people_conflict(program: Program, a: Person, b: Person) -> str | None:
    """Why these two may not be paired, in words for the person asking, or None."""
    if a.pk == b.pk:
        return "You cannot send a request to yourself."
    # A block and a reporting line get the same words: the blocked person is never told, so
    # nothing may tell the two apart (nor who blocked whom).
    not_pairable = (
        f"You and {b.name} cannot be peer partners: peers come from outside each other's "
        "reporting line, among other rules."
    )
    if Block.objects.filter(Q(person=a, blocked=b) | Q(person=b, blocked=a)).exists():
        return not_pairable
    if b.pk in {p.pk for p in a.manager_chain()} or a.pk in {p.pk for p in b.manager_chain()}:
        return not_pairable
    if (
        program.kind != ProgramKind.ONBOARDING
        and a.level is not None
        and b.level is not None
        and abs(a.level - b.level) > program.max_level_gap
    ):
        steps = program.max_level_gap
        return (
            f"You and {b.name} are {abs(a.level - b.level)} levels apart; this program pairs "
            f"peers at most {steps} level{'' if steps == 1 else 's'} apart."
        )
    shared = PartnershipMember.objects.filter(person=b, partnership__members__person=a)
    if shared.filter(partnership__status__in=OPEN_PARTNERSHIP_STATUSES).exists():
        return f"You and {b.name} are already partners."
    if not program.allow_repeats and shared.exists():
        return f"You and {b.name} were partners before; this program pairs people only once."
    return None


def _lock_enrolments(program_id: int, person_ids: list[int]) -> dict[int, Enrolment]:
    """Lock the active enrolments of these people in this program, by primary key.

    Every write that concerns a request takes its locks in one order — these enrolments by
    primary key, then request rows by primary key — and locks only those rows (`of=("self",)`):
    joining the program, organization or person into a FOR UPDATE would lock them too, and two
    answers in one program would then wait on each other in opposite orders (a deadlock). FOR NO
    KEY UPDATE leaves rows that merely point at an enrolment free to be written.
    """
    enrolments = (
        Enrolment.objects.select_for_update(of=("self",), no_key=True)
        .filter(program_id=program_id, person_id__in=person_ids, status=EnrolmentStatus.ACTIVE)
        .select_related("person")
        .order_by("pk")
    )
    return {e.person_id: e for e in enrolments}


def _lock_request(request_id: int) -> MatchRequest:
    return (
        MatchRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("program", "program__organization", "sender", "receiver")
        .get(pk=request_id)
    )


@transaction.atomic
def request_send(*, program: Program, sender: Person, receiver: Person, note: str) -> MatchRequest:
    """Ask someone to be peers. A request that meets one the other way pairs them at once."""
    if not program.allows_self_match or program.status != ProgramStatus.OPEN:
        raise ProgramError("This program does not take requests right now.")
    note = note.strip()
    if not note:
        raise ProgramError("Add a short note: say why you would like to be peers.")
    # Both enrolments, so that two people asking each other at the same moment run one after
    # the other and the second finds the first's request: they are paired, not left waiting.
    enrolments = _lock_enrolments(program.pk, [sender.pk, receiver.pk])
    sender_enrolment = enrolments.get(sender.pk)
    if sender_enrolment is None:
        raise ProgramError("Join the program before you send a request.")
    receiver_enrolment = enrolments.get(receiver.pk)
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
    mirror = MatchRequest.objects.filter(
        program=program, sender=receiver, receiver=sender, status=RequestStatus.OPEN
    ).first()
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
        kind=REQUEST,
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
            kind=REQUEST,
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

    Locks are taken in one order everywhere (see `_lock_enrolments`), so two accepts at once that
    share a person run one after the other, and the second sees the first's partnership: nobody
    is ever over capacity, and no two answers deadlock. When someone reaches capacity, their
    other open requests are withdrawn and those senders told.
    """
    sender_id, receiver_id, program_id = MatchRequest.objects.filter(pk=request.pk).values_list(
        "sender_id", "receiver_id", "program_id"
    )[0]
    enrolments = list(_lock_enrolments(program_id, [sender_id, receiver_id]).values())
    locked = _lock_request(request.pk)
    if locked.receiver_id != by.pk:
        raise ProgramError("Only the person who received a request can accept it.")
    if locked.status != RequestStatus.OPEN:
        raise ProgramError("This request is no longer open.")
    program = locked.program
    if program.status == ProgramStatus.CLOSED:
        raise ProgramError("This program has closed: the request can no longer be accepted.")
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
    requests_close_for_full(program=program, enrolments=enrolments)
    return partnership


def requests_close_for_full(*, program: Program, enrolments: list[Enrolment]) -> None:
    """Whoever of these people is now full: close the requests still waiting on them or from
    them, and tell each sender kindly (a request to a full person would only fail on accept).

    Callers hold these enrolments' locks; one statement then locks the requests by primary
    key, the order every other answer uses. One query counts everyone's partners: a round's
    batch passes a thousand enrolments."""
    capacity = {e.person_id: e.capacity for e in enrolments}
    partners = dict(
        PartnershipMember.objects.filter(
            partnership__program=program,
            partnership__status__in=OPEN_PARTNERSHIP_STATUSES,
            person_id__in=list(capacity),
        )
        .order_by()
        .values("person_id")
        .annotate(n=Count("pk"))
        .values_list("person_id", "n")
    )
    person_ids = [pid for pid, cap in capacity.items() if partners.get(pid, 0) >= cap]
    if person_ids:
        _withdraw_open_requests_of(program, person_ids)


def _withdraw_open_requests_of(program: Program, person_ids: list[int]) -> None:
    """Close the requests still waiting on these people or from them; senders to them are told.

    One statement locks them all by primary key, the order every other answer uses."""
    for other in (
        MatchRequest.objects.select_for_update(of=("self",), no_key=True)
        .filter(
            Q(sender_id__in=person_ids) | Q(receiver_id__in=person_ids),
            program=program,
            status=RequestStatus.OPEN,
        )
        .select_related("sender", "receiver", "program", "program__organization")
        .order_by("pk")
    ):
        _close_request(other, RequestStatus.WITHDRAWN, tell_sender=other.receiver_id in person_ids)


# Requests of a closed program closed per transaction (the worker's job: a program of 20,000
# closes with thousands of requests waiting).
CLOSED_PROGRAM_BATCH = 500


@transaction.atomic
def requests_close_for_closed_program(*, program: Program) -> int:
    """A batch of the requests still waiting in a program that has closed: each is closed, and
    its sender told kindly why (nobody will answer it now). Returns how many, 0 when none is
    left; the worker calls it until then. A program opened again keeps what is still open."""
    if not Program.objects.filter(pk=program.pk, status=ProgramStatus.CLOSED).exists():
        return 0
    batch = list(
        MatchRequest.objects.select_for_update(of=("self",), no_key=True)
        .filter(program=program, status=RequestStatus.OPEN)
        .select_related("sender", "receiver", "program", "program__organization")
        .order_by("pk")[:CLOSED_PROGRAM_BATCH]
    )
    if not batch:
        return 0
    now = timezone.now()
    MatchRequest.objects.filter(pk__in=[r.pk for r in batch]).update(
        status=RequestStatus.WITHDRAWN, responded_at=now
    )
    notify_many(
        kind=REQUEST,
        template="request_program_closed",
        messages=[
            Message(
                person=r.sender,
                context={
                    "program": r.program.name,
                    "org_slug": r.program.organization.slug,
                    "receiver": r.receiver.name,
                },
                dedupe_key=f"request:{r.pk}:program_closed",
            )
            for r in batch
        ],
    )
    return len(batch)


@transaction.atomic
def request_decline(*, request: MatchRequest, by: Person, response: str = "") -> MatchRequest:
    locked = _lock_request(request.pk)
    if locked.receiver_id != by.pk:
        raise ProgramError("Only the person who received a request can decline it.")
    if locked.status != RequestStatus.OPEN:
        raise ProgramError("This request is no longer open.")
    _close_request(locked, RequestStatus.DECLINED, tell_sender=True, response=response.strip())
    return locked


@transaction.atomic
def request_expire(*, request: MatchRequest) -> bool:
    """Close a request nobody answered in time, and tell its sender as kindly as a decline.

    The request's row lock makes an answer that lands at the same moment win: an accepted or
    declined request is left alone (returns False). The audit row has no actor: the clock acted.
    """
    locked = (
        MatchRequest.objects.select_for_update(of=("self",))
        .select_related("program", "program__organization", "sender", "receiver")
        .get(pk=request.pk)
    )
    if locked.status != RequestStatus.OPEN:
        return False
    _close_request(locked, RequestStatus.EXPIRED, tell_sender=True)
    audit(
        org=locked.program.organization,
        actor=None,
        action="request.expired",
        target=f"request {locked.pk}",
        program=locked.program_id,
        days_open=(timezone.now() - locked.created).days,
    )
    return True


@transaction.atomic
def request_withdraw(*, request: MatchRequest, by: Person) -> MatchRequest:
    locked = _lock_request(request.pk)
    if locked.sender_id != by.pk:
        raise ProgramError("Only the sender can withdraw a request.")
    if locked.status != RequestStatus.OPEN:
        raise ProgramError("This request is no longer open.")
    _close_request(locked, RequestStatus.WITHDRAWN, tell_sender=False)
    return locked
