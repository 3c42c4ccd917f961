"""The request reminder job over a program of thousands asking each other: its cost does not
grow with the requests, and a second run reads next to nothing (as the jobs of
tests/notifications/due.py)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import World
from tests.notifications.due import counted
from tests.programs.helpers import make_people, make_program
from twoway.notifications.models import OutboxMessage
from twoway.programs.jobs import request_reminders
from twoway.programs.models import MatchRequest, Program


def open_requests(program: Program, n: int, now: dt.datetime, prefix: str) -> None:
    """`n` requests, each between two new people, unanswered for six days."""
    people = make_people(program.organization, 2 * n, prefix=prefix)
    made = MatchRequest.objects.bulk_create(
        MatchRequest(program=program, sender=people[2 * i], receiver=people[2 * i + 1], note="Hi")
        for i in range(n)
    )
    MatchRequest.objects.filter(pk__in=[r.pk for r in made]).update(
        created=now - dt.timedelta(days=6)
    )


def test_request_reminders_cost_the_same_for_3_and_30_requests(world: World) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    program = make_program(world.acme, name="Asking")
    open_requests(program, 3, now, "Few")
    few, few_again = counted(request_reminders, now), counted(request_reminders, now)
    open_requests(program, 27, now, "Many")
    many, many_again = counted(request_reminders, now), counted(request_reminders, now)
    assert (few.queued, few_again.queued, many.queued, many_again.queued) == (3, 0, 27, 0)
    assert many.reads == few.reads, (few, many)
    assert many_again.reads == few_again.reads <= 1, (few_again, many_again)
    assert few_again.inserts == many_again.inserts == 0
    # The message is the one a request reminder always was.
    row = OutboxMessage.objects.filter(dedupe_key__startswith="request-reminder:").first()
    assert row is not None and row.template == "reminder_request"
    assert row.context["days"] == 6 and row.context["program"] == "Asking"
    request = MatchRequest.objects.get(pk=row.context["request_id"])
    assert row.recipient_id == request.receiver_id
    assert row.expires_at == request.created + dt.timedelta(days=14)
