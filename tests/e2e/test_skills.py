"""An org admin merges two spellings of a skill in the browser, on a desktop and on a phone; a
participant types a skill the datalist suggests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_partnership_space import sign_in
from tests.e2e.test_phone_width import PHONE, WIDEST, overflow, screenshot
from twoway.accounts.models import AuditEvent
from twoway.demo.seed import seed_organization
from twoway.people.models import Direction, Person, PersonSkill, Skill

pytestmark = pytest.mark.browser

# What sticks out of the page, leaving aside what scrolls inside a table.
OUTSIDE = WIDEST.replace(
    ".filter(e => e.getBoundingClientRect()",
    ".filter(e => !e.closest('table'))\n  .filter(e => e.getBoundingClientRect()",
)


@pytest.mark.parametrize("viewport", [{"width": 1200, "height": 900}, PHONE])
def test_an_admin_merges_two_spellings_and_a_member_types_one(
    live_server: Any, browser: Any, transactional_db: None, viewport: dict[str, int]
) -> None:
    result = seed_organization(people=20, seed=5, slug="northwind")
    org = result.org
    sql = Skill.objects.get(organization=org, name="SQL")
    # A skill made before the vocabulary folded synonyms, held by one person.
    old = Skill.objects.create(
        organization=org, name="Structured SQL querying", category="technical"
    )
    holder = Person.objects.filter(organization=org, is_active=True).first()
    assert holder is not None
    PersonSkill.objects.get_or_create(
        person=holder, skill=old, direction=Direction.SEEK, defaults={"strength": 2}
    )
    base = live_server.url
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    width = "phone" if viewport is PHONE else "desktop"

    sign_in(page, base, result.sign_ins["Org admin"][0])
    page.goto(f"{base}/o/northwind/settings/")
    page.click("text=Skills: merge and rename")
    assert page.locator("datalist#skill-suggestions option[value='SQL']").count() == 1
    assert overflow(page) <= 0, (width, page.evaluate(OUTSIDE))
    screenshot(page, f"skills-{width}")
    page.fill("#merge-source", "structured sql-QUERYING")
    page.fill("#merge-target", "sql")
    page.click("text=Preview the merge")
    page.wait_for_selector("h1:has-text('Merge Structured SQL querying into SQL?')")
    assert overflow(page) <= 0, (width, page.evaluate(OUTSIDE))
    screenshot(page, f"skill-merge-{width}")
    page.click("button:has-text('Merge into SQL')")
    page.wait_for_selector("text=Structured SQL querying is merged into SQL")
    assert not Skill.objects.filter(pk=old.pk).exists()
    assert PersonSkill.objects.filter(person=holder, skill=sql, direction=Direction.SEEK).exists()
    assert AuditEvent.objects.filter(action="skill.merged", organization=org).count() == 1

    # A participant types the old name: it lands on SQL, and the page says so.
    participant = browser.new_context(viewport=viewport).new_page()
    sign_in(participant, base, result.sign_ins["Participant"][0])
    participant.goto(f"{base}/o/northwind/me/edit/")
    assert participant.get_attribute("#id_offer_add", "list") == "skill-suggestions"
    screenshot(participant, f"profile-edit-{width}")
    assert overflow(participant) <= 0, (width, participant.evaluate(OUTSIDE))
    participant.fill("#id_offer_add", "Structured SQL Querying")
    participant.click("button:has-text('Save my profile')")
    participant.wait_for_selector("text='Structured SQL Querying' was added as SQL.")
    screenshot(participant, f"profile-skill-added-{width}")
    me = Person.objects.get(organization=org, email=result.sign_ins["Participant"][0])
    assert PersonSkill.objects.filter(person=me, skill=sql, direction=Direction.OFFER).exists()
    context.close()
    participant.context.close()
