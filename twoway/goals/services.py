from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from twoway.goals.models import Goal, GoalEvent, GoalEventKind, GoalStatus, Milestone
from twoway.lib.errors import InvalidInput
from twoway.people.models import Person
from twoway.programs.models import Partnership

EDITABLE = ("title", "description", "template", "is_private")


def _require_member(partnership: Partnership, person: Person) -> None:
    if not partnership.members.filter(person=person).exists():
        raise InvalidInput("Only a member of the partnership can set its goals.")


def _require_owner(goal: Goal, person: Person) -> None:
    if goal.owner_id != person.pk:
        raise InvalidInput("Only the person who set a goal changes it.")


@transaction.atomic
def goal_create(
    *,
    partnership: Partnership,
    owner: Person,
    title: str,
    description: str = "",
    template: str = "",
    is_private: bool = False,
    milestones: list[tuple[str, dt.date | None]] | None = None,
) -> Goal:
    _require_member(partnership, owner)
    title = (title or template).strip()
    if not title:
        raise InvalidInput({"title": "Give the goal a name, or pick one of the templates."})
    goal = Goal.objects.create(
        partnership=partnership,
        owner=owner,
        title=title,
        description=description.strip(),
        template=template,
        is_private=is_private,
    )
    for name, due in milestones or []:
        Milestone.objects.create(goal=goal, title=name, due_on=due)
    GoalEvent.objects.create(
        goal=goal, actor=owner, kind=GoalEventKind.CREATED, changes={"title": [None, title]}
    )
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, by: Person, fields: dict[str, Any], note: str = "") -> Goal:
    """Goals are flexible: change them any time; each change is kept in the goal's history."""
    _require_owner(goal, by)
    changes: dict[str, list[Any]] = {}
    for name, value in fields.items():
        if name not in EDITABLE:
            raise ValueError(name)
        if isinstance(value, str):
            value = value.strip()
        before = getattr(goal, name)
        if before != value:
            changes[name] = [before, value]
            setattr(goal, name, value)
    if not goal.title:
        raise InvalidInput({"title": "A goal needs a name."})
    if changes or note:
        goal.save()
        GoalEvent.objects.create(
            goal=goal, actor=by, kind=GoalEventKind.EDITED, changes=changes, note=note.strip()
        )
    return goal


@transaction.atomic
def goal_progress(
    *, goal: Goal, by: Person, progress: int, status: str, note: str = ""
) -> GoalEvent:
    """A progress update, with the status (active, achieved, dropped) and a line on what moved."""
    _require_owner(goal, by)
    if not 0 <= progress <= 100:
        raise InvalidInput({"progress": "Progress goes from 0 to 100 %."})
    if status not in GoalStatus.values:
        raise InvalidInput({"status": "Choose a status."})
    if status == GoalStatus.ACHIEVED:
        progress = 100
    changes: dict[str, list[Any]] = {}
    if goal.progress != progress:
        changes["progress"] = [goal.progress, progress]
    if goal.status != status:
        changes["status"] = [goal.status, status]
    goal.progress = progress
    goal.status = status
    goal.save(update_fields=["progress", "status", "updated"])
    kind = GoalEventKind.STATUS if "status" in changes else GoalEventKind.PROGRESS
    return GoalEvent.objects.create(
        goal=goal, actor=by, kind=kind, changes=changes, note=note.strip()
    )


@transaction.atomic
def milestone_add(*, goal: Goal, by: Person, title: str, due_on: dt.date | None) -> Milestone:
    _require_owner(goal, by)
    title = title.strip()
    if not title:
        raise InvalidInput({"title": "Name the milestone."})
    milestone = Milestone.objects.create(goal=goal, title=title, due_on=due_on)
    GoalEvent.objects.create(
        goal=goal,
        actor=by,
        kind=GoalEventKind.MILESTONE,
        changes={"milestone": [None, title], "due_on": [None, due_on and due_on.isoformat()]},
    )
    return milestone


@transaction.atomic
def milestone_toggle(*, milestone: Milestone, by: Person) -> Milestone:
    _require_owner(milestone.goal, by)
    milestone.done_at = None if milestone.done_at else timezone.now()
    milestone.save(update_fields=["done_at"])
    GoalEvent.objects.create(
        goal=milestone.goal,
        actor=by,
        kind=GoalEventKind.MILESTONE,
        changes={"milestone_done": [milestone.title, bool(milestone.done_at)]},
    )
    return milestone
