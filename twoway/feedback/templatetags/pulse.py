"""Template tags other apps' pages use to show pulse state without importing feedback (it sits
above them): the check-in page asks here whether its pulse is answered."""

from __future__ import annotations

from django import template

from twoway.feedback.models import PulseResponse
from twoway.meetings.models import CheckIn
from twoway.people.models import Person

register = template.Library()


@register.simple_tag
def pulse_done(person: Person, checkin: CheckIn) -> bool:
    return PulseResponse.objects.filter(person=person, checkin=checkin).exists()
