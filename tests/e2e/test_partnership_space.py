"""Two demo participants use their partnership space in Chromium, end to end."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlparse

import icalendar
import pytest
import time_machine
from django.utils import timezone

from twoway.accounts.models import Membership, Role, User
from twoway.demo.seed import DEMO_PASSWORD, seed_organization
from twoway.meetings.models import CheckIn, PrivateNote
from twoway.people.models import Person
from twoway.programs.models import Partnership, PartnershipMember, Program, ProgramStatus
from twoway.programs.services import partnership_create

pytestmark = pytest.mark.browser

PRIVATE = "Nervous about asking for the stretch project"
SHARED = "Agreed: **one** concrete step before next time"
FROM_A = "You asked the questions I was afraid to ask"
FROM_B = "Your calm in the planning chaos helped me"
REASON = "Our calendars never lined up after the reorg"


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/o/northwind/")


def test_two_participants_use_their_partnership_space(
    live_server: Any, page: Any, browser: Any, transactional_db: None, encryption_key: str
) -> None:
    result = seed_organization(people=20, seed=5, slug="northwind")
    email_a, _ = result.sign_ins["Participant"]
    a = Person.objects.get(organization=result.org, email=email_a)
    b = (
        Person.objects.filter(organization=result.org, user__isnull=True, is_active=True)
        .exclude(pk=a.pk)
        .order_by("pk")
        .first()
    )
    assert b is not None
    b.time_zone = a.time_zone
    user_b = User.objects.create_user(b.email, DEMO_PASSWORD, name=b.name)
    b.user = user_b
    b.save()
    Membership.objects.create(user=user_b, organization=result.org, role=Role.PARTICIPANT)
    program = Program.objects.create(
        organization=result.org, name="Peer partners 2026", status=ProgramStatus.OPEN
    )
    partnership = partnership_create(program=program, people=[a, b], source="hand")
    base = live_server.url
    home = f"{base}/o/northwind/partnerships/{partnership.pk}/"

    # A schedules a fortnightly check-in for tomorrow's weekday at 10:00.
    sign_in(page, base, a.email)
    page.goto(home)
    page.click("text=Schedule check-ins")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.select_option("#id_weekday", str(tomorrow.weekday()))
    page.fill("#id_local_time", "10:00")
    page.select_option("#id_mode", "video")
    page.fill("#id_location", "https://meet.example/northwind")
    page.click("text=Schedule and send invites")
    page.wait_for_url(home)
    next_text = page.locator(".next-checkin").inner_text()
    assert tomorrow.strftime("%B") in next_text and "10:00" in next_text

    # B sees it in their personal calendar feed.
    page_b = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page_b.set_default_timeout(15_000)
    sign_in(page_b, base, b.email)
    page_b.goto(f"{base}/o/northwind/calendar/")
    page_b.click("text=Create my feed address")
    feed_path = urlparse(page_b.input_value("#feed-url")).path
    feed = page_b.request.get(f"{base}{feed_path}")
    assert feed.status == 200
    calendar: Any = icalendar.Calendar.from_ical(feed.text())
    [event] = calendar.walk("VEVENT")
    assert event["RRULE"]["INTERVAL"] == [2] and a.name in str(event["SUMMARY"])

    first = CheckIn.objects.filter(partnership=partnership).order_by("scheduled_start").first()
    assert first is not None
    checkin_url = f"{home}checkins/{first.pk}/"
    # Two days later, they have met.
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=True):
        page.goto(checkin_url)
        page.click("text=We met")
        page.wait_for_url(checkin_url)
        assert page.locator(".status").inner_text() == "Held"
        assert page.locator("text=When do we meet again?").is_visible()
        page.fill("#id_shared_note-body", SHARED)
        page.click("text=Add a shared note")
        page.fill("#id_private_note-text", PRIVATE)
        page.click("text=Save my private note")
        page.wait_for_url(checkin_url)
        assert page.locator(".md strong", has_text="one").is_visible()

        page_b.goto(checkin_url)
        assert page_b.locator(".md", has_text="concrete step").is_visible()
        assert PRIVATE not in page_b.content()
        assert PRIVATE not in PrivateNote.objects.get().ciphertext

        # Feedback: hidden until both have written.
        page.goto(f"{home}feedback/")
        page.fill("#id_appreciated", FROM_A)
        page.fill("#id_keep", "Bringing real examples")
        page.click("text=Send (hidden until both wrote)")
        assert page.locator(".waiting").is_visible()
        page_b.goto(f"{home}feedback/")
        assert FROM_A not in page_b.content()
        assert page_b.locator("text=Your partner has written feedback for you").is_visible()
        page_b.fill("#id_appreciated", FROM_B)
        page_b.click("text=Send (hidden until both wrote)")
        assert page_b.locator(".about-me", has_text=FROM_A).is_visible()
        page.goto(f"{home}feedback/")
        assert page.locator(".about-me", has_text=FROM_B).is_visible()

        # The pulse, private to A.
        page.goto(checkin_url)
        page.click("text=How are you? 30-second private pulse")
        for item, value in (("belonging", 4), ("stress", 2), ("confidence", 4), ("energy", 3)):
            page.check(f"input[name={item}][value='{value}']")
        page.fill("#id_word", "hopeful")
        page.click("button:has-text('Save')")
        page.wait_for_url(f"{base}/o/northwind/wellbeing/")
        assert page.locator("td", has_text="hopeful").is_visible()
        page_b.goto(f"{base}/o/northwind/wellbeing/")
        assert "hopeful" not in page_b.content()

        # A ends the partnership with a private reason; B is not shown it.
        page.goto(home)
        page.click("text=End this partnership")
        page.check("input[name=outcome][value=early]")
        page.fill("#id_reason", REASON)
        page.click("button:has-text('End the partnership')")
        page.wait_for_url(f"{home}reflection/")
        page_b.goto(home)
        assert page_b.locator("text=Ended early").first.is_visible()
        assert REASON not in page_b.content()

    partnership.refresh_from_db()
    assert partnership.status == "ended"
    assert PartnershipMember.objects.get(partnership=partnership, person=a).end_reason == REASON
    assert Partnership.objects.get(pk=partnership.pk).ended_by_id == a.pk
