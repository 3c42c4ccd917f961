"""Demo data for the partnership space: pairs in every state, with goals, check-ins, notes,
feedback and a wellbeing pulse history — deterministic for a seed.

Runs after the programs demo step when there is one; with no partnerships yet it makes its own
program ("Peer partners 2026") and pairs. Everything goes through the services, so the demo
looks exactly like real use (private notes are encrypted, feedback is revealed by the rules).
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from twoway.accounts.models import Membership, Organization, Role
from twoway.feedback.models import PulseResponse
from twoway.feedback.services import feedback_write, fit_check_set, pulse_record
from twoway.goals.models import Goal
from twoway.goals.services import goal_create, goal_progress, milestone_add
from twoway.meetings.models import CheckIn, CheckinStatus
from twoway.meetings.services import (
    checkin_log,
    checkin_log_informal,
    checkin_schedule_set,
    private_note_save,
    shared_note_add,
)
from twoway.partnerships.models import Reflection
from twoway.partnerships.services import partnership_close, reflection_save
from twoway.people.models import Person
from twoway.programs.models import (
    OPEN_PARTNERSHIP_STATUSES,
    Partnership,
    PartnershipMember,
    Program,
    ProgramStatus,
)
from twoway.programs.services import partnership_create
from twoway.support.services import uncertain_flag_set

PROGRAM_NAME = "Peer partners 2026"
SHARED_NOTES = [
    "Talked through **the quarterly planning** mess.\n\n- try writing the one-pager first\n"
    "- ask for feedback early",
    "Walked through a real client call recording. Next time: *discovery questions*.",
    "Mostly about workload. Agreed to try time-boxing Fridays.",
    "Practised the exec update — much tighter on the second run.",
]
PRIVATE_NOTES = [
    "I was nervous to admit I don't get the pricing model. Glad I did.",
    "Felt a bit drained today; keep an eye on my Friday workload.",
    "Their tip about pre-reads worked in Monday's meeting.",
    "I want to ask about the promotion path next time, but carefully.",
]
WORDS = ["tired", "hopeful", "busy", "curious", "calmer", "proud", "steady"]


def _participant(org: Organization) -> Person | None:
    membership = (
        Membership.objects.filter(organization=org, role=Role.PARTICIPANT)
        .select_related("user")
        .order_by("user__email")
        .first()
    )
    if membership is None:
        return None
    return Person.objects.filter(organization=org, user=membership.user).first()


def _program(org: Organization) -> Program:
    program = Program.objects.filter(organization=org, name=PROGRAM_NAME).first()
    if program is None:
        program = Program.objects.create(
            organization=org,
            name=PROGRAM_NAME,
            description="Peers at roughly the same level help each other grow.",
            status=ProgramStatus.OPEN,
            hr_contact_name=org.hr_contact_name or "People team",
            hr_contact_email=org.hr_contact_email or f"people@{org.slug}.example",
        )
    return program


def _free_people(org: Organization, rng: random.Random, exclude: set[int]) -> list[Person]:
    busy = set(
        PartnershipMember.objects.filter(
            partnership__organization=org, partnership__status__in=OPEN_PARTNERSHIP_STATUSES
        ).values_list("person_id", flat=True)
    )
    people = list(
        Person.objects.filter(organization=org, is_active=True)
        .exclude(pk__in=busy | exclude)
        .order_by("pk")[:400]
    )
    rng.shuffle(people)
    return people


def _history(
    partnership: Partnership,
    people: list[Person],
    rng: random.Random,
    *,
    weeks_ago: int,
    pulse_for: Person | None,
) -> list[CheckIn]:
    """A schedule agreed `weeks_ago`, its past occurrences held (one missed), notes, pulses."""
    a, b = people[0], people[1]
    now = timezone.now()
    start = now - dt.timedelta(weeks=weeks_ago)
    checkin_schedule_set(
        partnership=partnership,
        by=a,
        weekday=rng.choice([1, 2, 3]),
        local_time=dt.time(rng.choice([9, 10, 14, 15]), rng.choice([0, 30])),
        time_zone=a.time_zone,
        every_weeks=2,
        duration_minutes=30,
        mode=rng.choice(["video", "in_person"]),
        location="",
        now=start,
    )
    past = list(
        CheckIn.objects.filter(partnership=partnership, scheduled_start__lt=now).order_by(
            "scheduled_start"
        )
    )
    missed_index = 1 if len(past) >= 3 else -1
    for i, checkin in enumerate(past):
        status = CheckinStatus.MISSED if i == missed_index else CheckinStatus.HELD
        checkin_log(checkin=checkin, by=people[i % 2], status=status)
        if status == CheckinStatus.MISSED:
            continue
        shared_note_add(checkin=checkin, by=people[i % 2], body=SHARED_NOTES[i % len(SHARED_NOTES)])
        private_note_save(checkin=checkin, by=a, text=PRIVATE_NOTES[i % len(PRIVATE_NOTES)])
        if i % 2 == 0:
            private_note_save(checkin=checkin, by=b, text=PRIVATE_NOTES[(i + 1) % 4])
    held = [c for c in past if c.status == CheckinStatus.HELD]
    if pulse_for is not None:
        _pulses(pulse_for, partnership, held, rng)
    return held


def _pulses(
    person: Person, partnership: Partnership, held: list[CheckIn], rng: random.Random
) -> None:
    """A few months of answers with a visible trend: belonging and confidence up, stress down.

    Earlier answers (before this partnership's check-ins) have no check-in; one a fortnight.
    """
    now = timezone.now()
    moments: list[tuple[dt.datetime, CheckIn | None]] = [
        (now - dt.timedelta(weeks=w), None) for w in (22, 20, 18, 16, 14)
    ]
    moments += [(c.scheduled_start + dt.timedelta(minutes=35), c) for c in held]
    total = len(moments)
    for i, (when, checkin) in enumerate(moments):
        t = i / max(total - 1, 1)
        pulse = pulse_record(
            person=person,
            partnership=partnership if checkin else None,
            checkin=checkin,
            scores={
                "belonging": min(5, max(1, round(2 + 2.4 * t + rng.uniform(-0.4, 0.4)))),
                "stress": min(5, max(1, round(4.2 - 2 * t + rng.uniform(-0.4, 0.4)))),
                "confidence": min(5, max(1, round(2.2 + 2 * t + rng.uniform(-0.4, 0.4)))),
                "energy": min(5, max(1, round(3 + rng.uniform(-1, 1)))),
            },
            word=rng.choice(WORDS),
        )
        PulseResponse.objects.filter(pk=pulse.pk).update(created=when)


def _goals(partnership: Partnership, people: list[Person], rng: random.Random) -> None:
    templates = list(partnership.program.goal_templates or ["Career advice"])
    for n, person in enumerate(people):
        picks = rng.sample(templates, k=min(2, len(templates)))
        for k, template in enumerate(picks):
            goal = goal_create(
                partnership=partnership,
                owner=person,
                template=template,
                title=template,
                description="What good looks like: one concrete step every check-in.",
                is_private=(n == 0 and k == 1),
            )
            milestone_add(
                goal=goal,
                by=person,
                title="First small step",
                due_on=timezone.localdate() + dt.timedelta(weeks=2 + k),
            )
            if k == 0:
                goal_progress(
                    goal=goal,
                    by=person,
                    progress=rng.choice([30, 50, 70]),
                    status="active",
                    note="Tried it twice this month.",
                )
        if n == 1:
            own = goal_create(
                partnership=partnership,
                owner=person,
                title="Speak up earlier in planning meetings",
            )
            goal_progress(
                goal=own, by=person, progress=100, status="achieved", note="Did it three times!"
            )


def _feedback_exchange(partnership: Partnership, people: list[Person], both: bool) -> None:
    a, b = people[0], people[1]
    feedback_write(
        partnership=partnership,
        author=b,
        subject=a,
        answers={
            "appreciated": "You came prepared every time and asked sharp questions.",
            "situation": "In our check-in on pricing",
            "behaviour": "you admitted what you did not know yet",
            "impact": "it made it easy for me to be honest too",
            "keep": "Bringing a real example each time.",
        },
    )
    if both:
        feedback_write(
            partnership=partnership,
            author=a,
            subject=b,
            answers={
                "appreciated": "Your client stories made the theory click.",
                "start": "Telling me when my questions go off track.",
                "keep": "The follow-up notes after each call.",
            },
        )


def _participants_pair(
    org: Organization,
    program: Program,
    participant: Person,
    rng: random.Random,
    taken: set[int],
) -> tuple[Partnership | None, Person | None, int]:
    today = timezone.localdate()
    existing = (
        Partnership.objects.filter(
            organization=org,
            members__person=participant,
            status__in=OPEN_PARTNERSHIP_STATUSES,
            started_on__lte=today - dt.timedelta(weeks=4),
        )
        .order_by("started_on", "pk")
        .first()
    )
    if existing is not None and not CheckIn.objects.filter(partnership=existing).exists():
        peer = (
            PartnershipMember.objects.filter(partnership=existing)
            .exclude(person=participant)
            .select_related("person")
            .first()
        )
        if peer is not None and existing.started_on is not None:
            taken.add(peer.person_id)
            weeks = max(2, (today - existing.started_on).days // 7)
            return existing, peer.person, weeks
    free = [p for p in _free_people(org, rng, taken) if p.pk != participant.pk]
    if not free:
        return None, None, 0
    taken.add(free[0].pk)
    pair = partnership_create(
        program=program,
        people=[participant, free[0]],
        source="hand",
        reasons=["Close levels, different teams", "Each can teach the other something"],
        start=today - dt.timedelta(weeks=12),
    )
    return pair, free[0], 11


def seed_demo(*, org: Organization, seed: int) -> None:
    rng = random.Random(f"partnership-space-{seed}")
    program = _program(org)
    participant = _participant(org)
    taken: set[int] = set()

    # 1. The demo participant's own active partnership, with a few months of history: the one
    #    the programs step made when it is old enough to have one, else a new one.
    if participant is not None:
        taken.add(participant.pk)
        pair, peer, weeks = _participants_pair(org, program, participant, rng, taken)
        if pair is not None and peer is not None:
            people = [participant, peer]
            held = _history(pair, people, rng, weeks_ago=weeks, pulse_for=participant)
            _goals(pair, people, rng)
            _feedback_exchange(pair, people, both=True)
            fit_check_set(partnership=pair, person=participant, answer="good")
            fit_check_set(partnership=pair, person=peer, answer="good")
            checkin_log_informal(
                partnership=pair,
                by=peer,
                start=timezone.now() - dt.timedelta(days=3),
                minutes=15,
                summary="Coffee chat about the reorg",
            )
            if held:
                _pulses(peer, pair, held[-2:], rng)

    # 2. More pairs in every state: new, meeting regularly, feedback pending, uncertain,
    #    completed with reflections, ended early.
    free = _free_people(org, rng, taken)
    states = ["new", "regular", "pending_feedback", "uncertain", "completed", "ended"]
    for state in states:
        if len(free) < 2:
            break
        people = [free.pop(), free.pop()]
        weeks = 16 if state in ("completed", "ended") else 8
        pair = partnership_create(
            program=program,
            people=people,
            source="round",
            reasons=["Reciprocal skills"],
            start=timezone.localdate() - dt.timedelta(weeks=weeks),
        )
        if state == "new":
            _goals(pair, people, rng)
            continue
        _history(pair, people, rng, weeks_ago=weeks - 1, pulse_for=people[0])
        _goals(pair, people, rng)
        if state == "regular":
            _feedback_exchange(pair, people, both=True)
            fit_check_set(partnership=pair, person=people[0], answer="good")
        elif state == "pending_feedback":
            _feedback_exchange(pair, people, both=False)
            fit_check_set(partnership=pair, person=people[1], answer="deciding")
        elif state == "uncertain":
            uncertain_flag_set(partnership=pair, person=people[1], uncertain=True)
            fit_check_set(partnership=pair, person=people[1], answer="deciding")
        elif state == "completed":
            _feedback_exchange(pair, people, both=True)
            partnership_close(
                partnership=pair,
                by=people[0],
                completed=True,
                reason="We reached both goals.",
                rematch=False,
            )
            for n, person in enumerate(people):
                reflection_save(
                    partnership=pair,
                    author=person,
                    learned="How to run a tighter meeting." if n == 0 else "Pricing basics.",
                    taught="Client discovery." if n == 0 else "Facilitation tricks.",
                    shared=True,
                )
        else:
            fit_check_set(partnership=pair, person=people[0], answer="not_a_fit")
            partnership_close(
                partnership=pair,
                by=people[0],
                completed=False,
                reason="Our schedules never lined up.",
                rematch=True,
            )
            Reflection.objects.get_or_create(
                partnership=pair, author=people[0], defaults={"learned": "Say it early."}
            )

    # 3. Partnerships made by the programs demo step get goals, so no pair looks empty.
    existing = (
        Partnership.objects.filter(organization=org, status__in=OPEN_PARTNERSHIP_STATUSES)
        .exclude(program=program)
        .prefetch_related("members__person", "program")
        .order_by("pk")[:10]
    )
    for pair in existing:
        members = [m.person for m in pair.members.all()]
        if len(members) >= 2 and not Goal.objects.filter(partnership=pair).exists():
            _goals(pair, members[:2], rng)
