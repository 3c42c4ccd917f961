"""A program manager walks a matching round in Chromium: the draft in plain words (skill
exchange shares, the spread of fits, the weakest groups first), a search, a pair made by hand
through the person search, then Publish. Screenshots at desktop and phone widths go to
$TWOWAY_SHOTS (default: the test's temporary directory)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_programs import sign_in
from tests.programs.helpers import enrol
from twoway.demo.seed import seed_organization
from twoway.people.models import Person, Team
from twoway.programs import rounds
from twoway.programs.models import MatchRound, Program, ProgramStatus, RoundStatus

pytestmark = pytest.mark.browser


def shoot(page: Any, shots: Path, name: str) -> None:
    """The whole page, and its first screen, at 1280 px and at a phone's 390 px; the phone
    never scrolls sideways."""
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(shots / f"round-{name}-{width}.png"), full_page=True)
        page.screenshot(path=str(shots / f"round-{name}-{width}-screen.png"))
        if name == "draft":
            page.locator("section.two-col").screenshot(
                path=str(shots / f"round-charts-{width}.png")
            )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_program_manager_reads_adjusts_and_publishes_a_round(
    live_server: Any, page: Any, transactional_db: None, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("TWOWAY_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    result = seed_organization(people=40, seed=21, slug="north")
    org = result.org
    program = Program.objects.create(
        organization=org, name="Winter peers", status=ProgramStatus.OPEN, max_level_gap=6
    )
    people = list(
        Person.objects.filter(organization=org, is_active=True).prefetch_related("skills")
    )
    # Two people with one name, in different teams: the page must tell them apart.
    original = next(p for p in people if p.team_id and p.level)
    other_team = Team.objects.filter(organization=org).exclude(pk=original.team.pk).first()  # type: ignore[union-attr]
    twin = Person.objects.create(
        organization=org,
        name=original.name,
        email="twin@north.example",
        team=other_team,
        level=original.level,
    )
    for person in [*people, twin]:
        enrol(program, person)

    base = live_server.url
    sign_in(page, base, result.sign_ins["Program manager"][0])
    page.goto(f"{base}/o/{org.slug}/programs/{program.pk}/")
    page.click("text=Run a matching round")
    page.wait_for_selector("text=Waiting for the worker")
    assert rounds.run_pending_rounds() == 1  # what `twoway worker` does on its clock
    page.wait_for_selector(".how-good", timeout=20_000)
    match_round = MatchRound.objects.get(program=program)
    groups = len(match_round.result["groups"])

    # Plain words, no engine jargon until "How we know" is opened.
    main = page.inner_text("main")
    assert page.inner_text(".how-good") == "This is the best possible pairing of these people."
    for jargon in ("rustworkx", "certified", "blossom", "relaxation", "gap"):
        assert jargon not in main.lower(), jargon
    assert page.inner_text("button.primary") == f"Publish {groups} groups"
    # The share of groups by skill exchange, with numbers as text; they add up to the groups.
    bars = page.locator("#exchange-chart li").all_inner_texts()
    assert [b.split("\n")[0] for b in bars] == ["Both ways", "One way", "None"]
    counts = [int(m) for b in bars for m in re.findall(r"(\d+) groups?$", b.strip())]
    assert sum(counts) == groups
    fit_bands = page.locator("#fit-chart li").all_inner_texts()
    in_bands = [int(m) for b in fit_bands for m in re.findall(r"(\d+) groups?", b)]
    assert sum(in_bands) == groups
    # Weakest first.
    fits = [float(t.split()[0]) for t in page.locator("table.groups td.num").all_inner_texts()]
    assert len(fits) == groups and fits == sorted(fits)
    # The repeated name carries team and level wherever it shows.
    level = org.level_label(original.level)
    assert f"{original.name} ({original.team.name}, {level})" in main  # type: ignore[union-attr]
    assert f"{twin.name} ({other_team.name}, {level})" in main  # type: ignore[union-attr]
    shoot(page, shots, "draft")

    # Search the groups by name.
    surname = original.name.split()[-1]
    page.fill("#find-group", surname)
    page.click("#groups button:has-text('Search')")
    page.wait_for_selector("#groups-shown >> text=with someone named")
    found = page.locator("table.groups tbody tr td:first-child").all_inner_texts()
    assert found and all(surname in row for row in found)

    # Pair the twin with someone else by hand: find, choose, find, choose, pair.
    partner = next(
        p for p in people if p.pk != original.pk and p.name.split()[0] != original.name.split()[0]
    )
    page.fill("#find-person", original.name)
    page.click("#by-hand button:has-text('Find')")
    listed = page.locator("[aria-label='People found'] li").all_inner_texts()
    assert len(listed) == 2 and all("now with" in row or "without" in row for row in listed)
    assert any(other_team.name in row for row in listed)  # type: ignore[union-attr]
    page.click(f"[aria-label='People found'] li:has-text('{other_team.name}') >> text=Choose")  # type: ignore[union-attr]
    page.wait_for_selector("text=Choose at least one more person.")
    shoot(page, shots, "by-hand")
    page.fill("#find-person", partner.name)
    page.click("#by-hand button:has-text('Find')")
    page.locator(
        f"[aria-label='People found'] li:has-text('{partner.name}') >> text=Choose"
    ).first.click()
    page.click("button:has-text('Pair these 2 people')")
    page.wait_for_selector("text=Saved. The rest of the round is being re-optimised")
    match_round.refresh_from_db()
    assert sorted(match_round.locked_groups[0]) == sorted([twin.pk, partner.pk])
    assert rounds.run_pending_rounds() == 1
    page.wait_for_selector(".how-good", timeout=20_000)
    page.fill("#find-group", partner.name)
    page.click("#groups button:has-text('Search')")
    page.wait_for_selector("#groups-shown >> text=with someone named")
    locked = page.locator("table.groups tbody tr", has_text="locked").first.inner_text()
    assert partner.name in locked and f"{twin.name} ({other_team.name}" in locked  # type: ignore[union-attr]

    # Publish: the page then shows the work under way or its end.
    page.click("button:has-text('Publish')")
    page.wait_for_load_state()
    page.wait_for_selector("text=/[Pp]ublish(ing|ed)/")
    text = page.inner_text("main")
    assert re.search(r"Publishing|Published", text), text[:500]
    match_round.refresh_from_db()
    assert match_round.status in (RoundStatus.PUBLISHED, "publishing")
