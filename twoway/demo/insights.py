"""Demo history for program insights: months of check-ins, pulse answers that change, goals,
fit checks, closing surveys, an earlier cohort and people who left — deterministic for a seed.

Runs after the programs and partnership-space steps. The other steps make pairs of many ages but
give only a few of them a history; a dashboard needs the history of all of them, so this step
fills what is missing with bulk inserts (plain rows, as the other apps store them), leaves every
partnership that already has check-ins alone, and ends by running the aggregation so the
dashboard is ready at once.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Min
from django.utils import timezone

from twoway.accounts.models import Organization
from twoway.feedback.models import FitAnswer, FitCheck, PulseResponse
from twoway.goals.models import Goal, GoalEvent, GoalEventKind, GoalStatus
from twoway.insights.aggregate import HAPPENED, PULSE_ITEMS, refresh_org
from twoway.insights.models import ClosingSurvey
from twoway.meetings.models import CheckIn, CheckinKind, CheckinStatus
from twoway.people.models import Person
from twoway.programs.models import (
    Enrolment,
    Partnership,
    PartnershipMember,
    PartnershipSource,
    PartnershipStatus,
    Program,
    ProgramKind,
)

COHORT_PAIRS = 22
# What two months of peer mentoring does to the pulse, per month, on average (the demo's story).
TREND = {"belonging": 0.35, "stress": -0.28, "confidence": 0.3, "energy": 0.06}
BASE = {"belonging": 2.8, "stress": 3.5, "confidence": 2.9, "energy": 3.1}


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _main_program(org: Organization) -> Program | None:
    return (
        Program.objects.filter(organization=org, kind=ProgramKind.PEER_PAIRS)
        .order_by("created", "pk")
        .first()
    )


def _earlier_cohort(org: Organization, program: Program, rng: random.Random) -> None:
    """Pairs from a first cohort 15-18 months ago, completed or ended early; a few of them left
    the company afterwards (fewer than among everyone else: the demo's retention story)."""
    today = timezone.localdate()
    enrolled = set(
        Enrolment.objects.filter(program__organization=org).values_list("person_id", flat=True)
    )
    members = set(
        PartnershipMember.objects.filter(partnership__organization=org).values_list(
            "person_id", flat=True
        )
    )
    candidates = list(
        Person.objects.filter(organization=org, is_active=True, user__isnull=True)
        .exclude(pk__in=enrolled | members)
        .filter(hire_date__lte=today - dt.timedelta(days=600))
        .order_by("pk")
    )
    rng.shuffle(candidates)
    people = candidates[: COHORT_PAIRS * 2]
    for i in range(0, len(people) - 1, 2):
        a, b = people[i], people[i + 1]
        start = today - dt.timedelta(days=rng.randint(460, 550))
        early = rng.random() < 0.2
        end = start + dt.timedelta(weeks=rng.randint(8, 16) if early else program.term_weeks)
        pair = Partnership.objects.create(
            organization=org,
            program=program,
            status=PartnershipStatus.ENDED if early else PartnershipStatus.COMPLETED,
            source=PartnershipSource.ROUND,
            reasons=["Reciprocal skills", "Close levels, different teams"],
            started_on=start,
            ends_on=start + dt.timedelta(weeks=program.term_weeks),
            ended_at=_at(end, 17),
            ended_by=a,
            created=_at(start, 9),
        )
        for person in (a, b):
            PartnershipMember.objects.create(
                partnership=pair,
                person=person,
                joined=_at(start, 9),
                fit_rating=rng.choice([1, 2, 3]) if early else rng.choice([4, 4, 5, 5, 3]),
            )
            Enrolment.objects.create(
                program=program,
                person=person,
                goals="Grow with a peer",
                created=_at(start - dt.timedelta(days=rng.randint(5, 25))),
            )
            if rng.random() < 0.05:
                left = end + dt.timedelta(days=rng.randint(30, 300))
                if left < today:
                    Person.objects.filter(pk=person.pk).update(left_on=left, is_active=False)


def _more_leavers(org: Organization, rng: random.Random) -> None:
    """Turnover among people who never took part: about one in two over the last 3 years."""
    today = timezone.localdate()
    involved = set(
        PartnershipMember.objects.filter(partnership__organization=org).values_list(
            "person_id", flat=True
        )
    ) | set(Enrolment.objects.filter(program__organization=org).values_list("person_id", flat=True))
    managers = set(
        Person.objects.filter(organization=org, manager__isnull=False).values_list(
            "manager_id", flat=True
        )
    )
    for pk, hired in (
        Person.objects.filter(organization=org, is_active=True, user__isnull=True)
        .exclude(pk__in=involved | managers)
        .order_by("pk")
        .values_list("pk", "hire_date")
    ):
        if hired is None or rng.random() > 0.55:
            continue
        earliest = max(hired + dt.timedelta(days=45), today - dt.timedelta(days=3 * 365))
        if earliest >= today - dt.timedelta(days=7):
            continue
        left = earliest + dt.timedelta(days=rng.randint(0, (today - earliest).days - 7))
        Person.objects.filter(pk=pk).update(left_on=left, is_active=False)


def _backdate_enrolments(org: Organization, rng: random.Random) -> None:
    """Enrolment comes before the match: move each enrolment to before its first partnership."""
    firsts = {
        (row["program_id"], row["members__person_id"]): row["first"]
        for row in Partnership.objects.filter(organization=org, started_on__isnull=False)
        .values("program_id", "members__person_id")
        .annotate(first=Min("started_on"))
    }
    now = timezone.now()
    for e in Enrolment.objects.filter(program__organization=org).order_by("pk"):
        first = firsts.get((e.program_id, e.person_id))
        if first is not None:
            when = _at(first - dt.timedelta(days=rng.randint(3, 20)))
        else:
            when = now - dt.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 20))
        if when < e.created:
            Enrolment.objects.filter(pk=e.pk).update(created=when)


