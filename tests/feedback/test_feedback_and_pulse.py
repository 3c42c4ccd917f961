from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World, client_for
from tests.partnerships.factories import pair, past_checkin
from twoway.feedback.models import FitCheck, PulseResponse
from twoway.feedback.selectors import feedback_for
from twoway.feedback.services import feedback_write, pulse_record

FROM_ALICE = "You listen without jumping to fixes"
FROM_BOB = "Your questions made me rethink the pitch"


def feedback_url(w: World) -> str:
    return reverse(
        "partnership_feedback", kwargs={"org_slug": "acme", "partnership_id": pair(w).pk}
    )


def test_feedback_is_hidden_until_both_have_written(world: World) -> None:
    url = feedback_url(world)
    alice, bob = client_for(world.alice), client_for(world.bob)
    response = alice.post(url, {"subject": world.bob_person.pk, "appreciated": FROM_ALICE})
    assert response.status_code == 302
    bob_page = bob.get(url).content.decode()
    assert FROM_ALICE not in bob_page
    assert "Your partner has written feedback for you" in bob_page
    assert FROM_ALICE in alice.get(url).content.decode()  # her own words, under "What you wrote"
    assert not feedback_for(partnership=pair(world), viewer=world.bob_person)[0].about_me

    bob.post(url, {"subject": world.alice_person.pk, "appreciated": FROM_BOB, "keep": "Curiosity"})
    assert FROM_ALICE in bob.get(url).content.decode()
    assert FROM_BOB in alice.get(url).content.decode()
    # Nobody outside the pair reads it.
    assert client_for(world.carol).get(url).status_code == 404


def test_feedback_is_revealed_when_the_deadline_passes(world: World) -> None:
    feedback_write(
        partnership=pair(world),
        author=world.alice_person,
        subject=world.bob_person,
        answers={"appreciated": FROM_ALICE},
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        [view] = feedback_for(partnership=pair(world), viewer=world.bob_person)
        assert view.revealed and view.about_me[0].appreciated == FROM_ALICE


def test_feedback_without_appreciation_is_a_400_and_keeps_the_text(world: World) -> None:
    response = client_for(world.alice).post(
        feedback_url(world), {"subject": world.bob_person.pk, "stop": "Interrupting me"}
    )
    assert response.status_code == 400
    assert "Interrupting me" in response.content.decode()


def pulse_data(**extra: str) -> dict[str, str]:
    return {"belonging": "4", "stress": "2", "confidence": "5", "energy": "3", **extra}


def test_pulse_answers_are_seen_by_their_owner_only(world: World) -> None:
    checkin = past_checkin(world)
    url = reverse(
        "pulse",
        kwargs={
            "org_slug": "acme",
            "partnership_id": checkin.partnership_id,
            "checkin_id": checkin.pk,
        },
    )
    response = client_for(world.alice).post(url, pulse_data(word="luminous"))
    assert response.status_code == 302
    mine = client_for(world.alice).get(reverse("wellbeing", kwargs={"org_slug": "acme"}))
    assert "luminous" in mine.content.decode()
    for other in (world.bob, world.carol):
        page = client_for(other).get(reverse("wellbeing", kwargs={"org_slug": "acme"}))
        assert page.status_code == 200 and "luminous" not in page.content.decode()
    home = reverse(
        "partnership_home", kwargs={"org_slug": "acme", "partnership_id": checkin.partnership_id}
    )
    assert "luminous" not in client_for(world.bob).get(home).content.decode()
    # At most once per check-in.
    again = client_for(world.alice).post(url, pulse_data(word="again"))
    assert again.status_code == 400
    assert PulseResponse.objects.count() == 1


def test_a_bad_pulse_is_a_400_and_saves_nothing(world: World) -> None:
    checkin = past_checkin(world)
    url = reverse(
        "pulse",
        kwargs={
            "org_slug": "acme",
            "partnership_id": checkin.partnership_id,
            "checkin_id": checkin.pk,
        },
    )
    response = client_for(world.alice).post(url, pulse_data(stress="9", word="kept"))
    assert response.status_code == 400 and 'value="kept"' in response.content.decode()
    assert not PulseResponse.objects.exists()
    with pytest.raises(ValidationError):
        pulse_record(person=world.alice_person, scores={"belonging": 0})


def test_the_trend_chart_reads_without_colour(world: World) -> None:
    for i in range(3):
        pulse_record(
            person=world.alice_person,
            scores={"belonging": 2 + i, "stress": 4 - i, "confidence": 3, "energy": 3},
        )
    page = client_for(world.alice).get(reverse("wellbeing", kwargs={"org_slug": "acme"}))
    body = page.content.decode()
    assert "<svg" in body and "stroke-dasharray" in body and "<table" in body
    assert '<title id="pulse-title">' in body


def test_not_a_fit_offers_ending_and_rematch_at_once(world: World) -> None:
    url = reverse("fit_check", kwargs={"org_slug": "acme", "partnership_id": pair(world).pk})
    response = client_for(world.alice).post(url, {"answer": "not_a_fit"})
    assert response.status_code == 302
    assert "/end/?rematch=1" in response["Location"]
    assert FitCheck.objects.get().answer == "not_a_fit"
    end_page = client_for(world.alice).get(response["Location"]).content.decode()
    assert "Match me with someone new" in end_page


def test_the_second_to_write_is_told_the_feedback_is_revealed_not_hidden(world: World) -> None:
    url = feedback_url(world)
    first = client_for(world.alice).post(
        url, {"subject": world.bob_person.pk, "appreciated": FROM_ALICE}, follow=True
    )
    assert "stays hidden until your partner has written too" in first.content.decode()
    second = client_for(world.bob).post(
        url, {"subject": world.alice_person.pk, "appreciated": FROM_BOB}, follow=True
    )
    page = second.content.decode()
    assert "stays hidden" not in page
    assert "the feedback is revealed" in page and FROM_ALICE in page
