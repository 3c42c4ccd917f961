"""Reminder and nudge rules, run by the worker's clock (worker.default_jobs).

Every rule is safe to run again at any time: each message it writes has a dedupe key naming the
occurrence it is about (`checkin-reminder:<checkin>:<person>:<minutes>:<start>` …), so a second
run, a second worker or a restart writes nothing new. Each rule also looks back only a bounded
time, so deploying it does not wake up years of history.
Quiet hours, pauses and channels are not the rules' business: the worker applies them when it
sends.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Sequence

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from twoway.accounts.models import Membership, Role
from twoway.notifications.models import NotificationSettings, default_reminder_offsets
from twoway.notifications.selectors import (
    NUDGE_AFTER_CADENCES,
    cadence_baseline,
    local_when,
    overdue_partnerships,
    stalled_partnerships,
)
from twoway.notifications.services import notify
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

log = logging.getLogger(__name__)

REQUEST_REMINDER_AFTER = dt.timedelta(days=5)
REQUEST_EXPIRES_AFTER = dt.timedelta(days=14)
GOALS_NOT_SET_AFTER = dt.timedelta(days=7)
DID_YOU_MEET_AFTER = dt.timedelta(minutes=15)
FEEDBACK_REMIND_BEFORE_DEADLINE = dt.timedelta(days=3)
# How far back a rule looks: older occurrences are left alone.
LOOKBACK = dt.timedelta(days=14)
REMINDER_OFFSET_CHOICES = [2 * 24 * 60, 24 * 60, 60, 15]
DIGEST_HOUR = 8


def _org_url(slug: str, path: str = "") -> str:
    return f"/o/{slug}/{path}"


def _members(partnership: Partnership) -> list[Person]:
    return [m.person for m in partnership.members.all()]


def _partner_names(partnership: Partnership, person: Person) -> list[str]:
    return [p.name for p in _members(partnership) if p.pk != person.pk]


def _active_partnerships() -> QuerySet[Partnership]:
    return (
        Partnership.objects.filter(status=PartnershipStatus.ACTIVE)
        .select_related("program", "organization")
        .prefetch_related(
            Prefetch("members", queryset=PartnershipMember.objects.select_related("person"))
        )
    )


# --- check-ins -------------------------------------------------------------------------------


def checkin_reminders(now: dt.datetime) -> int:
    """Before a check-in, at each person's chosen offsets (default 24 h and 15 min). When a rule
    run is late (a check-in booked an hour ahead), only the nearest due reminder goes out."""
    from twoway.meetings.models import CheckIn, CheckinStatus

    horizon = now + dt.timedelta(minutes=max(REMINDER_OFFSET_CHOICES) + 1)
    checkins = (
        CheckIn.objects.filter(
            status=CheckinStatus.SCHEDULED,
            scheduled_start__gt=now,
            scheduled_start__lte=horizon,
            partnership__status=PartnershipStatus.ACTIVE,
        )
        .select_related("partnership__organization")
        .prefetch_related(
            Prefetch(
                "partnership__members",
                queryset=PartnershipMember.objects.select_related(
                    "person", "person__notification_settings"
                ),
            )
        )
    )
    created = 0
    for checkin in checkins:
        partnership = checkin.partnership
        for person in _members(partnership):
            settings_row: NotificationSettings | None = getattr(
                person, "notification_settings", None
            )
            offsets = settings_row.reminder_offsets if settings_row else default_reminder_offsets()
            passed = [
                int(m)
                for m in offsets
                if checkin.scheduled_start - dt.timedelta(minutes=int(m)) <= now
            ]
            if not passed:
                continue
            minutes = min(passed)
            created += bool(
                notify(
                    person=person,
                    kind="checkin_reminder",
                    template="reminder_checkin",
                    context={
                        "checkin_id": checkin.pk,
                        "partnership_id": partnership.pk,
                        "partners": _partner_names(partnership, person),
                        "when": local_when(checkin.scheduled_start, person.time_zone),
                        "minutes_before": minutes,
                        "duration": checkin.duration_minutes,
                        "url": _org_url(partnership.organization.slug),
                    },
                    dedupe_key=(
                        f"checkin-reminder:{checkin.pk}:{person.pk}:{minutes}:"
                        f"{checkin.scheduled_start.isoformat()}"
                    ),
                )
            )
    return created


def did_you_meet(now: dt.datetime) -> int:
    """After a check-in's time has passed and nobody logged it: "did you meet?"."""
    from twoway.meetings.models import CheckIn, CheckinStatus

    created = 0
    checkins = (
        CheckIn.objects.filter(
            status=CheckinStatus.SCHEDULED,
            scheduled_start__lte=now,
            scheduled_start__gte=now - LOOKBACK,
            partnership__status=PartnershipStatus.ACTIVE,
        )
        .select_related("partnership__organization")
        .prefetch_related(
            Prefetch(
                "partnership__members", queryset=PartnershipMember.objects.select_related("person")
            )
        )
    )
    for checkin in checkins:
        if checkin.end + DID_YOU_MEET_AFTER > now:
            continue
        partnership = checkin.partnership
        for person in _members(partnership):
            created += bool(
                notify(
                    person=person,
                    kind="did_you_meet",
                    template="reminder_did_you_meet",
                    context={
                        "checkin_id": checkin.pk,
                        "partnership_id": partnership.pk,
                        "partners": _partner_names(partnership, person),
                        "when": local_when(checkin.scheduled_start, person.time_zone),
                        "url": _org_url(partnership.organization.slug),
                    },
                    dedupe_key=f"did-you-meet:{checkin.pk}:{person.pk}",
                )
            )
    return created


