"""People one never wants to be matched with (the blocked person is never told)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from twoway.people.models import Person
from twoway.programs.models import (
    Block,
    MatchRequest,
    RequestStatus,
)
from twoway.programs.services.errors import ProgramError
from twoway.programs.services.requests import _close_request


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