def _history(org: Organization, rng: random.Random) -> None:
    """Check-ins, pulses, goals, fit checks and closing surveys for every pair without any."""
    now = timezone.now()
    with_checkins = set(
        CheckIn.objects.filter(partnership__organization=org).values_list(
            "partnership_id", flat=True
        )
    )
    with_goals = set(
        Goal.objects.filter(partnership__organization=org).values_list("partnership_id", flat=True)
    )
    with_pulses = set(
        PulseResponse.objects.filter(person__organization=org).values_list("person_id", flat=True)
    )
    fit_done = set(
        FitCheck.objects.filter(partnership__organization=org).values_list(
            "partnership_id", "person_id"
        )
    )
    pairs = list(
        Partnership.objects.filter(organization=org, status__in=HAPPENED, started_on__isnull=False)
        .select_related("program")
        .prefetch_related("members__person")
        .order_by("pk")
    )
    checkins: list[CheckIn] = []
    goals: list[tuple[Goal, dt.datetime | None, str]] = []
    fits: list[FitCheck] = []
    surveys: list[ClosingSurvey] = []
    pulse_plan: list[tuple[Person, Partnership, list[CheckIn]]] = []
    for pair in pairs:
        people = [m.person for m in pair.members.all()]
        if len(people) < 2:
            continue
        assert pair.started_on is not None
        every = dt.timedelta(weeks=pair.program.checkin_every_weeks)
        stop = pair.ended_at or now
        profile = rng.choices(["steady", "patchy", "faded"], weights=[6, 3, 1])[0]
        fade_at = pair.started_on + dt.timedelta(days=rng.randint(20, 60))
        held: list[CheckIn] = []
        if pair.pk not in with_checkins:
            when = _at(
                pair.started_on + dt.timedelta(days=rng.choice([3, 5, 7, 9, 12, 16, 25])),
                rng.choice([9, 10, 14, 15]),
            )
            while when < stop - dt.timedelta(hours=1):
                if (
                    profile == "faded"
                    and pair.status == PartnershipStatus.ACTIVE
                    and when.date() > fade_at
                ):
                    break
                p_held = 0.92 if profile == "steady" else 0.7
                status = CheckinStatus.HELD if rng.random() < p_held else CheckinStatus.MISSED
                c = CheckIn(
                    partnership=pair,
                    kind=CheckinKind.SCHEDULED,
                    scheduled_start=when,
                    duration_minutes=pair.program.checkin_minutes,
                    status=status,
                    logged_by=people[len(checkins) % 2],
                    logged_at=when + dt.timedelta(hours=1),
                    created=when - dt.timedelta(days=14),
                )
                checkins.append(c)
                if status == CheckinStatus.HELD:
                    held.append(c)
                when += every + dt.timedelta(days=rng.choice([0, 0, 0, 1, -1, 2]))
            for person in people:
                if person.pk not in with_pulses and rng.random() < 0.8:
                    pulse_plan.append((person, pair, held))
                    with_pulses.add(person.pk)
        if pair.pk not in with_goals:
            templates = list(pair.program.goal_templates or ["Career advice"])
            for person in people:
                for _ in range(rng.choice([1, 1, 2])):
                    own = rng.random() < 0.15
                    template = "" if own else rng.choice(templates)
                    created = _at(pair.started_on + dt.timedelta(days=rng.randint(1, 20)), 11)
                    if created > now:
                        created = now - dt.timedelta(hours=1)
                    age = (min(stop, now) - created).days
                    r = rng.random()
                    goal_status: str = (
                        GoalStatus.ACHIEVED
                        if r < min(0.6, age / 250)
                        else GoalStatus.DROPPED
                        if r > 0.92
                        else GoalStatus.ACTIVE
                    )
                    done = (
                        created + dt.timedelta(days=rng.randint(min(20, age), max(age, 21)))
                        if goal_status != GoalStatus.ACTIVE
                        else None
                    )
                    if done is not None and done > now:
                        done = now - dt.timedelta(hours=2)
                    goal = Goal(
                        partnership=pair,
                        owner=person,
                        template=template,
                        title=template or "Speak up earlier in planning meetings",
                        status=goal_status,
                        progress=100
                        if goal_status == GoalStatus.ACHIEVED
                        else rng.choice([10, 40, 60]),
                        created=created,
                    )
                    goals.append((goal, done, goal_status))
        if held or pair.pk in with_checkins:
            ended_early = pair.status == PartnershipStatus.ENDED
            for person in people:
                if (pair.pk, person.pk) in fit_done or rng.random() > 0.75:
                    continue
                answer = rng.choices(
                    [FitAnswer.GOOD, FitAnswer.DECIDING, FitAnswer.NOT_A_FIT],
                    weights=[2, 3, 4] if ended_early else [14, 4, 1],
                )[0]
                fits.append(FitCheck(partnership=pair, person=person, answer=answer))
        if pair.status in (PartnershipStatus.COMPLETED, PartnershipStatus.ENDED):
            for person in people:
                if person.user_id is None and rng.random() < 0.85:
                    value = (
                        rng.choice([3, 5, 6, 7, 7, 8, 9])
                        if pair.status == PartnershipStatus.ENDED
                        else rng.choice([6, 7, 8, 8, 9, 9, 9, 10, 10, 10])
                    )
                    surveys.append(
                        ClosingSurvey(
                            partnership=pair,
                            person=person,
                            recommend=value,
                            created=pair.ended_at or now,
                        )
                    )
    CheckIn.objects.bulk_create(checkins, batch_size=1000)
    Goal.objects.bulk_create([g for g, _, _ in goals], batch_size=1000)
    events = []
    for goal, done, goal_status in goals:
        events.append(
            GoalEvent(
                goal=goal,
                actor=goal.owner,
                kind=GoalEventKind.CREATED,
                changes={"title": [None, goal.title]},
                created=goal.created,
            )
        )
        if done is not None:
            events.append(
                GoalEvent(
                    goal=goal,
                    actor=goal.owner,
                    kind=GoalEventKind.STATUS,
                    changes={"status": ["active", goal_status]},
                    created=done,
                )
            )
    GoalEvent.objects.bulk_create(events, batch_size=1000)
    for goal, done, _ in goals:
        if done is not None:
            Goal.objects.filter(pk=goal.pk).update(updated=done)
    FitCheck.objects.bulk_create(fits, batch_size=1000)
    ClosingSurvey.objects.bulk_create(surveys, batch_size=1000, ignore_conflicts=True)
    _pulses(pulse_plan, rng)


