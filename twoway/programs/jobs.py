"""The programs app's periodic work: queued matching rounds, reminders on unanswered requests,
their expiry, and the weekly summary for program managers (see twoway/lib/jobs.py; messages are
idempotent by dedupe key and carry an expiry, as in meetings/jobs.py)."""

from __future__ import annotations

import datetime as dt

from twoway.accounts.models import Membership, Role
from twoway.lib.jobs import job
from twoway.meetings.cadence import stalled_partnerships
from twoway.notifications.selectors import week_started
from twoway.notifications.services import notify
from twoway.people.models import Person
from twoway.programs.kinds import PROGRAM_SUMMARY, REQUEST
from twoway.programs.models import (
    MatchRequest,
    Partnership,
    PartnershipStatus,
    Program,
    ProgramStatus,
    RequestStatus,
)
from twoway.programs.rounds import run_pending_rounds
from twoway.programs.services import request_expire

REQUEST_REMINDER_AFTER = dt.timedelta(days=5)
REQUEST_EXPIRES_AFTER = dt.timedelta(days=14)
SUMMARY_EXPIRES = dt.timedelta(days=3)


@job("matching_rounds", every=None)
def matching_rounds(now: dt.datetime) -> int:
    """Queued rounds start within a second, not on the next minute's tick: this runs on every
    pass of the worker loop, and the round's own conditional claim keeps two workers from
    running one round."""
    run_pending_rounds(limit=1)
    return 0


@job("request_reminders", every=dt.timedelta(minutes=1))
def request_reminders(now: dt.datetime) -> int:
    """A request unanswered for 5 days: a reminder to its receiver."""
    created = 0
    for request in MatchRequest.objects.filter(
        status=RequestStatus.OPEN,
        created__lte=now - REQUEST_REMINDER_AFTER,
        created__gt=now - REQUEST_EXPIRES_AFTER,
    ).select_related("sender", "receiver__organization", "program"):
        created += bool(
            notify(
                person=request.receiver,
                kind=REQUEST,
                template="reminder_request",
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
        )
    return created


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


@job("program_summaries", every=dt.timedelta(hours=1))
def program_summaries(now: dt.datetime) -> int:
    """Monday morning in the organization's time zone: each program's week, for its managers."""
    created = 0
    programs = Program.objects.filter(
        status__in=[ProgramStatus.OPEN, ProgramStatus.PAUSED]
    ).select_related("organization")
    for program in programs:
        org = program.organization
        week = week_started(now, org.time_zone)
        if week is None:
            continue
        manager_users = set(
            Membership.objects.filter(organization=org, role=Role.PROGRAM_MANAGER).values_list(
                "user_id", flat=True
            )
        )
        if program.created_by_id:
            manager_users.add(program.created_by_id)
        managers = Person.objects.filter(
            organization=org, user_id__in=manager_users, is_active=True
        )
        if not managers:
            continue
        active = Partnership.objects.filter(program=program, status=PartnershipStatus.ACTIVE)
        stalled = stalled_partnerships(program, now=now)
        context = {
            "program_id": program.pk,
            "program": program.name,
            "week": week,
            "active_pairs": active.count(),
            "new_pairs": active.filter(created__gte=now - dt.timedelta(days=7)).count(),
            "open_requests": MatchRequest.objects.filter(
                program=program, status=RequestStatus.OPEN
            ).count(),
            "stalled": [
                " & ".join(sorted(m.person.name for m in p.members.all())) for p in stalled
            ][:50],
            "url": f"/o/{org.slug}/",
        }
        for person in managers:
            created += bool(
                notify(
                    person=person,
                    kind=PROGRAM_SUMMARY,
                    template="summary_program",
                    context=context,
                    dedupe_key=f"program-summary:{program.pk}:{person.pk}:{week}",
                    expires_at=now + SUMMARY_EXPIRES,
                )
            )
    return created
