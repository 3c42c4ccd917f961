from __future__ import annotations

from typing import Any

import pytest

from twoway.demo.seed import seed_organization
from twoway.people.models import Person

pytestmark = pytest.mark.browser


def test_the_demo_participant_signs_in_and_sees_their_profile(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    result = seed_organization(people=40, seed=5, slug="northwind")
    email, password = result.sign_ins["Participant"]
    person = Person.objects.get(email=email)

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/o/northwind/")
    page.click("text=My profile")
    page.wait_for_url(f"{live_server.url}/o/northwind/me/")
    assert page.locator("h1").inner_text().startswith(person.name)
    assert page.locator("text=Can share").is_visible()
    assert page.locator("text=Wants to grow").is_visible()


def test_a_wrong_password_keeps_the_person_on_the_sign_in_page(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    result = seed_organization(people=20, seed=5, slug="northwind")
    email, _ = result.sign_ins["Participant"]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "not the password")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert page.locator("[role=alert]").inner_text().startswith("Please enter a correct")
    # What they typed is kept, so they only fix the password.
    assert page.input_value("#id_username") == email


def test_a_participant_edits_skills_on_a_phone(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    result = seed_organization(people=20, seed=6, slug="northwind")
    email, password = result.sign_ins["Participant"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/o/northwind/me/edit/")
    grow = page.locator("fieldset", has_text="What I want to grow")
    leadership = grow.locator("details", has=page.locator("summary", has_text="Leadership"))
    if leadership.get_attribute("open") is None:  # groups with a choice already start open
        leadership.locator("summary").click()
    grow.get_by_label("Executive presence").select_option("3")
    page.click("text=Save my profile")
    page.wait_for_url(f"{live_server.url}/o/northwind/me/")
    assert page.locator(".chip.seek", has_text="Executive presence").is_visible()
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