def cadence_nudges(now: dt.datetime) -> int:
    """No check-in held within 1.5x the program's cadence: a gentle nudge to each member, once
    per gap (the key names the last meeting)."""
    created = 0
    for partnership in overdue_partnerships(factor=NUDGE_AFTER_CADENCES, now=now):
        baseline = cadence_baseline(partnership)
        if now - baseline > dt.timedelta(weeks=partnership.program.checkin_every_weeks * 6):
            continue  # long stalled: the program manager has it; no more nudges
        for member in partnership.members.all():
            person = member.person
            created += bool(
                notify(
                    person=person,
                    kind="nudge",
                    template="nudge_cadence",
                    context={
                        "partnership_id": partnership.pk,
                        "partners": _partner_names(partnership, person),
                        "weeks": partnership.program.checkin_every_weeks,
                        "since": local_when(baseline, person.time_zone),
                        "met_before": getattr(partnership, "last_held", None) is not None,
                        "url": _org_url(partnership.organization.slug),
                    },
                    dedupe_key=f"cadence-nudge:{partnership.pk}:{person.pk}:{baseline.isoformat()}",
                )
            )
    return created


def fit_checks(now: dt.datetime) -> int:
    """After the pair's first held check-in: "is this a good fit?" to whoever has not said."""
    from twoway.feedback.models import FitCheck
    from twoway.meetings.models import CheckIn, CheckinStatus

    created = 0
    held = CheckIn.objects.filter(
        status=CheckinStatus.HELD,
        scheduled_start__lte=now,
        partnership__status=PartnershipStatus.ACTIVE,
    )
    first_by_pair: dict[int, dt.datetime] = {}
    for pid, start in held.order_by("scheduled_start").values_list(
        "partnership_id", "scheduled_start"
    ):
        first_by_pair.setdefault(pid, start)
    recent = [pid for pid, start in first_by_pair.items() if start >= now - LOOKBACK]
    answered = set(
        FitCheck.objects.filter(partnership_id__in=recent).values_list(
            "partnership_id", "person_id"
        )
    )
    for partnership in _active_partnerships().filter(pk__in=recent):
        for person in _members(partnership):
            if (partnership.pk, person.pk) in answered:
                continue
            created += bool(
                notify(
                    person=person,
                    kind="fit_check",
                    template="reminder_fit_check",
                    context={
                        "partnership_id": partnership.pk,
                        "partners": _partner_names(partnership, person),
                        "url": _org_url(partnership.organization.slug),
                    },
                    dedupe_key=f"fit-check:{partnership.pk}:{person.pk}",
                )
            )
    return created


# --- requests --------------------------------------------------------------------------------


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
                kind="request",
                template="reminder_request",
                context={
                    "request_id": request.pk,
                    "sender": request.sender.name,
                    "program": request.program.name,
                    "days": (now - request.created).days,
                    "url": _org_url(request.receiver.organization.slug),
                },
                dedupe_key=f"request-reminder:{request.pk}",
            )
        )
    return created


