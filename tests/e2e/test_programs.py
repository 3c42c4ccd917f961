"""A program manager takes a program from draft to published pairs; a participant finds,
requests and is accepted by a peer — in Chromium, against a live server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.programs.helpers import enrol
from twoway.accounts.models import Membership, User
from twoway.demo.seed import DEMO_PASSWORD, seed_organization
from twoway.people.models import Person
from twoway.programs import rounds
from twoway.programs.models import Partnership, Program, ProgramStatus

pytestmark = pytest.mark.browser


def sign_in(page: Any, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/o/**")


def sign_out(page: Any) -> None:
    page.click("text=Sign out")
    page.wait_for_url("**/accounts/login/")


def test_a_program_manager_goes_from_draft_to_published_pairs(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    result = seed_organization(people=30, seed=21, slug="north")
    base = live_server.url
    sign_in(page, base, result.sign_ins["Program manager"][0])
    page.click("nav >> text=Programs")
    page.click("text=New program")
    page.fill("#id_name", "Spring peers")
    page.fill("#id_description", "Peers across teams")
    page.click("text=Save program")
    page.wait_for_selector("text=is created as a draft")
    page.click("text=Open enrolment")
    page.wait_for_selector("text=Spring peers is now open")

    program = Program.objects.get(name="Spring peers")
    assert program.status == ProgramStatus.OPEN
    for person in Person.objects.filter(organization=result.org, is_active=True).prefetch_related(
        "skills"
    ):
        enrol(program, person)
    page.reload()
    page.click("text=Run a matching round")
    page.wait_for_selector("text=Waiting for the worker")
    assert rounds.run_pending_rounds() == 1  # what `twoway worker` does on its clock
    # The page refreshes by itself until the draft is ready.
    page.wait_for_selector(".how-good", timeout=20_000)
    groups = page.locator("table tbody tr").count()
    assert groups >= 10
    # Plain words: 30 people are solved exactly, so no gap is shown, and the method is one
    # click away; nothing of the engine's jargon.
    assert page.inner_text(".how-good") == "This is the best possible pairing of these people."
    assert not page.locator("text=How we know >> xpath=..//p").first.is_visible()
    page.click("text=How we know")
    assert "blossom algorithm" in page.inner_text("details")
    text = page.inner_text("main")
    assert "certified bound" not in text and "Gap to the best possible" not in text
    assert page.inner_text("button.primary") == f"Publish {groups} groups"
    page.screenshot(path="/tmp/twoway-round-draft.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/twoway-round-draft-phone.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1200, "height": 900})
    page.click("button:has-text('Publish')")
    page.wait_for_selector(f"text=Publishing {groups} groups")
    page.wait_for_selector("#publishing progress")
    assert rounds.run_pending_publishes() == 1  # the worker again
    # The page refreshes by itself until publishing is done.
    page.wait_for_selector(".tag:has-text('Published')", timeout=20_000)
    assert not page.locator("#publishing").count()
    assert Partnership.objects.filter(program=program).count() == groups


def test_a_participant_finds_requests_and_is_accepted_by_a_peer(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    result = seed_organization(people=30, seed=22, slug="north")
    base = live_server.url
    program = Program.objects.create(
        organization=result.org, name="Peer partners", status=ProgramStatus.OPEN
    )
    for person in Person.objects.filter(organization=result.org, is_active=True).prefetch_related(
        "skills"
    ):
        enrol(program, person)
    email = result.sign_ins["Participant"][0]
    sign_in(page, base, email)
    page.click("nav >> text=Programs")
    page.click("text=Peer partners")
    page.click("text=Find a peer")
    # On a phone each person in "Everyone in the program" is a card: the request link (or why
    # there is none) is on screen, not in a table scrolled off to the right.
    page.set_viewport_size({"width": 390, "height": 844})
    action = page.locator("table.stack tbody tr").first.locator("td").last.bounding_box()
    assert action is not None and action["x"] + action["width"] <= 390, action
    page.set_viewport_size({"width": 1280, "height": 900})
    first = page.locator(".people .person").first
    peer_name = first.locator("strong").inner_text()
    first.locator("text=Send a request").click()
    page.click("text=Send the request")
    assert page.locator("[role=alert]").is_visible()  # an empty note is refused, nicely
    page.fill("#id_note", "You know what I want to learn — and I can help with Python in return.")
    page.click("text=Send the request")
    page.wait_for_selector(f"text=Your request is on its way to {peer_name}")

    peer = Person.objects.get(organization=result.org, name=peer_name)
    user = User.objects.create_user(
        f"peer-{peer.pk}@north.example", "peer password 123", name=peer.name
    )
    Membership.objects.create(user=user, organization=result.org)
    Person.objects.filter(pk=peer.pk).update(user=user)
    sign_out(page)
    sign_in(page, base, user.email, "peer password 123")
    page.click("nav >> text=Requests")
    # is_visible() does not wait: on a busy machine the click's page had not loaded yet.
    page.wait_for_url("**/requests/")
    page.wait_for_selector("text=Python in return")
    page.fill("textarea[name=response]", "Yes! Coffee on Tuesday?")
    page.click("button:has-text('Accept')")
    page.wait_for_url("**/partnerships/**")
    me = Person.objects.get(organization=result.org, email=email)
    assert page.locator("h2", has_text=me.name).is_visible()
    assert (
        Partnership.objects.filter(program=program, members__person=me)
        .filter(members__person=peer)
        .exists()
    )
