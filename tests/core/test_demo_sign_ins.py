"""`twoway demo` prints a sign-in for a pair of partners, so a newcomer sees both sides."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from twoway.demo.seed import DEMO_PASSWORD
from twoway.programs.models import Partnership


@pytest.mark.django_db
def test_the_demo_prints_the_participant_and_their_partner_and_both_can_sign_in() -> None:
    out = io.StringIO()
    call_command("demo", "--people", "60", "--seed", "2", "--no-serve", stdout=out)
    printed = out.getvalue()
    participant = re.search(r"Participant\s+(\S+)", printed)
    partner = re.search(r"their partner\s+(\S+)", printed)
    assert participant and partner, printed
    shared = Partnership.objects.filter(members__person__email=participant[1]).filter(
        members__person__email=partner[1]
    )
    assert shared.exists(), "the printed partner is the participant's partner"
    for email in (participant[1], partner[1]):
        client = Client()
        signed_in = client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 302, email
        pair = shared.get()
        page = client.get(
            reverse(
                "partnership_home",
                kwargs={"org_slug": pair.organization.slug, "partnership_id": pair.pk},
            )
        )
        assert page.status_code == 200, (email, page.status_code)
    # A second run creates no second account and prints the same partner.
    again = io.StringIO()
    call_command("demo", "--no-serve", stdout=again)
    assert re.search(rf"their partner\s+{re.escape(partner[1])}", again.getvalue())
