"""The CSV export: no cell a spreadsheet would run as a formula (issue 12, item 13), and the
freshness of every figure group written next to the figures (issue 14, item 7)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import World
from tests.insights.attacker import DAY0, folks, job, pairs, program, read
from twoway.goals.services import goal_create
from twoway.people.models import Department

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_it_writes_labels_from_the_organization_as_text_not_formulas(world: World) -> None:
    world.acme.level_ladder = ["+Junior", "-Mid", "@Senior", "=1+1"]
    world.acme.save(update_fields=["level_ladder"])
    hostile = Department.objects.create(
        organization=world.acme, name='=HYPERLINK("http://evil.example","click")'
    )
    tabbed = Department.objects.create(organization=world.acme, name="\tTabbed")
    peers = program(world, "Export")
    peers.goal_templates = ["@SUM(A1:A9)", "-2+3", "\rcarriage"]
    peers.save(update_fields=["goal_templates"])
    people = folks(world, 10, "Hostile", hostile) + folks(world, 10, "Tab", tabbed)
    made = pairs(peers, people, DAY0)
    for partnership in made:
        for template in peers.goal_templates:
            goal_create(
                partnership=partnership,
                owner=partnership.members.first().person,  # type: ignore[union-attr]
                title="",
                template=template,
            )
    job(DAY0 + dt.timedelta(days=2))
    reading = read(world, peers, DAY0 + dt.timedelta(days=2))
    labels = {r[1] for r in reading.rows}
    assert '\'=HYPERLINK("http://evil.example","click")' in labels
    assert "'\tTabbed" in labels and "'@Senior" in labels
    assert "'@SUM(A1:A9)" in labels and "'-2+3" in labels and "'\rcarriage" in labels
    for row in reading.rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # only a plain (negative) number may start like a formula
    # The page shows the names as they are (HTML escapes them; no quote added there).
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)" in reading.page


def test_it_says_when_each_figure_group_was_published(world: World) -> None:
    peers = program(world, "Fresh")
    pairs(peers, folks(world, 10, "Fresh"), DAY0)
    job(DAY0 + dt.timedelta(days=1))
    reading = read(world, peers, DAY0 + dt.timedelta(days=1))
    published = {r[1]: (r[3], r[4]) for r in reading.section("published")}
    assert published["funnel"][0].startswith("2026-03-03T03:00")
    assert published["funnel"][1] == "every hour"
    assert published["wellbeing"] == ("", "when at least 5 more have answered")
    assert "Updated every hour; last 3 Mar 2026, 03:00" in reading.page
    assert "Nothing published yet: it takes at least 5 people with both answers" in reading.page