def _pulses(plan: list[tuple[Person, Partnership, list[CheckIn]]], rng: random.Random) -> None:
    rows = []
    for person, pair, held in plan:
        assert pair.started_on is not None
        start = _at(pair.started_on, 9)
        # Each person has their own level and their own response to the program.
        level = {item: BASE[item] + rng.uniform(-0.9, 0.9) for item in PULSE_ITEMS}
        response = rng.gauss(1.0, 0.7)

        def score(
            item: str, months: float, level: dict[str, float] = level, response: float = response
        ) -> int:
            effect = TREND[item] * min(months, 5) * response
            value = level[item] + effect + rng.gauss(0, 0.5)
            return max(1, min(5, round(value)))

        baseline = start - dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
        rows.append(
            PulseResponse(
                person=person,
                created=baseline,
                word="",
                **{item: score(item, 0) for item in PULSE_ITEMS},
            )
        )
        for c in held:
            if rng.random() > 0.65:
                continue
            months = (c.scheduled_start - start).days / 30.4
            rows.append(
                PulseResponse(
                    person=person,
                    partnership=pair,
                    checkin=c,
                    created=c.scheduled_start + dt.timedelta(minutes=35),
                    **{item: score(item, months) for item in PULSE_ITEMS},
                )
            )
    PulseResponse.objects.bulk_create(rows, batch_size=1000)


def seed_demo(*, org: Organization, seed: int) -> None:
    rng = random.Random(f"insights-{seed}")
    program = _main_program(org)
    if program is None:
        return
    _earlier_cohort(org, program, rng)
    _more_leavers(org, rng)
    _backdate_enrolments(org, rng)
    _history(org, rng)
    first = Program.objects.filter(organization=org).aggregate(
        first=Min("partnerships__started_on")
    )["first"]
    today = timezone.localdate()
    refresh_org(org, start=first or today - dt.timedelta(days=1), end=today)
