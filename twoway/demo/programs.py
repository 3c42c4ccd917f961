"""The programs part of `twoway demo`: every state a newcomer should see.

A running peer program with published pairs of various ages, a few partnerships ended early or
completed (with private reasons), people waiting in the pool, open requests, a pending round
draft, and an onboarding-buddy program with new hires matched to buddies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random

from django.utils import timezone

from twoway.accounts.models import Membership, Organization, Role
from twoway.people.models import Direction, Person
from twoway.programs import rounds, services
from twoway.programs.models import (
    Enrolment,
    EnrolmentRole,
    MatchRound,
    Partnership,
    PartnershipMember,
    Program,
    ProgramKind,
    ProgramStatus,
)
from twoway.programs.onboarding import onboarding_start

GOALS = [
    "Get better at presenting to senior leaders",
    "Learn how other teams plan their work",
    "Find my feet after a move to a new team",
    "Grow into leading a small project",
    "Understand our clients better",
    "Get honest feedback on how I come across",
    "Think through whether to go back to study",
    "Learn SQL well enough to answer my own questions",
]

END_REASONS = [
    "Our schedules never lined up.",
    "We wanted different things from it.",
    "I changed teams and have less time right now.",
]


def _enrol(program: Program, person: Person, rng: random.Random, **fields: object) -> Enrolment:
    skills = list(person.skills.all())
    return Enrolment.objects.create(
        program=program,
        person=person,
        offers={str(s.skill_id): s.strength for s in skills if s.direction == Direction.OFFER},
        seeks={str(s.skill_id): s.strength for s in skills if s.direction == Direction.SEEK},
        goals=rng.choice(GOALS),
        meeting_preference=person.meeting_preference,
        **fields,
    )


def seed_demo(*, org: Organization, seed: int) -> None:
    rng = random.Random(seed * 7919)
    today = timezone.localdate()
    manager = (
        Membership.objects.filter(organization=org, role=Role.PROGRAM_MANAGER)
        .select_related("user")
        .first()
    )
    actor = manager.user if manager else None
    participant = Person.objects.filter(
        organization=org,
        user__memberships__role=Role.PARTICIPANT,
        user__memberships__organization=org,
    ).first()
    people = list(
        Person.objects.filter(organization=org, is_active=True, manager__isnull=False)
        .prefetch_related("skills")
        .order_by("id")
    )
    program = Program.objects.create(
        organization=org,
        name="Peer partners 2026",
        description=(
            "Pair up with a colleague at roughly your level from another team. Each of you is good "
            "at something the other is still learning: meet for 30 minutes every two weeks, set a "
            "goal or two, and give each other honest, kind feedback."
        ),
        kind=ProgramKind.PEER_PAIRS,
        status=ProgramStatus.OPEN,
        created_by=actor,
    )
    first_wave = [p for p in people if rng.random() < 0.55]
    if participant is not None and participant not in first_wave:
        first_wave.append(participant)
    for person in first_wave:
        capacity = 2 if participant is not None and person.pk == participant.pk else 1
        _enrol(program, person, rng, capacity=capacity)

    # A published round, started some weeks ago.
    if actor is not None:
        first = rounds.round_create(program=program, actor=actor)
        rounds.round_run(_claim(first))
        rounds.round_publish_now(match_round=first, actor=actor)
    partnerships = list(Partnership.objects.filter(program=program).order_by("id"))
    for i, partnership in enumerate(partnerships):
        weeks = 2 + (i * 7) % 22
        started = today - dt.timedelta(weeks=weeks)
        Partnership.objects.filter(pk=partnership.pk).update(
            started_on=started,
            ends_on=started + dt.timedelta(weeks=program.term_weeks),
            created=timezone.now() - dt.timedelta(weeks=weeks),
        )

    # Some pairs did not work out, and said so privately; a few finished their term.
    members = {
        pm.partnership_id: pm.person
        for pm in PartnershipMember.objects.filter(partnership__in=partnerships).select_related(
            "person"
        )
    }
    others = [p for p in partnerships if participant is None or participant.pk not in _ids(p)]
    for partnership in others[:4]:
        services.partnership_end(
            partnership=partnership,
            by=members[partnership.pk],
            completed=False,
            reason=rng.choice(END_REASONS),
            fit_rating=rng.choice([1, 2, 2, 3]),
            rematch=True,
        )
    for partnership in others[4:7]:
        services.partnership_end(
            partnership=partnership,
            by=members[partnership.pk],
            completed=True,
            fit_rating=rng.choice([4, 5]),
        )

    # Later joiners wait in the pool; some of them have asked each other.
    joined = {e.person_id for e in Enrolment.objects.filter(program=program)}
    late = [p for p in people if p.pk not in joined][:24]
    for person in late:
        _enrol(program, person, rng)
    for sender, receiver in zip(late[0:6:2], late[1:6:2], strict=True):
        try:
            services.request_send(
                program=program,
                sender=sender,
                receiver=receiver,
                note=(
                    f"Hi {receiver.name.split()[0]}! I saw we could help each other — "
                    "coffee next week?"
                ),
            )
        except services.ProgramError:
            continue
    if participant is not None and late:
        with contextlib.suppress(services.ProgramError):
            services.request_send(
                program=program,
                sender=late[-1],
                receiver=participant,
                note=(
                    "I hear you know your way around Python — I could help with client calls "
                    "in return."
                ),
            )

    # A pending draft over everyone still waiting, for the program manager to review.
    if actor is not None:
        draft = rounds.round_create(program=program, actor=actor)
        rounds.round_run(_claim(draft))

    _seed_onboarding(org=org, rng=rng, today=today, actor_id=actor.pk if actor else None)


def _ids(partnership: Partnership) -> set[int]:
    return set(partnership.members.values_list("person_id", flat=True))


def _claim(match_round: MatchRound) -> MatchRound:
    MatchRound.objects.filter(pk=match_round.pk).update(status="running", claimed_at=timezone.now())
    match_round.refresh_from_db()
    return match_round


def _seed_onboarding(
    *, org: Organization, rng: random.Random, today: dt.date, actor_id: int | None
) -> None:
    program = Program.objects.create(
        organization=org,
        name="Welcome buddies",
        description=(
            "Every new teammate gets a buddy a few steps ahead for their first three months."
        ),
        kind=ProgramKind.ONBOARDING,
        status=ProgramStatus.OPEN,
        max_tenure_days=120,
        term_weeks=13,
        checkin_every_weeks=1,
        matching_mode="rounds",
        created_by_id=actor_id,
    )
    veterans = list(
        Person.objects.filter(organization=org, is_active=True, level__gte=3, level__lte=5)
        .prefetch_related("skills")
        .order_by("id")[:40]
    )
    for person in rng.sample(veterans, min(12, len(veterans))):
        _enrol(program, person, rng, role=EnrolmentRole.MENTOR, capacity=2)
    newcomers = Person.objects.filter(
        organization=org, is_active=True, hire_date__gte=today - dt.timedelta(days=120)
    ).prefetch_related("skills")
    onboarding_start(organization=org, people=list(newcomers))
