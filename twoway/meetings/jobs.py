"""Check-in reminders, "did you meet?", cadence nudges and the weekly program summary (how the
program's pairs keep their cadence), run by the worker's clock.

Every job is safe to run again at any time: each message has a dedupe key naming the occurrence
it is about, so a second run, a second worker or a restart writes nothing new. Each looks back
only a bounded time, so deploying it does not wake up years of history, and each message carries
an expiry: a worker that was down for a day does not send yesterday's reminders. Quiet hours,
pauses and channels are the worker's business when it sends.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from twoway.accounts.models import Membership, Role
from twoway.lib.batches import by_pk
from twoway.lib.jobs import job
from twoway.meetings.cadence import (
    NUDGE_AFTER_CADENCES,
    NUDGES_STOP_AFTER_CADENCES,
    cadence_baseline,
    nudge_due_in_program,
    stalled_partnerships,
)
from twoway.meetings.kinds import CHECKIN_REMINDER, DID_YOU_MEET, NUDGE, PROGRAM_SUMMARY
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.notifications.models import (
    REMINDER_OFFSET_CHOICES,
    NotificationSettings,
    default_reminder_offsets,
)
from twoway.notifications.selectors import local_when, queued, queued_keys, week_started
from twoway.notifications.services import Message, notify, notify_many
from twoway.people.models import Person
from twoway.programs.models import (
    MatchRequest,
    Partnership,
    PartnershipMember,
    PartnershipStatus,
    Program,
    ProgramStatus,
    RequestStatus,
)
from twoway.programs.selectors import members_of, partner_names

DID_YOU_MEET_AFTER = dt.timedelta(minutes=15)
# How far back a job looks: older occurrences are left alone.
LOOKBACK = dt.timedelta(days=14)
# "Did you meet?" about a check-in more than this long ago is no use any more.
DID_YOU_MEET_EXPIRES = dt.timedelta(days=3)
NUDGE_EXPIRES = dt.timedelta(days=7)
SUMMARY_EXPIRES = dt.timedelta(days=3)

EVERY_MINUTE = dt.timedelta(minutes=1)


@job("checkin_reminders", every=EVERY_MINUTE)
def checkin_reminders(now: dt.datetime) -> int:
    """Before a check-in, at each person's chosen offsets (default 24 h and 15 min). When a run
    is late (a check-in booked an hour ahead), only the nearest due reminder goes out.

    The key names the offset and the moment, so the query cannot leave out what is queued:
    each page of the coming day's check-ins is read by the few columns that make the keys,
    the queued ones are looked up (queued_keys), and only check-ins with a reminder still to
    queue are loaded in full and queued at once (notify_many)."""
    horizon = now + dt.timedelta(minutes=max(REMINDER_OFFSET_CHOICES) + 1)
    upcoming = CheckIn.objects.filter(
        status=CheckinStatus.SCHEDULED,
        scheduled_start__gt=now,
        scheduled_start__lte=horizon,
        partnership__status=PartnershipStatus.ACTIVE,
    )
    created = 0
    for page in by_pk(upcoming.only("pk", "partnership_id", "scheduled_start")):
        people_of: dict[int, list[tuple[int, list[int] | None]]] = {}
        for partnership_id, person_id, offsets in PartnershipMember.objects.filter(
            partnership__in={c.partnership_id for c in page}
        ).values_list(
            "partnership_id", "person_id", "person__notification_settings__reminder_offsets"
        ):
            people_of.setdefault(partnership_id, []).append((person_id, offsets))
        keys = {
            _reminder_key(checkin, person_id, minutes): checkin.pk
            for checkin in page
            for person_id, offsets in people_of.get(checkin.partnership_id, [])
            if (minutes := _reminder_minutes(checkin, offsets, now)) is not None
        }
        todo = set(keys) - queued_keys(sorted(keys))
        if not todo:
            continue
        messages = []
        for checkin in _with_members(
            upcoming.filter(pk__in={keys[k] for k in todo}), settings=True
        ):
            partnership = checkin.partnership
            for person in members_of(partnership):
                settings_row: NotificationSettings | None = getattr(
                    person, "notification_settings", None
                )
                minutes = _reminder_minutes(
                    checkin, settings_row.reminder_offsets if settings_row else None, now
                )
                if minutes is None:
                    continue
                key = _reminder_key(checkin, person.pk, minutes)
                if key not in todo:
                    continue
                messages.append(
                    Message(
                        person=person,
                        context={
                            "checkin_id": checkin.pk,
                            "partnership_id": partnership.pk,
                            "partners": partner_names(partnership, person),
                            "when": local_when(checkin.scheduled_start, person.time_zone),
                            "minutes_before": minutes,
                            "duration": checkin.duration_minutes,
                            "url": f"/o/{partnership.organization.slug}/",
                        },
                        dedupe_key=key,
                        # A reminder after the check-in has started is noise.
                        expires_at=checkin.scheduled_start,
                    )
                )
        created += notify_many(
            kind=CHECKIN_REMINDER, template="reminder_checkin", messages=messages
        )
    return created


def _reminder_minutes(checkin: CheckIn, offsets: list[int] | None, now: dt.datetime) -> int | None:
    """The nearest of a person's offsets (default 24 h and 15 min) that has passed, if any."""
    passed = [
        int(m)
        for m in (offsets if offsets is not None else default_reminder_offsets())
        if checkin.scheduled_start - dt.timedelta(minutes=int(m)) <= now
    ]
    return min(passed) if passed else None


