from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from twoway.goals.models import Goal, GoalEvent, Milestone
from twoway.lib.errors import NotFound
from twoway.people.models import Person
from twoway.programs.models import Partnership


def visible_goals(*, partnership: Partnership, viewer: Person) -> QuerySet[Goal]:
    """The pair's goals; a private goal only for its owner."""
    return (
        Goal.objects.filter(partnership=partnership)
        .filter(Q(is_private=False) | Q(owner=viewer))
        .select_related("owner")
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.all()))
    )


def access_goal(*, partnership: Partnership, viewer: Person, goal_id: int) -> Goal:
    goal = (
        visible_goals(partnership=partnership, viewer=viewer)
        .prefetch_related(Prefetch("events", queryset=GoalEvent.objects.select_related("actor")))
        .filter(pk=goal_id)
        .first()
    )
    if goal is None:
        raise NotFound
    return goal