def request_expiry(now: dt.datetime) -> int:
    """After 14 days unanswered a request expires, and its sender is told kindly."""
    created = 0
    for request in MatchRequest.objects.filter(
        status=RequestStatus.OPEN, created__lte=now - REQUEST_EXPIRES_AFTER
    ).select_related("sender__organization", "receiver", "program"):
        with transaction.atomic():
            # Conditional: an answer that lands at the same moment wins over the expiry.
            expired = MatchRequest.objects.filter(pk=request.pk, status=RequestStatus.OPEN).update(
                status=RequestStatus.EXPIRED, responded_at=now
            )
            if not expired:
                continue
            created += bool(
                notify(
                    person=request.sender,
                    kind="request",
                    template="nudge_request_expired",
                    context={
                        "request_id": request.pk,
                        "receiver": request.receiver.name,
                        "program": request.program.name,
                        "url": _org_url(request.sender.organization.slug),
                    },
                    dedupe_key=f"request-expired:{request.pk}",
                )
            )
    return created


# --- goals, feedback, the end of a term ----------------------------------------------------


def goals_not_set(now: dt.datetime) -> int:
    """Seven days after a match, a pair with no goal yet gets a friendly prompt."""
    from twoway.goals.models import Goal

    created = 0
    pairs = (
        _active_partnerships()
        .filter(created__lte=now - GOALS_NOT_SET_AFTER, created__gt=now - GOALS_NOT_SET_AFTER * 4)
        .annotate(has_goal=Exists(Goal.objects.filter(partnership=OuterRef("pk"))))
        .filter(has_goal=False)
    )
    for partnership in pairs:
        for person in _members(partnership):
            created += bool(
                notify(
                    person=person,
                    kind="goals",
                    template="reminder_goals",
                    context={
                        "partnership_id": partnership.pk,
                        "partners": _partner_names(partnership, person),
                        "templates": list(partnership.program.goal_templates or [])[:6],
                        "url": _org_url(partnership.organization.slug),
                    },
                    dedupe_key=f"goals-not-set:{partnership.pk}:{person.pk}",
                )
            )
    return created


def feedback_reminders(now: dt.datetime) -> int:
    """Three days before a feedback round's deadline, to members who have not written yet."""
    from twoway.feedback.models import FeedbackEntry, FeedbackRound

    created = 0
    rounds = FeedbackRound.objects.filter(
        deadline__gt=now,
        deadline__lte=now + FEEDBACK_REMIND_BEFORE_DEADLINE,
        partnership__status=PartnershipStatus.ACTIVE,
    ).select_related("partnership__organization")
    for feedback_round in rounds:
        partnership = feedback_round.partnership
        wrote = set(
            FeedbackEntry.objects.filter(round=feedback_round).values_list("author_id", flat=True)
        )
        for member in PartnershipMember.objects.filter(partnership=partnership).select_related(
            "person"
        ):
            person = member.person
            if person.pk in wrote:
                continue
            created += bool(
                notify(
                    person=person,
                    kind="feedback",
                    template="reminder_feedback",
                    context={
                        "round_id": feedback_round.pk,
                        "partnership_id": partnership.pk,
                        "partners": [
                            m.person.name
                            for m in partnership.members.select_related("person")
                            if m.person_id != person.pk
                        ],
                        "deadline": local_when(feedback_round.deadline, person.time_zone),
                        "url": _org_url(partnership.organization.slug),
                    },
                    dedupe_key=f"feedback-reminder:{feedback_round.pk}:{person.pk}",
                )
            )
    return created


def closing_reflections(now: dt.datetime) -> int:
    """At the end of the term: the closing reflection, to members who have not written one."""
    from twoway.partnerships.models import Reflection

    today = now.date()
    created = 0
    pairs = _active_partnerships().filter(
        ends_on__lte=today, ends_on__gt=today - dt.timedelta(days=LOOKBACK.days)
    )
    for partnership in pairs:
        wrote = set(
            Reflection.objects.filter(partnership=partnership).values_list("author_id", flat=True)
        )
        for person in _members(partnership):
            if person.pk in wrote:
                continue
            created += bool(
                notify(
                    person=person,
                    kind="reflection",
                    template="reminder_reflection",
                    context={
                        "partnership_id": partnership.pk,
                        "partners": _partner_names(partnership, person),
                        "program": partnership.program.name,
                        "url": _org_url(partnership.organization.slug),
                    },
                    dedupe_key=f"closing-reflection:{partnership.pk}:{person.pk}",
                )
            )
    return created


