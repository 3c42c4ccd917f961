"""Closing a program: no request waiting in it can be accepted any more, and the worker closes
those still waiting, a batch per transaction, telling each sender why."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.conftest import World
from tests.programs.helpers import enrol, make_people, make_program
from twoway.notifications.models import OutboxMessage
from twoway.programs import services
from twoway.programs.jobs import closed_program_requests
from twoway.programs.models import MatchRequest, Program, ProgramStatus, RequestStatus
from twoway.programs.services import ProgramError, program_set_status
from twoway.programs.services import requests as requests_module


def asking(program: Program, n: int, prefix: str) -> list[MatchRequest]:
    people = make_people(program.organization, 2 * n, prefix=prefix)
    for person in people:
        enrol(program, person)
    return [
        services.request_send(
            program=program, sender=people[2 * i], receiver=people[2 * i + 1], note="Hello!"
        )
        for i in range(n)
    ]


def test_a_request_cannot_be_accepted_once_the_program_has_closed(world: World) -> None:
    program = make_program(world.acme, matching_mode="self")
    (request,) = asking(program, 1, "Late")
    program_set_status(program=program, status=ProgramStatus.CLOSED, actor=world.bob)
    with pytest.raises(ProgramError, match="has closed"):
        services.request_accept(request=request, by=request.receiver)
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and not request.partnership_id


def test_the_worker_closes_a_closed_programs_requests_in_batches_and_tells_each_sender(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(requests_module, "CLOSED_PROGRAM_BATCH", 2)
    closing = make_program(world.acme, name="Closing", matching_mode="self")
    staying = make_program(world.acme, name="Staying", matching_mode="self")
    closed_ones = asking(closing, 5, "Closing")
    open_ones = asking(staying, 2, "Staying")
    assert closed_program_requests(timezone.now()) == 0  # nothing closed yet
    program_set_status(program=closing, status=ProgramStatus.CLOSED, actor=world.bob)

    # One transaction closes one batch; the job goes on until none is left.
    assert services.requests_close_for_closed_program(program=closing) == 2
    assert closed_program_requests(timezone.now()) == 3
    statuses = set(
        MatchRequest.objects.filter(pk__in=[r.pk for r in closed_ones]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {RequestStatus.WITHDRAWN}
    assert set(
        MatchRequest.objects.filter(pk__in=[r.pk for r in open_ones]).values_list(
            "status", flat=True
        )
    ) == {RequestStatus.OPEN}
    told = OutboxMessage.objects.filter(template="request_program_closed")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        r.sender_id for r in closed_ones
    )
    row = told.first()
    assert row is not None and row.context["program"] == "Closing"
    # A second run has nothing to do and tells nobody twice.
    assert closed_program_requests(timezone.now()) == 0
    assert told.count() == 5


def test_a_program_opened_again_before_the_worker_keeps_its_requests(world: World) -> None:
    program = make_program(world.acme, matching_mode="self")
    requests = asking(program, 2, "Back")
    program_set_status(program=program, status=ProgramStatus.CLOSED, actor=world.bob)
    program_set_status(program=program, status=ProgramStatus.OPEN, actor=world.bob)
    assert closed_program_requests(timezone.now()) == 0
    assert set(
        MatchRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list(
            "status", flat=True
        )
    ) == {RequestStatus.OPEN}
