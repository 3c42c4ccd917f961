"""Writes of the insights app: the closing question is the only thing a person answers here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from twoway.insights.models import ClosingSurvey
from twoway.people.models import Person
from twoway.programs.models import Partnership, PartnershipMember, PartnershipStatus


@transaction.atomic
def closing_survey_answer(
    *, partnership: Partnership, person: Person, recommend: int
) -> ClosingSurvey:
    """'Would you recommend a peer partner to a colleague?' (0-10), once per ended partnership.

    A second answer changes nothing: the first may already be inside a published figure, and
    a figure that moved because one answer changed would show that answer's change.
    """
    if not isinstance(recommend, int) or not 0 <= recommend <= 10:
        raise ValidationError("Choose a number from 0 to 10.")
    status = Partnership.objects.values_list("status", flat=True).get(pk=partnership.pk)
    if status not in (PartnershipStatus.COMPLETED, PartnershipStatus.ENDED):
        raise ValidationError("The closing question comes when a partnership has ended.")
    if not PartnershipMember.objects.filter(partnership=partnership, person=person).exists():
        raise ValidationError("Only a member answers the closing question.")
    survey, _ = ClosingSurvey.objects.get_or_create(
        partnership=partnership, person=person, defaults={"recommend": recommend}
    )
    return survey
