"""An org admin brings a company in from its HR export, in Chromium against a live server: a new
organization goes from nobody to 500 people with managers, teams and skills, invitations go out,
and a re-import of an edited file updates and deactivates exactly what changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from twoway.accounts.models import Membership, Organization, Role, User
from twoway.demo.hr_file import sample_rows, to_csv
from twoway.directory.models import Invitation
from twoway.notifications.models import OutboxMessage
from twoway.people.models import Person, PersonSkill

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")


def snapshot(org: Organization) -> dict[str, tuple[object, ...]]:
    skills: dict[int, list[tuple[str, str, int]]] = {}
    for person_id, name, direction, strength in PersonSkill.objects.filter(
        person__organization=org
    ).values_list("person_id", "skill__name", "direction", "strength"):
        skills.setdefault(person_id, []).append((name, direction, strength))
    return {
        p.email: (
            p.name,
            p.employee_id,
            p.level,
            p.team.name if p.team else None,
            p.department.name if p.department else None,
            p.manager.email if p.manager else None,
            p.location,
            p.time_zone,
            p.hire_date,
            p.is_active,
            p.on_leave,
            p.left_on,
            sorted(skills.get(p.pk, [])),
            p.updated,
        )
        for p in Person.objects.filter(organization=org).select_related(
            "team", "department", "manager"
        )
    }


def upload_and_preview(page: Any, base: str, path: Path) -> None:
    page.goto(f"{base}/o/northwind/settings/")
    page.click("text=Directory: import people and invite them")
    page.set_input_files("#id_file", str(path))
    page.click("text=Preview the import")
    page.wait_for_selector("h1:has-text('Import preview')")


def on_a_phone(browser: Any, base: str, url: str, name: str) -> None:
    """Open `url` as the admin on a 390 px wide screen, take screenshots, and check that the
    page does not scroll sideways."""
    narrow = browser.new_context(viewport={"width": 390, "height": 844})
    phone = narrow.new_page()
    phone.goto(f"{base}/accounts/login/")
    phone.fill("#id_username", "olga@northwind.example")
    phone.fill("#id_password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{base}/o/**")
    phone.goto(url)
    phone.screenshot(path=str(SHOTS / f"{name}.png"))
    phone.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    narrow.close()
    assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"


def test_an_admin_imports_500_people_invites_them_and_reimports_an_edited_file(
    live_server: Any, page: Any, browser: Any, transactional_db: None, tmp_path: Path
) -> None:
    org = Organization.objects.create(name="Northwind", slug="northwind")
    admin = User.objects.create_user("olga@northwind.example", PASSWORD, name="Olga Admin")
    Membership.objects.create(user=admin, organization=org, role=Role.ORG_ADMIN)
    base = live_server.url
    today = timezone.localdate()
    rows = sample_rows(500, seed=7, leavers=0.04, today=today)
    first = tmp_path / "northwind-hr.csv"
    first.write_text(to_csv(rows))

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "olga@northwind.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/o/**")

    # 1. From nobody to 500 people.
    upload_and_preview(page, base, first)
    assert page.locator(".facts").inner_text().split("\n")[0] == "500 to create"
    assert "Termination date" not in page.locator("body").inner_text()  # a known column
    page.screenshot(path=str(SHOTS / "twoway-directory-preview-desktop.png"), full_page=True)
    on_a_phone(browser, base, page.url, "twoway-directory-preview-390")
    # The admin's own record was made when she signed in; the file's people come only on confirm.
    imported = Person.objects.filter(organization=org).exclude(user=admin)
    assert imported.count() == 0

    page.click("button:has-text('Import: create 500')")
    page.wait_for_selector("text=Imported: 500 created, 0 updated, 0 deactivated, 0 unchanged.")
    people = imported.all()
    assert people.count() == 500
    leavers = [r for r in rows if r["Status"] == "terminated"]
    assert people.filter(is_active=False).count() == len(leavers) > 0
    assert people.filter(manager__isnull=False).count() == 499  # all but the CEO
    assert people.exclude(team=None).count() == 500
    assert PersonSkill.objects.filter(person__organization=org).count() > 1000
    by_email = {p.email: p for p in people.select_related("manager")}
    for r in rows[1:20]:
        manager_key = r["Manager"]
        manager = by_email[r["Email"]].manager
        assert manager is not None and manager_key in (manager.email, manager.employee_id)

    # 2. Invitations to everyone who has not got one.
    page.click("text=← Directory")
    active = people.filter(is_active=True).count()
    page.click(f"button:has-text('Invite everyone not invited yet ({active})')")
    page.wait_for_selector(f"text=Invitations sent: {active}.")
    assert Invitation.objects.filter(organization=org).count() == active
    assert OutboxMessage.objects.filter(organization=org, kind="invitation").count() == active
    page.click("text=Invite or re-invite one person")
    page.wait_for_selector("h1:has-text('Invitations')")
    assert page.locator("tbody tr").count() == 50  # one page

    # 3. An edited file: two moves, one promotion, three leavers with dates; nothing else.
    before = snapshot(org)
    edited = [dict(r) for r in rows]
    movers = [r for r in edited[30:] if r["Status"] == "active"][:6]
    movers[0]["Team"], movers[1]["Team"] = movers[1]["Team"], movers[0]["Team"]
    movers[2]["Level"] = str(int(movers[2]["Level"]) + 1)
    left_on = today - dt.timedelta(days=2)
    for r in movers[3:6]:
        r["Status"], r["Termination date"] = "terminated", left_on.isoformat()
    second = tmp_path / "northwind-hr-2.csv"
    second.write_text(to_csv(edited))
    upload_and_preview(page, base, second)
    facts = page.locator(".facts").inner_text()
    assert "3 to update" in facts and "3 to deactivate" in facts
    assert f"{500 - 6} unchanged" in facts
    page.screenshot(path=str(SHOTS / "twoway-directory-reimport-desktop.png"), full_page=True)
    on_a_phone(browser, base, page.url, "twoway-directory-reimport-390")
    page.click("button:has-text('Import: create 0, update 3, deactivate 3')")
    page.wait_for_selector("text=Imported: 0 created, 3 updated, 3 deactivated, 494 unchanged.")

    after = snapshot(org)
    changed = {email for email in before if before[email] != after[email]}
    assert changed == {r["Email"] for r in movers}
    for r in movers[3:6]:
        person = Person.objects.get(organization=org, email=r["Email"])
        assert not person.is_active and person.left_on == left_on
        assert Invitation.objects.get(person=person).revoked_at is not None
    promoted = Person.objects.get(organization=org, email=movers[2]["Email"])
    assert promoted.level == int(movers[2]["Level"])
    moved = Person.objects.select_related("team").get(organization=org, email=movers[0]["Email"])
    assert moved.team is not None and moved.team.name == movers[0]["Team"]

    # 4. The same file once more changes nothing at all.
    upload_and_preview(page, base, second)
    assert "The directory already matches this file" in page.locator("body").inner_text()
    assert snapshot(org) == after
