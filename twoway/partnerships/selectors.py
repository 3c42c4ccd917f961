from __future__ import annotations

from dataclasses import dataclass, field

from twoway.goals.models import Goal, GoalStatus
from twoway.partnerships.models import Reflection
from twoway.people.models import Direction, Person, PersonSkill
from twoway.programs.models import Partnership


@dataclass
class Exchange:
    """What `giver` can bring `receiver` (skills), and what they have helped with so far."""

    giver: Person
    receiver: Person
    skills: list[str] = field(default_factory=list)
    helped_with: list[str] = field(default_factory=list)


def exchanges(*, partnership: Partnership, viewer: Person, goals: list[Goal]) -> list[Exchange]:
    """Reciprocity at a glance: for every ordered pair of members, the skills one offers that
    the other seeks, and what the giver helped with (the receiver's goals that moved, and the
    giver's shared reflection)."""
    people = [m.person for m in partnership.members.all()]
    ids = [p.pk for p in people]
    offers: dict[int, set[str]] = {pid: set() for pid in ids}
    seeks: dict[int, set[str]] = {pid: set() for pid in ids}
    for ps in PersonSkill.objects.filter(person_id__in=ids).select_related("skill"):
        (offers if ps.direction == Direction.OFFER else seeks)[ps.person_id].add(ps.skill.name)
    shared = {
        r.author_id: r for r in Reflection.objects.filter(partnership=partnership, shared=True)
    }
    mine = Reflection.objects.filter(partnership=partnership, author=viewer).first()
    if mine is not None:
        shared.setdefault(viewer.pk, mine)
    result = []
    for giver in people:
        for receiver in people:
            if giver.pk == receiver.pk:
                continue
            helped = [
                f"{g.title} ({g.get_status_display().lower()}, {g.progress} %)"
                for g in goals
                if g.owner_id == receiver.pk
                and (g.status == GoalStatus.ACHIEVED or g.progress > 0)
                and g.status != GoalStatus.DROPPED
            ]
            reflection = shared.get(giver.pk)
            if reflection is not None and reflection.taught:
                helped.append(f"In {giver.name.split(' ')[0]}'s words: {reflection.taught}")
            result.append(
                Exchange(
                    giver=giver,
                    receiver=receiver,
                    skills=sorted(offers[giver.pk] & seeks[receiver.pk]),
                    helped_with=helped,
                )
            )
    return result


def profiles(partnership: Partnership) -> dict[int, dict[str, list[str]]]:
    """Each member's skills in both directions, in one query."""
    ids = [m.person_id for m in partnership.members.all()]
    out: dict[int, dict[str, list[str]]] = {pid: {"offer": [], "seek": []} for pid in ids}
    for ps in (
        PersonSkill.objects.filter(person_id__in=ids)
        .select_related("skill")
        .order_by("-strength", "skill__name")
    ):
        out[ps.person_id][ps.direction].append(ps.skill.name)
    return out
