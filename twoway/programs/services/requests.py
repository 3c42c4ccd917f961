"""Self-match requests: send, accept, decline, withdraw; capacity under concurrent accepts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from twoway.accounts.services import audit
from twoway.matching import pair_score
from twoway.notifications.services import notify
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


def _active_enrolment(program: Program, person: Person, *, lock: bool = False) -> Enrolment | None:
    qs = Enrolment.objects.filter(program=program, person=person, status=EnrolmentStatus.ACTIVE)
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
    sender_enrolment = _active_enrolment(program, sender, lock=True)
    if sender_enrolment is None:
        raise ProgramError("Join the program before you send a request.")
    receiver_enrolment = _active_enrolment(program, receiver)
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

    Locks are taken in one order everywhere — both enrolments by primary key, then the request —
    so two accepts at once that share a person run one after the other, and the second sees the
    first's partnership: nobody is ever over capacity, and no two accepts deadlock. When someone
    reaches capacity, their other open requests are withdrawn and those senders told.
    """
    sender_id, receiver_id, program_id = MatchRequest.objects.filter(pk=request.pk).values_list(
        "sender_id", "receiver_id", "program_id"
    )[0]
    enrolments = list(
        Enrolment.objects.select_for_update()
        .filter(
            program_id=program_id,
            person_id__in=[sender_id, receiver_id],
            status=EnrolmentStatus.ACTIVE,
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
    locked = MatchRequest.objects.select_for_update().get(pk=request.pk)
    if locked.sender_id != by.pk:
        raise ProgramError("Only the sender can withdraw a request.")
    if locked.status != RequestStatus.OPEN:
        raise ProgramError("This request is no longer open.")
    _close_request(locked, RequestStatus.WITHDRAWN, tell_sender=False)
    return locked
