"""The program manager's round page: what the draft says about itself (skill exchange, how the
fits spread, the weakest groups first), that it stays one page's work at any size, and pairing
by hand through a person search."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World, client_for, make_member
from tests.programs.helpers import enrol, make_program
from twoway.people.models import Person
from twoway.programs import rounds
from twoway.programs.models import MatchRound, Program, RoundStatus


def group(
    gid: int, members: list[int], names: list[str], fit: float, exchange: str | None
) -> dict[str, Any]:
    pairs = len(members) * (len(members) - 1) // 2
    out: dict[str, Any] = {
        "id": gid,
        "members": members,
        "names": names,
        "score": round(fit * pairs, 6),
        "components": {},
        "reasons": [f"reason of group {gid}"],
        "kind": "pair" if len(members) == 2 else "trio",
        "locked": False,
        "fit": fit,
        "exchange": exchange,
        "note": "",
    }
    if exchange is None:  # a draft stored before fit, exchange and note were kept
        for key in ("fit", "exchange", "note"):
            del out[key]
    return out


def draft(program: Program, groups: list[dict[str, Any]], **extra: Any) -> MatchRound:
    result = {
        "groups": groups,
        "unmatched": [],
        "total_weight": sum(g["score"] for g in groups),
        "pair_weight": sum(g["score"] for g in groups),
        "upper_bound": sum(g["score"] for g in groups),
        "gap": 0.0,
        "gap_percent": 0.0,
        "seconds": 0.1,
        "solver": "exact (rustworkx blossom)",
        "bound_method": "exact optimum (every feasible pair)",
        "n": sum(len(g["members"]) for g in groups),
        **extra,
    }
    return MatchRound.objects.create(program=program, status=RoundStatus.DRAFT, result=result)


def url(match_round: MatchRound) -> str:
    program = match_round.program
    return reverse("round_detail", args=[program.organization.slug, program.pk, match_round.pk])


def made_up(n: int) -> list[dict[str, Any]]:
    """n pairs of people who need not exist (the page reads names from the draft), strongest
    first so that the page has to sort them."""
    return [
        group(k, [10_000 + 2 * k, 10_001 + 2 * k], [f"Ann {k}", f"Ben {k}"], 9 - k / n * 8, "both")
        for k in range(1, n + 1)
    ]


@pytest.fixture
def program(world: World) -> Program:
    return make_program(world.acme, max_level_gap=3)


def test_a_round_keeps_what_the_engine_says_about_each_group(
    world: World, program: Program
) -> None:
    for person in (world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    match_round = rounds.round_create(program=program, actor=world.bob)
    rounds.run_pending_rounds()
    match_round.refresh_from_db()
    result = match_round.result
    assert result["heuristic"] is False and result["time_capped"] is False
    assert result["bound_scope"] == "pairs" and result["mode"] == "peer"
    (trio,) = result["groups"]
    assert trio["fit"] == pytest.approx(trio["score"] / 3, abs=1e-6)
    assert trio["exchange"] in {"both", "one", "none"}
    assert trio["note"].startswith("a trio: ")
    html = client_for(world.bob).get(url(match_round)).content.decode()
    assert "mean of 3 pairs" in html and "A trio: " in html


def test_an_older_draft_without_fit_or_exchange_still_reads_well(
    world: World, program: Program
) -> None:
    old = group(1, [1, 2, 3], ["Ann", "Ben", "Cy"], 3.0, None)
    match_round = draft(program, [old])
    response = client_for(world.bob).get(url(match_round))
    html = response.content.decode()
    assert response.status_code == 200
    # The fit is the mean of the trio's pairs (score 9 over 3 pairs), as a new draft says.
    assert re.search(r'<td class="num"[^>]*>3.00<span[^>]*>mean of 3 pairs', html)
    assert "Skill exchange</h2>" not in html and "Skills both ways" not in html


def test_the_summary_gives_the_exchange_shares_and_the_spread_of_fits(
    world: World, program: Program
) -> None:
    groups = [
        group(1, [1, 2], ["A", "B"], 2.5, "both"),
        group(2, [3, 4], ["C", "D"], 1.2, "both"),
        group(3, [5, 6], ["E", "F"], 2.7, "one"),
        group(4, [7, 8], ["G", "H"], 4.1, "none"),
    ]
    html = client_for(world.bob).get(url(draft(program, groups))).content.decode()
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text)
    assert "Both ways 50 % · 2 groups" in text
    assert "One way 25 % · 1 group " in text and "None 25 % · 1 group " in text
    # Whole-number bands from the weakest to the strongest, empty bands included.
    assert "1 to 2 1 group · 25 %" in text and "2 to 3 2 groups · 50 %" in text
    assert "3 to 4 0 groups · 0 %" in text and "4 to 5 1 group · 25 %" in text
    assert "The weakest group fits 1.20" in text
    # Bar widths are classes (no inline style under the policy), relative to the largest bar.
    exchange = html[html.index('id="exchange-chart"') : html.index('id="fit-chart"')]
    assert re.findall(r'class="fill (w\d+)', exchange) == ["w100", "w50", "w50"]
    fits = html[html.index('id="fit-chart"') :]
    assert re.findall(r'class="fill (w\d+)"', fits)[:4] == ["w50", "w100", "w0", "w50"]
    assert "style=" not in html


def test_groups_come_weakest_first_fifty_to_a_page(world: World, program: Program) -> None:
    match_round = draft(program, made_up(120))
    client = client_for(world.bob)
    first = client.get(url(match_round)).content.decode()
    fits = [float(f) for f in re.findall(r'<td class="num"[^>]*>([\d.]+)', first)]
    assert len(fits) == 50 and fits == sorted(fits)
    assert fits[0] == pytest.approx(1.0, abs=0.01)  # group 120, the weakest
    assert "120 groups; showing 1–50." in first and "Page 1 of 3" in first
    last = client.get(url(match_round), {"page": 3}).content.decode()
    rows = re.findall(r'<td class="num"[^>]*>([\d.]+)', last)
    assert len(rows) == 20 and float(rows[-1]) == pytest.approx(9 - 1 / 120 * 8, abs=0.01)
    assert "showing 101–120." in last


def test_the_page_is_the_same_work_for_a_hundred_groups_or_ten_thousand(
    world: World, program: Program
) -> None:
    client = client_for(world.bob)
    sizes = {}
    for n in (100, 10_000):
        match_round = draft(program, made_up(n))
        client.get(url(match_round))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(match_round))
        sizes[n] = (len(response.content), len(queries.captured_queries))
    assert sizes[10_000][1] == sizes[100][1]
    assert sizes[10_000][0] < 1.1 * sizes[100][0], sizes
    big = response.content.decode()
    assert "<select" not in big
    assert "Publish 10,000 groups</button>" in big and "10,000 groups; showing 1–50." in big


@pytest.fixture
def four(world: World, program: Program) -> tuple[MatchRound, Person]:
    _, dan = make_member(world.acme, "dan@acme.example", "Dan Dorsey", "participant", level=4)
    people = [world.alice_person, world.carol_person, world.bob_person, dan]
    for person in people:
        enrol(program, person)
    a, c, b, d = (p.pk for p in people)
    groups = [
        group(1, [a, c], ["Alice Archer", "Carol Chen"], 4.0, "both"),
        group(2, [b, d], ["Bob Baker", "Dan Dorsey"], 3.0, "one"),
    ]
    return draft(program, groups), dan


def test_groups_are_found_by_name_or_by_team(world: World, four: tuple[MatchRound, Person]) -> None:
    match_round, _ = four
    client = client_for(world.bob)

    def found(q: str) -> str:
        return client.get(url(match_round), {"q": q}).content.decode()

    by_team = found("platform")  # Alice's team
    assert "Alice Archer, Carol Chen" in by_team and "Dan Dorsey" not in by_team
    assert "1 group with someone named or in a team like “platform”; showing 1." in by_team
    by_name = found("DORS")
    assert "Bob Baker, Dan Dorsey" in by_name and "Alice Archer, Carol" not in by_name
    nobody = found("zebra")
    assert "0 groups with someone" in nobody and "<tbody>" not in nobody


def test_a_manager_finds_two_people_chooses_them_and_pairs_them(
    world: World, four: tuple[MatchRound, Person]
) -> None:
    match_round, dan = four
    client = client_for(world.bob)
    page = client.get(url(match_round), {"who": "ali"}).content.decode()
    assert "<select" not in page
    level = world.acme.level_label(3)
    assert f"· Platform, {level} · now with Carol Chen" in page
    choose = re.search(r'href="\?([^"]+)#by-hand">Choose<span class="sr-only"> Alice', page)
    assert choose is not None
    one = client.get(url(match_round) + "?" + choose.group(1).replace("&amp;", "&")).content
    assert "Choose at least one more person." in one.decode()
    # Someone outside the round (another organization's person) cannot be chosen.
    params = {"who": "dan", "pick": [str(world.alice_person.pk), str(world.dave_person.pk)]}
    html = client.get(url(match_round), params).content.decode()
    assert "Dave Dunn" not in html
    choose = re.search(r'href="\?([^"]+)#by-hand">Choose<span class="sr-only"> Dan', html)
    assert choose is not None
    link = url(match_round) + "?" + choose.group(1).replace("&amp;", "&")
    chosen = client.get(link).content.decode()
    assert "Pair these 2 people" in chosen and "now with Bob Baker" in chosen
    form = chosen[chosen.index('<input type="hidden" name="action" value="pair">') :]
    form = form[: form.index("</form>")]
    people = sorted(int(p) for p in re.findall(r'name="people" value="(\d+)"', form))
    assert people == sorted([world.alice_person.pk, dan.pk])
    adjust = reverse(
        "round_adjust",
        args=[world.acme.slug, match_round.program_id, match_round.pk],
    )
    client.post(adjust, {"action": "pair", "people": people})
    match_round.refresh_from_db()
    assert match_round.status == RoundStatus.QUEUED
    assert match_round.locked_groups == [people]


def test_one_group_is_spoken_of_in_the_singular(world: World, program: Program) -> None:
    html = (
        client_for(world.bob)
        .get(url(draft(program, [group(1, [1, 2], ["A", "B"], 2.0, "both")])))
        .content.decode()
    )
    assert "Publish 1 group</button>" in html
    assert "1 group; showing 1." in html
    assert "Both ways</span>" in html and "100 % · 1 group</span>" in html


def test_the_worker_builds_the_page_and_a_rerun_replaces_it(world: World, program: Program) -> None:
    from twoway.programs.models import DraftGroup, DraftPage

    for person in (world.alice_person, world.bob_person, world.carol_person):
        enrol(program, person)
    match_round = rounds.round_create(program=program, actor=world.bob)
    rounds.run_pending_rounds()
    match_round.refresh_from_db()
    built = DraftPage.objects.get(match_round=match_round)
    assert built.made_from == match_round.finished_at
    assert DraftGroup.objects.filter(page=built).count() == len(match_round.result["groups"])
    assert "groups" not in built.overview and built.overview["groups_count"] == 1
    # A re-run (here: the draft replaced, as a run after "pair by hand" does) makes the page
    # stale; the next view reads the new draft, not the old page.
    assert match_round.finished_at is not None
    twin = group(1, [world.alice_person.pk, world.bob_person.pk], ["Twin A", "Twin B"], 1.5, "one")
    MatchRound.objects.filter(pk=match_round.pk).update(
        result={**match_round.result, "groups": [twin]},
        finished_at=match_round.finished_at + dt.timedelta(seconds=5),
    )
    html = client_for(world.bob).get(url(match_round)).content.decode()
    assert "Twin A, Twin B" in html
    assert DraftPage.objects.filter(match_round=match_round).count() == 1


def test_many_left_without_a_partner_are_listed_fifty_and_found_by_search(
    world: World, program: Program
) -> None:
    left = [
        make_member(world.acme, f"u{k}@acme.example", f"Lone {k:02d}", "participant")[1]
        for k in range(60)
    ]
    for person in left:
        enrol(program, person)
    unmatched = [
        {
            "id": p.pk,
            "name": p.name,
            "reason": "not_chosen",
            "why": "better used elsewhere",
            "message": "",
        }
        for p in left
    ]
    match_round = draft(program, made_up(3), unmatched=unmatched)
    client = client_for(world.bob)
    html = client.get(url(match_round)).content.decode()
    assert "<dt>Left without a partner</dt><dd>60</dd>" in html
    assert "<strong>Lone 49</strong>" in html and "Lone 50" not in html
    assert "And 10 more; find anyone by name below." in html
    found = client.get(url(match_round), {"who": "lone 59"}).content.decode()
    assert '<strong>Lone 59</strong> <span class="muted">· no team' in found
    assert "without a partner now" in found


def test_odd_choices_in_the_address_are_ignored_not_an_error(
    world: World, four: tuple[MatchRound, Person]
) -> None:
    match_round, _ = four
    odd = ["²", "99999999999999999999", "-1", "abc", str(world.alice_person.pk)]
    response = client_for(world.bob).get(url(match_round), {"pick": odd, "page": "x"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose at least one more person." in html  # Alice alone is chosen


def test_a_large_draft_says_how_close_it_is_in_plain_words(world: World, program: Program) -> None:
    heuristic = {
        "gap": 0.0042,
        "gap_percent": 0.42,
        "solver": "assignment cycle cover + pair swaps",
        "bound_method": "assignment relaxation",
        "n": 9000,
        "heuristic": True,
        "time_capped": True,
    }
    html = client_for(world.bob).get(url(draft(program, made_up(2), **heuristic))).content
    text = html.decode()
    assert "This pairing is within 1 % of the best possible." in text
    summary = text[: text.index("<summary>How we know</summary>")]
    assert "cycle cover" not in summary and "relaxation" not in summary  # only in the details
    assert "fast search that is not itself proof of the best" in text
    assert "stopped at its time limit" in text
