from __future__ import annotations

import pytest

from twoway.accounts.models import Membership, Role
from twoway.demo.partnerships import seed_demo
from twoway.demo.seed import seed_organization
from twoway.feedback.models import FeedbackEntry, PulseResponse
from twoway.feedback.selectors import feedback_for
from twoway.goals.models import Goal
from twoway.meetings.models import CheckIn, PrivateNote, SharedNote
from twoway.people.models import Person
from twoway.programs.models import Partnership


@pytest.mark.django_db
def test_it_gives_the_demo_participant_a_lived_in_partnership() -> None:
    result = seed_organization(people=40, seed=3, slug="demo")
    seed_demo(org=result.org, seed=3)
    user = Membership.objects.get(organization=result.org, role=Role.PARTICIPANT).user
    me = Person.objects.get(organization=result.org, user=user)
    pair = Partnership.objects.get(members__person=me, status="active")
    assert Goal.objects.filter(partnership=pair).count() >= 3
    statuses = set(CheckIn.objects.filter(partnership=pair).values_list("status", flat=True))
    assert {"held", "missed", "scheduled"} <= statuses
    assert SharedNote.objects.filter(checkin__partnership=pair).exists()
    assert PrivateNote.objects.filter(checkin__partnership=pair, author=me).exists()
    rounds = feedback_for(partnership=pair, viewer=me)
    assert rounds and rounds[0].revealed and rounds[0].about_me
    pulses = list(PulseResponse.objects.filter(person=me).order_by("created"))
    assert len(pulses) >= 8
    assert (pulses[-1].created - pulses[0].created).days >= 60
    assert pulses[-1].belonging > pulses[0].belonging  # a visible trend
    # Pairs in every state.
    states = set(
        Partnership.objects.filter(organization=result.org).values_list("status", flat=True)
    )
    assert {"active", "completed", "ended"} <= states
    assert FeedbackEntry.objects.filter(round__partnership__organization=result.org).count() >= 5
