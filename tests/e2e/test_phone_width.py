"""On a 390 px phone the partnership pages fit the screen, even with very long text in them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.test_partnership_space import sign_in
from twoway.accounts.models import Membership, Role, User
from twoway.demo.seed import DEMO_PASSWORD, seed_organization
from twoway.meetings.models import CheckIn
from twoway.meetings.services import shared_note_add
from twoway.people.models import Person
from twoway.programs.models import Program, ProgramStatus
from twoway.programs.services import partnership_create

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# A URL-like word with no break opportunity: what made the page 111,846 px wide.
LONG_WORD = "https://example.com/" + "a" * 9000


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("TWOWAY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=False)
        note = page.locator(".note").first
        if note.count():
            note.scroll_into_view_if_needed()
            page.screenshot(path=f"{folder}/{name}-note.png")


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_the_partnership_pages_fit_a_phone(
    live_server: Any, browser: Any, transactional_db: None, encryption_key: str
) -> None:
    result = seed_organization(people=20, seed=5, slug="northwind")
    email_a, _ = result.sign_ins["Participant"]
    a = Person.objects.get(organization=result.org, email=email_a)
    b = Person.objects.filter(organization=result.org, user__isnull=True, is_active=True).first()
    assert b is not None
    b.user = User.objects.create_user(b.email, DEMO_PASSWORD, name=b.name)
    b.save()
    Membership.objects.create(user=b.user, organization=result.org, role=Role.PARTICIPANT)
    program = Program.objects.create(
        organization=result.org, name="Peer partners 2026", status=ProgramStatus.OPEN
    )
    pair = partnership_create(program=program, people=[a, b], source="hand")
    checkin = CheckIn.objects.create(
        partnership=pair, scheduled_start=timezone.now(), status="held"
    )
    shared_note_add(checkin=checkin, by=b, body=f"See {LONG_WORD} for the plan")

    page = browser.new_context(viewport=PHONE).new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    sign_in(page, base, a.email)
    home = f"{base}/o/northwind/partnerships/{pair.pk}/"
    for name, url in (
        ("partnership", home),
        ("checkin", f"{home}checkins/{checkin.pk}/"),
        ("feedback", f"{home}feedback/"),
        ("end", f"{home}end/"),
    ):
        page.goto(url)
        screenshot(page, f"phone-{name}")
        assert overflow(page) <= 0, (
            f"{name} is {overflow(page)} px wider than the phone: {page.evaluate(WIDEST)}"
        )
