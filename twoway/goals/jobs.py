"""A friendly prompt to pairs with no goal a week after their match (worker's clock; idempotent
by dedupe key, with an expiry: see meetings/jobs.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from twoway.goals.kinds import GOALS
from twoway.goals.models import Goal
from twoway.lib.batches import by_pk
from twoway.lib.jobs import job
from twoway.notifications.selectors import queued
from twoway.notifications.services import Message, notify_many
from twoway.programs.models import PartnershipMember
from twoway.programs.selectors import active_partnerships, members_of, partner_names

GOALS_NOT_SET_AFTER = dt.timedelta(days=7)


@job("goals_not_set", every=dt.timedelta(minutes=1))
def goals_not_set(now: dt.datetime) -> int:
    """Seven days after a match, a pair with no goal yet gets a friendly prompt. Pairs whose
    members were all prompted already are left out by the query."""
    not_prompted = PartnershipMember.objects.filter(partnership=OuterRef("pk")).exclude(
        queued("goals-not-set:", OuterRef("partnership_id"), ":", OuterRef("person_id"))
    )
    pairs = (
        active_partnerships()
        .filter(created__lte=now - GOALS_NOT_SET_AFTER, created__gt=now - GOALS_NOT_SET_AFTER * 4)
        .annotate(has_goal=Exists(Goal.objects.filter(partnership=OuterRef("pk"))))
        .filter(has_goal=False)
        .filter(Exists(not_prompted))
    )
    created = 0
    # A round's pairs were all matched the same day: a page of them at a time, queued at once.
    for page in by_pk(pairs):
        created += notify_many(
            kind=GOALS,
            template="reminder_goals",
            messages=[
                Message(
                    person=person,
                    context={
                        "partnership_id": partnership.pk,
                        "partners": partner_names(partnership, person),
                        "templates": list(partnership.program.goal_templates or [])[:6],
                        "url": f"/o/{partnership.organization.slug}/",
                    },
                    dedupe_key=f"goals-not-set:{partnership.pk}:{person.pk}",
                    expires_at=partnership.created + GOALS_NOT_SET_AFTER * 4,
                )
                for partnership in page
                for person in members_of(partnership)
            ],
        )
    return created
