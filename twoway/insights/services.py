"""The one thing a member writes in insights: their answer to the closing question."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from twoway.insights.models import ClosingSurvey
from twoway.lib.errors import Conflict, Invalid, NotFound
from twoway.people.models import Person
from twoway.programs.models import Partnership, PartnershipStatus


def closing_survey_answer(
    *, partnership: Partnership, person: Person, recommend: int
) -> ClosingSurvey:
    """Answer "would you recommend a peer partner to a colleague?" (0 to 10), once per ended
    partnership and member. Only the program's totals ever show it."""
    if not 0 <= recommend <= 10:
        raise Invalid("Choose a number from 0 to 10.")
    if (
        partnership.status not in (PartnershipStatus.COMPLETED, PartnershipStatus.ENDED)
        or not partnership.members.filter(person=person).exists()
    ):
        raise NotFound
    try:
        with transaction.atomic():
            return ClosingSurvey.objects.create(
                partnership=partnership, person=person, recommend=recommend
            )
    except IntegrityError:
        raise Conflict("You have answered this already; thank you.") from None