# --- weekly ----------------------------------------------------------------------------------


def _week_started(now: dt.datetime, tz_name: str) -> str | None:
    """The ISO week ('2026-W21') when it is past Monday 08:00 in `tz_name`, else None.

    Every day of the week after that qualifies, so a worker that was down on Monday still sends
    the week's digest later (once: the week is in the dedupe key)."""
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(tz)
    if local.weekday() == 0 and local.hour < DIGEST_HOUR:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_digests(now: dt.datetime) -> int:
    """Monday morning, in each person's own time zone: their week, for those who opted in."""
    from twoway.meetings.models import CheckIn, CheckinStatus

    created = 0
    for row in NotificationSettings.objects.filter(
        weekly_digest=True, person__is_active=True
    ).select_related("person__organization"):
        person = row.person
        week = _week_started(now, person.time_zone)
        if week is None:
            continue
        upcoming = [
            local_when(c.scheduled_start, person.time_zone)
            for c in CheckIn.objects.filter(
                partnership__members__person=person,
                partnership__status=PartnershipStatus.ACTIVE,
                status=CheckinStatus.SCHEDULED,
                scheduled_start__gt=now,
                scheduled_start__lte=now + dt.timedelta(days=7),
            ).order_by("scheduled_start")[:10]
        ]
        partners = sorted(
            {
                m.person.name
                for m in PartnershipMember.objects.filter(
                    partnership__members__person=person,
                    partnership__status=PartnershipStatus.ACTIVE,
                )
                .exclude(person=person)
                .select_related("person")
            }
        )
        waiting = MatchRequest.objects.filter(receiver=person, status=RequestStatus.OPEN).count()
        created += bool(
            notify(
                person=person,
                kind="digest",
                template="digest_weekly",
                context={
                    "week": week,
                    "upcoming": upcoming,
                    "partners": partners,
                    "requests_waiting": waiting,
                    "url": _org_url(person.organization.slug),
                },
                dedupe_key=f"digest:{person.pk}:{week}",
            )
        )
    return created


def program_summaries(now: dt.datetime) -> int:
    """Monday morning in the organization's time zone: each program's week, for its managers."""
    created = 0
    programs = Program.objects.filter(
        status__in=[ProgramStatus.OPEN, ProgramStatus.PAUSED]
    ).select_related("organization")
    for program in programs:
        org = program.organization
        week = _week_started(now, org.time_zone)
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
            "url": _org_url(org.slug),
        }
        for person in managers:
            created += bool(
                notify(
                    person=person,
                    kind="program_summary",
                    template="summary_program",
                    context=context,
                    dedupe_key=f"program-summary:{program.pk}:{person.pk}:{week}",
                )
            )
    return created


# --- what the worker's clock runs ----------------------------------------------------------

FREQUENT_RULES = [
    checkin_reminders,
    did_you_meet,
    cadence_nudges,
    fit_checks,
    request_reminders,
    request_expiry,
    goals_not_set,
    feedback_reminders,
    closing_reflections,
]
HOURLY_RULES = [weekly_digests, program_summaries]


def _run(rules: Sequence[Callable[[dt.datetime], int]], now: dt.datetime) -> int:
    """Each rule on its own: one that breaks (a bug, a migration in progress) does not keep the
    others from running; the next tick tries it again."""
    created = 0
    for rule in rules:
        try:
            created += rule(now)
        except Exception:
            log.exception("notification rule %s failed", rule.__name__)
    return created


def run_frequent(now: dt.datetime) -> int:
    return _run(FREQUENT_RULES, now)


def run_hourly(now: dt.datetime) -> int:
    return _run(HOURLY_RULES, now)


def cleanup(now: dt.datetime) -> int:
    """Old job ticks only: outbox rows stay, their dedupe keys are what keeps rules idempotent."""
    from twoway.notifications.models import JobTick

    JobTick.objects.filter(tick__lt=now - dt.timedelta(days=30)).delete()
    return 0