def _reminder_key(checkin: CheckIn, person_id: int, minutes: int) -> str:
    return (
        f"checkin-reminder:{checkin.pk}:{person_id}:{minutes}:{checkin.scheduled_start.isoformat()}"
    )


def _with_members(checkins: QuerySet[CheckIn], *, settings: bool = False) -> QuerySet[CheckIn]:
    """Check-ins with their pair's organization and members' people (and their settings)."""
    people = ["person", "person__notification_settings"] if settings else ["person"]
    return checkins.select_related("partnership__organization").prefetch_related(
        Prefetch(
            "partnership__members",
            queryset=PartnershipMember.objects.select_related(*people),
        )
    )


@job("did_you_meet", every=EVERY_MINUTE)
def did_you_meet(now: dt.datetime) -> int:
    """After a check-in's time has passed and nobody logged it: "did you meet?". The look-back's
    check-ins whose members were not all asked yet are read a page at a time, each page's
    questions queued at once (notify_many)."""
    not_asked = PartnershipMember.objects.filter(partnership=OuterRef("partnership_id")).exclude(
        queued("did-you-meet:", OuterRef(OuterRef("pk")), ":", OuterRef("person_id"))
    )
    checkins = CheckIn.objects.filter(
        Exists(not_asked),
        status=CheckinStatus.SCHEDULED,
        scheduled_start__lte=now - DID_YOU_MEET_AFTER,
        scheduled_start__gte=now - LOOKBACK,
        partnership__status=PartnershipStatus.ACTIVE,
    )
    created = 0
    for page in by_pk(_with_members(checkins)):
        created += notify_many(
            kind=DID_YOU_MEET,
            template="reminder_did_you_meet",
            messages=[
                Message(
                    person=person,
                    context={
                        "checkin_id": checkin.pk,
                        "partnership_id": checkin.partnership.pk,
                        "partners": partner_names(checkin.partnership, person),
                        "when": local_when(checkin.scheduled_start, person.time_zone),
                        "url": f"/o/{checkin.partnership.organization.slug}/",
                    },
                    dedupe_key=f"did-you-meet:{checkin.pk}:{person.pk}",
                    expires_at=checkin.end + DID_YOU_MEET_EXPIRES,
                )
                for checkin in page
                if checkin.end + DID_YOU_MEET_AFTER <= now
                for person in members_of(checkin.partnership)
            ],
        )
    return created


@job("cadence_nudges", every=EVERY_MINUTE)
def cadence_nudges(now: dt.datetime) -> int:
    """No check-in held within 1.5x the program's cadence: a gentle nudge to each member, once
    per gap (the key names the last meeting). After 6x the cadence the pair is long stalled:
    the program manager has it, and no more nudges go.

    Which pairs are due is one query per program (cadence.nudge_due_in_program), so pairs that
    keep their cadence cost nothing here. The key names a moment, so the query cannot leave out
    the pairs already nudged: each page is read by the columns that make the keys, the queued
    ones are looked up (queued_keys), and only pairs with a nudge still to queue are loaded in
    full and queued at once (notify_many)."""
    programs = Program.objects.filter(
        Exists(Partnership.objects.filter(program=OuterRef("pk"), status=PartnershipStatus.ACTIVE))
    )
    created = 0
    for program in programs:
        due = nudge_due_in_program(
            program, factor=NUDGE_AFTER_CADENCES, until=NUDGES_STOP_AFTER_CADENCES, now=now
        )
        for page in by_pk(due.only("pk", "started_on", "created")):
            baselines = {p.pk: cadence_baseline(p) for p in page}
            keys = {
                _nudge_key(partnership_id, person_id, baselines[partnership_id]): partnership_id
                for partnership_id, person_id in PartnershipMember.objects.filter(
                    partnership__in=page
                ).values_list("partnership_id", "person_id")
            }
            todo = set(keys) - queued_keys(sorted(keys))
            if not todo:
                continue
            pairs = (
                due.filter(pk__in={keys[k] for k in todo})
                .select_related("program", "organization")
                .prefetch_related("members__person")
            )
            messages = []
            for partnership in pairs:
                baseline = cadence_baseline(partnership)
                for member in partnership.members.all():
                    person = member.person
                    key = _nudge_key(partnership.pk, person.pk, baseline)
                    if key not in todo:
                        continue
                    messages.append(
                        Message(
                            person=person,
                            context={
                                "partnership_id": partnership.pk,
                                "partners": partner_names(partnership, person),
                                "weeks": partnership.program.checkin_every_weeks,
                                "since": local_when(baseline, person.time_zone),
                                "met_before": getattr(partnership, "last_held", None) is not None,
                                "url": f"/o/{partnership.organization.slug}/",
                            },
                            dedupe_key=key,
                            expires_at=now + NUDGE_EXPIRES,
                        )
                    )
            created += notify_many(kind=NUDGE, template="nudge_cadence", messages=messages)
    return created


def _nudge_key(partnership_id: int, person_id: int, baseline: dt.datetime) -> str:
    return f"cadence-nudge:{partnership_id}:{person_id}:{baseline.isoformat()}"


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
        stalled = stalled_partnerships(program, now=now, limit=50)
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
            ],
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
