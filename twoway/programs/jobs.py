"""The programs app's periodic work: queued matching rounds and round publishing, reminders on
unanswered requests and their expiry (see twoway/lib/jobs.py; messages are idempotent by dedupe
key and carry an expiry, as in meetings/jobs.py). The weekly program summary reads check-in
cadence: meetings/jobs.py."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from twoway.lib.batches import by_pk
from twoway.lib.jobs import job
from twoway.notifications.selectors import queued
from twoway.notifications.services import Message, notify_many
from twoway.programs.kinds import REQUEST
from twoway.programs.models import (
    MatchRequest,
    Program,
    ProgramStatus,
    RequestStatus,
)
from twoway.programs.rounds import run_pending_publishes, run_pending_rounds
from twoway.programs.services import request_expire, requests_close_for_closed_program

REQUEST_REMINDER_AFTER = dt.timedelta(days=5)
REQUEST_EXPIRES_AFTER = dt.timedelta(days=14)


@job("matching_rounds", every=None)
def matching_rounds(now: dt.datetime) -> int:
    """Queued rounds start within a second, not on the next minute's tick: this runs on every
    pass of the worker loop, and the round's own conditional claim keeps two workers from
    running one round."""
    run_pending_rounds(limit=1)
    return 0


@job("round_publishing", every=None)
def round_publishing(now: dt.datetime) -> int:
    """A round a program manager published starts within a second, in batches of groups; the
    round's claim (renewed by each batch) keeps two workers off one round, and a worker that
    died is taken over when its claim runs out (ROUND_PUBLISH_LEASE_SECONDS)."""
    run_pending_publishes(limit=1)
    return 0


@job("request_reminders", every=dt.timedelta(minutes=1))
def request_reminders(now: dt.datetime) -> int:
    """A request unanswered for 5 days: a reminder to its receiver.

    Requests already reminded are left out by the query, and the others are queued a page at
    a time with notify_many: a program of thousands asking each other reads next to nothing
    on the minutes after the first (as the reminders in meetings/jobs.py)."""
    requests = (
        MatchRequest.objects.filter(
            status=RequestStatus.OPEN,
            created__lte=now - REQUEST_REMINDER_AFTER,
            created__gt=now - REQUEST_EXPIRES_AFTER,
        )
        .exclude(queued("request-reminder:", OuterRef("pk")))
        .select_related("sender", "receiver__organization", "program")
    )
    created = 0
    for page in by_pk(requests):
        created += notify_many(
            kind=REQUEST,
            template="reminder_request",
            messages=[
                Message(
                    person=request.receiver,
                    context={
                        "request_id": request.pk,
                        "sender": request.sender.name,
                        "program": request.program.name,
                        "days": (now - request.created).days,
                        "url": f"/o/{request.receiver.organization.slug}/",
                    },
                    dedupe_key=f"request-reminder:{request.pk}",
                    # Once the request has expired, a reminder to answer it is wrong.
                    expires_at=request.created + REQUEST_EXPIRES_AFTER,
                )
                for request in page
            ],
        )
    return created


@job("closed_program_requests", every=dt.timedelta(minutes=1))
def closed_program_requests(now: dt.datetime) -> int:
    """Requests still waiting in a program that has closed: closed in batches, each sender told
    (closing the program is one click; a large one can have thousands waiting)."""
    closed = 0
    # The few closed programs first, each looked up in the requests by its own index: not a
    # scan of every open request of every program each minute.
    waiting = MatchRequest.objects.filter(program=OuterRef("pk"), status=RequestStatus.OPEN)
    programs = Program.objects.filter(Exists(waiting), status=ProgramStatus.CLOSED)
    for program in programs:
        while done := requests_close_for_closed_program(program=program):
            closed += done
    return closed


@job("request_expiry", every=dt.timedelta(minutes=1))
def request_expiry(now: dt.datetime) -> int:
    """After 14 days unanswered a request expires, through the same service as any other
    answer: an audit row, and its sender told as kindly as after a decline."""
    expired = 0
    for request in MatchRequest.objects.filter(
        status=RequestStatus.OPEN, created__lte=now - REQUEST_EXPIRES_AFTER
    ).only("pk"):
        expired += request_expire(request=request)
    return expired
